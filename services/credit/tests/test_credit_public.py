"""Public search shows listings and public records, and no personal data; bans keep ID
numbers out of storage, replies and logs."""

import uuid
from datetime import date

import grpc
import pytest
from credit_support import KUNMING, Caller, CreditStack, day, token
from sqlalchemy import select
from test_credit_code_checksum import violations_of

from anjian.credit.v1 import credit_pb2
from anjian_credit.tables import bans
from anjian_kernel.auth import Role

ID_NUMBER = "11010519491231002X"
Ban = credit_pb2.Ban


async def ban(caller: Caller, **fields: object) -> credit_pb2.Ban:
    id_number = str(fields.pop("id_number", ""))
    values: dict[str, object] = {
        "display_name": "张某",
        "scope": "危险化学品生产经营单位主要负责人",
        "decision_document": "昆应急禁〔2026〕3号",
        "start_date": day(date(2026, 11, 1)),
    }
    values.update(fields)
    return await caller.credit.CreateBan(
        credit_pb2.CreateBanRequest(
            parent=caller.parent,
            ban=Ban(**values),
            id_number=id_number,
            request_id=str(uuid.uuid4()),
        ),
        metadata=caller.metadata,
    )


async def test_public_search_shows_listings_and_public_records_only(
    stack: CreditStack, inspector: Caller, capfd: pytest.CaptureFixture[str]
) -> None:
    enterprise = await inspector.register(display_name="普渡河矿业有限公司", principal="钱七")
    code = enterprise.credit_code
    penalty = await inspector.record(code, "penalty-decision", date(2026, 9, 1))
    private = await inspector.record(code, "self-inspection-missed", date(2026, 9, 1))
    listing = await inspector.list_enterprise(code, date(2026, 11, 2))
    individual = await ban(inspector, subject=Ban.SUBJECT_INDIVIDUAL, id_number=ID_NUMBER)
    anyone = stack.caller(token(KUNMING, Role.PARTNER, subject="public-gateway"))

    by_name = await anyone.public.SearchPublicCredit(
        credit_pb2.SearchPublicCreditRequest(parent=anyone.parent, query="普渡河矿业"),
        metadata=anyone.metadata,
    )
    by_code = await anyone.public.SearchPublicCredit(
        credit_pb2.SearchPublicCreditRequest(parent=anyone.parent, query=f" {code.lower()} "),
        metadata=anyone.metadata,
    )

    assert by_name == by_code
    [found] = by_code.enterprises
    assert found.credit_code == code
    assert found.listed
    assert [x.name for x in found.listings] == [listing.name]
    assert [x.name for x in found.public_records] == [penalty.name]
    reply = str(by_code) + by_code.SerializeToString().decode("utf-8", "replace")
    for secret in ("钱七", private.name, ID_NUMBER, individual.person_key, "张某"):
        assert secret not in reply
    assert individual.person_key
    assert ID_NUMBER not in individual.person_key
    async with stack.host.databases.engine(KUNMING).connect() as connection:
        stored = (await connection.execute(select(bans))).all()
    assert all(ID_NUMBER not in str(tuple(row)) for row in stored)
    captured = capfd.readouterr()
    assert ID_NUMBER not in captured.out + captured.err


async def test_a_search_needs_two_characters(inspector: Caller) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await inspector.public.SearchPublicCredit(
            credit_pb2.SearchPublicCreditRequest(parent=inspector.parent, query="矿"),
            metadata=inspector.metadata,
        )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "query" in violations_of(refused.value)


async def test_bans_of_individuals_and_intermediaries(
    stack: CreditStack, inspector: Caller, capfd: pytest.CaptureFixture[str]
) -> None:
    intermediary = await inspector.register(display_name="滇中安全评价有限公司", industry="other")
    person = await ban(inspector, subject=Ban.SUBJECT_INDIVIDUAL, id_number=ID_NUMBER.lower())
    again = await ban(inspector, subject=Ban.SUBJECT_INDIVIDUAL, id_number=ID_NUMBER)
    agency = await ban(
        inspector,
        subject=Ban.SUBJECT_INTERMEDIARY,
        display_name=intermediary.display_name,
        credit_code=intermediary.credit_code.lower(),
        scope="安全评价",
        end_date=day(date(2031, 10, 31)),
    )
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await ban(inspector, subject=Ban.SUBJECT_INDIVIDUAL, id_number="110105194912310021")

    assert person.person_key == again.person_key
    assert len(person.person_key) == 64
    assert agency.credit_code == intermediary.credit_code
    assert agency.active
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "110105194912310021" not in (refused.value.details() or "")
    partner = stack.caller(token(KUNMING, Role.PARTNER))
    listed = await partner.credit.ListBans(
        credit_pb2.ListBansRequest(parent=partner.parent, active_only=True),
        metadata=partner.metadata,
    )
    assert listed.bans
    assert all(not b.person_key for b in listed.bans)
    captured = capfd.readouterr()
    assert ID_NUMBER not in captured.out + captured.err
