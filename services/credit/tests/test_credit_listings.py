"""The serious-dishonesty list over real gRPC and NATS: reasons, terms, bad input, expiry."""

import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta

import grpc
import pytest
from credit_support import Caller, CreditStack, credit_events, cst, day, new_credit_code
from test_credit_code_checksum import violations_of

from anjian.credit.v1 import credit_pb2
from anjian.events.v1.credit_events_pb2 import CreditEvent

R = credit_pb2.ListingReason
REASONS_2023 = [reason for reason in R.values() if reason != R.LISTING_REASON_UNSPECIFIED]


def about(listing_name: str) -> Callable[[CreditEvent], bool]:
    return lambda event: event.listing.name == listing_name


async def listings_of(caller: Caller, code: str) -> list[credit_pb2.Listing]:
    reply = await caller.credit.ListListings(
        credit_pb2.ListListingsRequest(parent=caller.parent, credit_code=code),
        metadata=caller.metadata,
    )
    return list(reply.listings)


@pytest.mark.parametrize("reason", REASONS_2023, ids=R.Name)
async def test_every_reason_of_the_2023_rules_lists_for_three_years(
    stack: CreditStack, inspector: Caller, reason: int
) -> None:
    enterprise = await inspector.register()

    listing = await inspector.list_enterprise(
        enterprise.credit_code, date(2026, 11, 2), reason=reason
    )

    assert listing.state == credit_pb2.LISTING_STATE_ACTIVE
    assert listing.rule_version == "2023"
    assert listing.reason == reason
    assert listing.end_date == day(date(2029, 11, 1))
    assert listing.repair_allowed_from == day(date(2027, 11, 2))
    assert listing.deciding_department == "昆明市应急管理局"
    refreshed = await inspector.credit.GetEnterprise(
        credit_pb2.GetEnterpriseRequest(name=enterprise.name), metadata=inspector.metadata
    )
    assert refreshed.listed
    [event] = await credit_events(stack.nats.url, "530100", about(listing.name), 1)
    assert event.kind == CreditEvent.KIND_LISTED
    assert event.credit_code == enterprise.credit_code


async def test_the_2017_rules_list_for_one_year_and_only_for_their_reasons(
    stack: CreditStack, inspector: Caller
) -> None:
    stack.clock.instant = cst(2023, 6, 10)
    enterprise = await inspector.register()

    listing = await inspector.list_enterprise(
        enterprise.credit_code, date(2023, 6, 1), reason=R.LISTING_REASON_CONCEALED_ACCIDENT
    )
    assert listing.rule_version == "2017"
    assert listing.end_date == day(date(2024, 5, 31))

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await inspector.list_enterprise(
            enterprise.credit_code, date(2023, 6, 1), reason=R.LISTING_REASON_MULTIPLE_FINE
        )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "rule version 2017" in violations_of(refused.value)["listing.reason"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"penalty_document": ""}, "listing.penalty_document"),
        ({"deciding_department": " "}, "listing.deciding_department"),
        ({"facts_id": ""}, "listing.facts_id"),
        ({"reason": R.LISTING_REASON_UNSPECIFIED}, "listing.reason"),
        ({"start_date": day(date(2026, 11, 3))}, "listing.start_date"),
        ({"rule_version": "2017"}, "listing.rule_version"),
    ],
)
async def test_a_listing_with_bad_input_is_refused_and_nothing_is_stored_or_published(
    stack: CreditStack, inspector: Caller, fields: dict[str, object], field: str
) -> None:
    enterprise = await inspector.register()

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await inspector.list_enterprise(enterprise.credit_code, date(2026, 11, 2), **fields)

    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in violations_of(refused.value)
    assert await listings_of(inspector, enterprise.credit_code) == []


async def test_a_listing_for_an_unregistered_enterprise_names_the_field(
    inspector: Caller,
) -> None:
    code = new_credit_code()
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await inspector.list_enterprise(code, date(2026, 11, 2))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "no enterprise" in violations_of(refused.value)["listing.credit_code"]


async def test_a_second_listing_for_the_same_facts_already_exists_and_retries_are_one(
    stack: CreditStack, inspector: Caller
) -> None:
    enterprise = await inspector.register()
    request_id = str(uuid.uuid4())
    first = await inspector.list_enterprise(
        enterprise.credit_code, date(2026, 11, 2), facts_id="事故-2026-007", request_id=request_id
    )

    retried = await inspector.list_enterprise(
        enterprise.credit_code, date(2026, 11, 2), facts_id="事故-2026-007", request_id=request_id
    )
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await inspector.list_enterprise(
            enterprise.credit_code, date(2026, 11, 1), facts_id="事故-2026-007"
        )

    assert retried == first
    assert refused.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert [x.name for x in await listings_of(inspector, enterprise.credit_code)] == [first.name]
    events = await credit_events(stack.nats.url, "530100", about(first.name), 1)
    assert len(events) == 1


@pytest.mark.parametrize(
    ("start", "last_day", "listed_at"),
    [
        (date(2026, 11, 2), date(2029, 11, 1), cst(2026, 11, 2)),
        (date(2023, 6, 1), date(2024, 5, 31), cst(2023, 6, 10)),
    ],
    ids=["2023-three-years", "2017-one-year"],
)
async def test_a_listing_expires_at_the_end_of_its_last_day_in_china_standard_time(
    stack: CreditStack,
    inspector: Caller,
    admin: Caller,
    start: date,
    last_day: date,
    listed_at: datetime,
) -> None:
    stack.clock.instant = listed_at
    enterprise = await inspector.register()
    listing = await inspector.list_enterprise(enterprise.credit_code, start)
    assert listing.end_date == day(last_day)
    expire = credit_pb2.ExpireListingsRequest(parent=admin.parent)

    stack.clock.instant = cst(last_day.year, last_day.month, last_day.day, 23, 30)
    before = await admin.credit.ExpireListings(expire, metadata=admin.metadata)
    stack.clock.advance(timedelta(hours=1))
    after = await admin.credit.ExpireListings(expire, metadata=admin.metadata)
    again = await admin.credit.ExpireListings(expire, metadata=admin.metadata)

    assert listing.name not in before.expired_listings
    assert listing.name in after.expired_listings
    assert listing.name not in again.expired_listings
    expired = await inspector.credit.GetListing(
        credit_pb2.GetListingRequest(name=listing.name), metadata=inspector.metadata
    )
    assert expired.state == credit_pb2.LISTING_STATE_EXPIRED
    assert expired.end_date == day(last_day)
    events = await credit_events(stack.nats.url, "530100", about(listing.name), 2)
    assert [e.kind for e in events] == [CreditEvent.KIND_LISTED, CreditEvent.KIND_DELISTED]


async def test_only_administrators_expire_listings(inspector: Caller) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await inspector.credit.ExpireListings(
            credit_pb2.ExpireListingsRequest(parent=inspector.parent), metadata=inspector.metadata
        )
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
