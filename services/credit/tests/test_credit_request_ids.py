"""Request ids over real gRPC: a retry gets the first result, a request id reused for a
different request is refused and stores nothing."""

import uuid
from datetime import date

import grpc
import pytest
from credit_support import KUNMING, Caller, CreditStack, cst, day, token
from sqlalchemy import Table, func, select, update
from test_credit_code_checksum import violations_of

from anjian.credit.v1 import credit_pb2
from anjian_credit.bans import ban_fingerprint
from anjian_credit.tables import bans, credit_records, listings, repair_applications
from anjian_kernel.auth import Role
from anjian_kernel.identifiers import request_fingerprint

Ban = credit_pb2.Ban
ID_NUMBER = "11010519491231002X"
OTHER_ID_NUMBER = "530102198001010031"


async def rows_with(stack: CreditStack, table: Table, request_id: str) -> int:
    async with stack.host.databases.engine(KUNMING).connect() as connection:
        count = await connection.scalar(
            select(func.count()).select_from(table).where(table.c.request_id == request_id)
        )
    return count or 0


async def stored_fingerprint(stack: CreditStack, table: Table, request_id: str) -> str | None:
    async with stack.host.databases.engine(KUNMING).connect() as connection:
        return await connection.scalar(
            select(table.c.request_fingerprint).where(table.c.request_id == request_id)
        )


def assert_reused(error: grpc.aio.AioRpcError) -> None:
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "different request" in violations_of(error)["request_id"]


def listing_request(
    caller: Caller, code: str, request_id: str, **fields: object
) -> credit_pb2.CreateListingRequest:
    values: dict[str, object] = {
        "credit_code": code,
        "reason": credit_pb2.LISTING_REASON_MAJOR_ACCIDENT,
        "penalty_document": "昆应急罚〔2026〕12号",
        "deciding_department": "昆明市应急管理局",
        "facts_id": "事故-2026-031",
        "start_date": day(date(2026, 11, 2)),
    }
    values.update(fields)
    return credit_pb2.CreateListingRequest(
        parent=caller.parent, listing=credit_pb2.Listing(**values), request_id=request_id
    )


async def test_a_listing_request_id_reused_for_another_enterprise_is_refused(
    stack: CreditStack, inspector: Caller
) -> None:
    first_enterprise = await inspector.register()
    second_enterprise = await inspector.register()
    request_id = str(uuid.uuid4())
    request = listing_request(inspector, first_enterprise.credit_code, request_id)

    first = await inspector.credit.CreateListing(request, metadata=inspector.metadata)
    retried = await inspector.credit.CreateListing(request, metadata=inspector.metadata)
    other = listing_request(inspector, second_enterprise.credit_code, request_id)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await inspector.credit.CreateListing(other, metadata=inspector.metadata)

    assert retried == first
    assert_reused(refused.value)
    assert await rows_with(stack, listings, request_id) == 1
    reply = await inspector.credit.ListListings(
        credit_pb2.ListListingsRequest(
            parent=inspector.parent, credit_code=second_enterprise.credit_code
        ),
        metadata=inspector.metadata,
    )
    assert list(reply.listings) == []


async def test_a_listing_written_before_fingerprints_is_taken_for_a_retry(
    stack: CreditStack, inspector: Caller
) -> None:
    enterprise = await inspector.register()
    request_id = str(uuid.uuid4())
    request = listing_request(inspector, enterprise.credit_code, request_id)
    first = await inspector.credit.CreateListing(request, metadata=inspector.metadata)
    async with stack.host.databases.begin(KUNMING) as connection:
        await connection.execute(
            update(listings)
            .where(listings.c.request_id == request_id)
            .values(request_fingerprint=None)
        )

    changed = listing_request(
        inspector, enterprise.credit_code, request_id, penalty_document="昆应急罚〔2026〕13号"
    )
    replayed = await inspector.credit.CreateListing(changed, metadata=inspector.metadata)
    elsewhere = await inspector.register()
    moved = listing_request(inspector, elsewhere.credit_code, request_id)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await inspector.credit.CreateListing(moved, metadata=inspector.metadata)

    assert replayed == first
    assert_reused(refused.value)
    assert await rows_with(stack, listings, request_id) == 1


def record_request(
    code: str, request_id: str, **fields: object
) -> credit_pb2.CreateCreditRecordRequest:
    values: dict[str, object] = {
        "rule": "penalty-decision",
        "source": "昆明市应急管理局",
        "source_document": "昆应急罚〔2026〕40号",
        "conduct_date": day(date(2026, 9, 1)),
        "evidence": ["现场检查笔录"],
    }
    values.update(fields)
    return credit_pb2.CreateCreditRecordRequest(
        parent=f"prefectures/{KUNMING}/enterprises/{code}",
        credit_record=credit_pb2.CreditRecord(**values),
        request_id=request_id,
    )


@pytest.mark.parametrize(
    ("other_enterprise", "fields"),
    [(True, {}), (False, {"source_document": "昆应急罚〔2026〕41号"})],
    ids=["other-enterprise", "other-document"],
)
async def test_a_credit_record_request_id_reused_for_another_record_is_refused(
    stack: CreditStack, inspector: Caller, other_enterprise: bool, fields: dict[str, object]
) -> None:
    enterprise = await inspector.register()
    elsewhere = await inspector.register()
    request_id = str(uuid.uuid4())
    request = record_request(enterprise.credit_code, request_id)

    first = await inspector.credit.CreateCreditRecord(request, metadata=inspector.metadata)
    retried = await inspector.credit.CreateCreditRecord(request, metadata=inspector.metadata)
    code = elsewhere.credit_code if other_enterprise else enterprise.credit_code
    other = record_request(code, request_id, **fields)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await inspector.credit.CreateCreditRecord(other, metadata=inspector.metadata)

    assert retried == first
    assert_reused(refused.value)
    assert await rows_with(stack, credit_records, request_id) == 1
    async with stack.host.databases.engine(KUNMING).connect() as connection:
        documents = await connection.scalar(
            select(func.count())
            .select_from(credit_records)
            .where(credit_records.c.source_document == "昆应急罚〔2026〕41号")
        )
    assert documents == 0


def ban_request(
    caller: Caller, request_id: str, id_number: str, **fields: object
) -> credit_pb2.CreateBanRequest:
    values: dict[str, object] = {
        "subject": Ban.SUBJECT_INDIVIDUAL,
        "display_name": "王某",
        "scope": "危险化学品生产经营单位主要负责人",
        "decision_document": "昆应急禁〔2026〕9号",
        "start_date": day(date(2026, 11, 1)),
    }
    values.update(fields)
    return credit_pb2.CreateBanRequest(
        parent=caller.parent, ban=Ban(**values), id_number=id_number, request_id=request_id
    )


@pytest.mark.parametrize(
    ("id_number", "fields"),
    [(OTHER_ID_NUMBER, {}), (ID_NUMBER, {"scope": "安全评价"})],
    ids=["other-person", "other-scope"],
)
async def test_a_ban_request_id_reused_for_another_ban_is_refused(
    stack: CreditStack, inspector: Caller, id_number: str, fields: dict[str, object]
) -> None:
    request_id = str(uuid.uuid4())
    request = ban_request(inspector, request_id, ID_NUMBER)

    first = await inspector.credit.CreateBan(request, metadata=inspector.metadata)
    retried = await inspector.credit.CreateBan(request, metadata=inspector.metadata)
    other = ban_request(inspector, request_id, id_number, **fields)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await inspector.credit.CreateBan(other, metadata=inspector.metadata)

    assert retried == first
    assert_reused(refused.value)
    assert ID_NUMBER not in (refused.value.details() or "")
    assert await rows_with(stack, bans, request_id) == 1


async def test_a_ban_fingerprint_is_over_the_person_key_not_the_id_number(
    stack: CreditStack, inspector: Caller
) -> None:
    request_id = str(uuid.uuid4())
    request = ban_request(inspector, request_id, ID_NUMBER)

    created = await inspector.credit.CreateBan(request, metadata=inspector.metadata)

    stored = await stored_fingerprint(stack, bans, request_id)
    assert stored == ban_fingerprint(request, created.person_key)
    assert stored != request_fingerprint(request)


async def test_a_repair_request_id_reused_for_another_application_is_refused(
    stack: CreditStack, inspector: Caller
) -> None:
    stack.clock.instant = cst(2025, 11, 3)
    enterprise = await inspector.register()
    listing = await inspector.list_enterprise(enterprise.credit_code, date(2025, 11, 2))
    applicant = stack.caller(token(KUNMING, Role.ENTERPRISE, enterprise=enterprise.credit_code))
    stack.clock.instant = cst(2026, 11, 3)
    request_id = str(uuid.uuid4())
    request = credit_pb2.ApplyForRepairRequest(
        parent=listing.name, statement="已完成整改，补缴罚款", request_id=request_id
    )

    first = await applicant.credit.ApplyForRepair(request, metadata=applicant.metadata)
    retried = await applicant.credit.ApplyForRepair(request, metadata=applicant.metadata)
    other = credit_pb2.ApplyForRepairRequest(
        parent=listing.name, statement="已开展全员培训", request_id=request_id
    )
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await applicant.credit.ApplyForRepair(other, metadata=applicant.metadata)

    assert retried == first
    assert_reused(refused.value)
    assert await rows_with(stack, repair_applications, request_id) == 1
    stored = await stored_fingerprint(stack, repair_applications, request_id)
    assert stored == request_fingerprint(request)
