"""One prefecture cannot read or write another's credit data: the same NOT_FOUND either way."""

from collections.abc import Awaitable
from datetime import date

import grpc
import pytest
from credit_support import KUNMING, QUJING, Caller, CreditStack, day, new_credit_code, token
from test_credit_code_checksum import violations_of

from anjian.credit.v1 import credit_pb2
from anjian_kernel.auth import Role


@pytest.fixture
def qujing(stack: CreditStack) -> Caller:
    return stack.caller(token(QUJING, Role.INSPECTOR), tenant=QUJING)


async def refusal(call: Awaitable[object]) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call
    return refused.value


async def test_a_record_for_an_enterprise_in_another_tenant_is_refused_and_stores_nothing(
    inspector: Caller, qujing: Caller
) -> None:
    kunming = await inspector.register()
    missing = new_credit_code()

    # The Kunming enterprise's own name, sent with a Qujing token.
    through_kunming = await refusal(
        qujing.credit.CreateCreditRecord(
            credit_pb2.CreateCreditRecordRequest(
                parent=kunming.name,
                credit_record=credit_pb2.CreditRecord(
                    rule="penalty-decision",
                    source="曲靖市应急管理局",
                    source_document="曲应急罚〔2026〕1号",
                    conduct_date=day(date(2026, 10, 1)),
                ),
            ),
            metadata=qujing.metadata,
        )
    )
    in_own_tenant = await refusal(
        qujing.record(kunming.credit_code, "penalty-decision", date(2026, 10, 1))
    )
    never_registered = await refusal(qujing.record(missing, "penalty-decision", date(2026, 10, 1)))

    for error in (through_kunming, in_own_tenant, never_registered):
        assert error.code() == grpc.StatusCode.NOT_FOUND
        assert kunming.credit_code not in (error.details() or "")
    assert through_kunming.details() == never_registered.details()
    listed = await inspector.credit.ListCreditRecords(
        credit_pb2.ListCreditRecordsRequest(parent=kunming.name), metadata=inspector.metadata
    )
    assert list(listed.credit_records) == []


async def test_another_tenants_enterprises_and_listings_are_not_found(
    inspector: Caller, qujing: Caller
) -> None:
    kunming = await inspector.register(principal="赵六")
    listing = await inspector.list_enterprise(kunming.credit_code, date(2026, 11, 2))

    enterprise = await refusal(
        qujing.credit.GetEnterprise(
            credit_pb2.GetEnterpriseRequest(name=kunming.name), metadata=qujing.metadata
        )
    )
    found_listing = await refusal(
        qujing.credit.GetListing(
            credit_pb2.GetListingRequest(name=listing.name), metadata=qujing.metadata
        )
    )
    score = await refusal(
        qujing.credit.GetCreditScore(
            credit_pb2.GetCreditScoreRequest(name=kunming.name), metadata=qujing.metadata
        )
    )
    listed_there = await refusal(qujing.list_enterprise(kunming.credit_code, date(2026, 11, 2)))
    search = await qujing.public.SearchPublicCredit(
        credit_pb2.SearchPublicCreditRequest(parent=qujing.parent, query=kunming.credit_code),
        metadata=qujing.metadata,
    )
    own_listings = await qujing.credit.ListListings(
        credit_pb2.ListListingsRequest(parent=qujing.parent, credit_code=kunming.credit_code),
        metadata=qujing.metadata,
    )

    for error in (enterprise, found_listing, score):
        assert error.code() == grpc.StatusCode.NOT_FOUND
    assert listed_there.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "no enterprise" in violations_of(listed_there)["listing.credit_code"]
    assert list(search.enterprises) == []
    assert list(own_listings.listings) == []
    assert "赵六" not in str(enterprise.details())


async def test_a_parent_of_another_tenant_is_refused(inspector: Caller) -> None:
    error = await refusal(
        inspector.credit.ListEnterprises(
            credit_pb2.ListEnterprisesRequest(parent=f"prefectures/{QUJING}"),
            metadata=inspector.metadata,
        )
    )
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    assert KUNMING in (error.details() or "")
