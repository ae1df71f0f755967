"""Credit repair: allowed from 12 months in China Standard Time; approve, refuse, revoke."""

from datetime import date, datetime

import grpc
import pytest
from credit_support import KUNMING, Caller, CreditStack, credit_events, cst, day, token
from sqlalchemy import func, select

from anjian.credit.v1 import credit_pb2
from anjian.events.v1.credit_events_pb2 import CreditEvent
from anjian_credit.tables import repair_applications
from anjian_kernel.auth import Role

State = credit_pb2.RepairApplication.State
START = date(2025, 11, 2)
ALLOWED_FROM = date(2026, 11, 2)


async def listed_enterprise(
    stack: CreditStack, inspector: Caller
) -> tuple[credit_pb2.Listing, Caller]:
    stack.clock.instant = cst(2025, 11, 3)
    enterprise = await inspector.register()
    listing = await inspector.list_enterprise(enterprise.credit_code, START)
    assert listing.repair_allowed_from == day(ALLOWED_FROM)
    return listing, stack.caller(token(KUNMING, Role.ENTERPRISE, enterprise=enterprise.credit_code))


async def apply(caller: Caller, listing: credit_pb2.Listing) -> credit_pb2.RepairApplication:
    return await caller.credit.ApplyForRepair(
        credit_pb2.ApplyForRepairRequest(
            parent=listing.name, statement="已完成整改，补缴罚款，开展全员培训"
        ),
        metadata=caller.metadata,
    )


async def applications_of(stack: CreditStack, listing: credit_pb2.Listing) -> int:
    listing_id = listing.name.rsplit("/", 1)[-1]
    async with stack.host.databases.engine(KUNMING).connect() as connection:
        count = await connection.scalar(
            select(func.count())
            .select_from(repair_applications)
            .where(repair_applications.c.listing_id == listing_id)
        )
    return count or 0


async def get(caller: Caller, listing: credit_pb2.Listing) -> credit_pb2.Listing:
    return await caller.credit.GetListing(
        credit_pb2.GetListingRequest(name=listing.name), metadata=caller.metadata
    )


@pytest.mark.parametrize(
    "instant",
    [cst(2026, 11, 1, 9, 0), cst(2026, 11, 1, 23, 30)],
    ids=["11-months-30-days", "last-evening-before"],
)
async def test_repair_before_twelve_months_is_refused_naming_the_date(
    stack: CreditStack, inspector: Caller, instant: datetime
) -> None:
    listing, enterprise = await listed_enterprise(stack, inspector)
    stack.clock.instant = instant

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await apply(enterprise, listing)

    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "2026-11-02" in (refused.value.details() or "")
    assert await applications_of(stack, listing) == 0


async def test_repair_at_twelve_months_is_allowed_from_midnight_china_standard_time(
    stack: CreditStack, inspector: Caller
) -> None:
    listing, enterprise = await listed_enterprise(stack, inspector)
    stack.clock.instant = cst(2026, 11, 2, 0, 30)  # still 1 November in UTC

    application = await apply(enterprise, listing)

    assert application.state == State.STATE_PENDING
    assert application.listing == listing.name


async def review(
    caller: Caller, application: credit_pb2.RepairApplication, *, approve: bool
) -> credit_pb2.RepairApplication:
    return await caller.credit.ReviewRepairApplication(
        credit_pb2.ReviewRepairApplicationRequest(
            name=application.name, etag=application.etag, approve=approve, reason="核查属实"
        ),
        metadata=caller.metadata,
    )


async def test_approved_repair_removes_the_listing_and_announces_it(
    stack: CreditStack, inspector: Caller
) -> None:
    listing, enterprise = await listed_enterprise(stack, inspector)
    stack.clock.instant = cst(2026, 11, 5)
    application = await apply(enterprise, listing)

    approved = await review(inspector, application, approve=True)

    assert approved.state == State.STATE_APPROVED
    removed = await get(inspector, listing)
    assert removed.state == credit_pb2.LISTING_STATE_REPAIRED
    assert removed.HasField("remove_time")
    events = await credit_events(
        stack.nats.url, KUNMING, lambda e: e.listing.name == listing.name, 2
    )
    assert [e.kind for e in events] == [CreditEvent.KIND_LISTED, CreditEvent.KIND_DELISTED]


async def test_refused_repair_leaves_the_listing_and_cannot_be_reviewed_again(
    stack: CreditStack, inspector: Caller
) -> None:
    listing, enterprise = await listed_enterprise(stack, inspector)
    stack.clock.instant = cst(2026, 11, 5)
    application = await apply(enterprise, listing)

    refused = await review(inspector, application, approve=False)
    with pytest.raises(grpc.aio.AioRpcError) as again:
        await review(inspector, refused, approve=True)

    assert refused.state == State.STATE_REFUSED
    assert again.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert (await get(inspector, listing)).state == credit_pb2.LISTING_STATE_ACTIVE
    events = await credit_events(
        stack.nats.url, KUNMING, lambda e: e.listing.name == listing.name, 1
    )
    assert [e.kind for e in events] == [CreditEvent.KIND_LISTED]


async def test_a_stale_review_is_aborted(stack: CreditStack, inspector: Caller) -> None:
    listing, enterprise = await listed_enterprise(stack, inspector)
    stack.clock.instant = cst(2026, 11, 5)
    application = await apply(enterprise, listing)
    stale = credit_pb2.RepairApplication()
    stale.CopyFrom(application)
    stale.etag = "0"

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await review(inspector, stale, approve=True)

    assert refused.value.code() == grpc.StatusCode.ABORTED
    assert (await get(inspector, listing)).state == credit_pb2.LISTING_STATE_ACTIVE


async def test_revoked_repair_restores_the_listing_with_its_original_end(
    stack: CreditStack, inspector: Caller
) -> None:
    listing, enterprise = await listed_enterprise(stack, inspector)
    stack.clock.instant = cst(2026, 11, 5)
    application = await apply(enterprise, listing)
    approved = await review(inspector, application, approve=True)
    stack.clock.instant = cst(2026, 12, 1)

    revoked = await inspector.credit.RevokeRepair(
        credit_pb2.RevokeRepairRequest(
            name=approved.name, etag=approved.etag, reason="整改材料系伪造"
        ),
        metadata=inspector.metadata,
    )

    assert revoked.state == State.STATE_REVOKED
    restored = await get(inspector, listing)
    assert restored.state == credit_pb2.LISTING_STATE_ACTIVE
    assert restored.end_date == listing.end_date
    assert not restored.HasField("remove_time")
    events = await credit_events(
        stack.nats.url, KUNMING, lambda e: e.listing.name == listing.name, 3
    )
    assert [e.kind for e in events] == [
        CreditEvent.KIND_LISTED,
        CreditEvent.KIND_DELISTED,
        CreditEvent.KIND_LISTED,
    ]
