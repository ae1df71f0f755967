"""Journey: an overdue major hazard becomes a credit record; the enterprise is listed and
its next hazard is flagged for closer inspection; the public page shows the listing."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import grpc
import pytest
from e2e_support import KUNMING, Deployment, as_date, service_today

from anjian.credit.v1 import credit_pb2
from anjian.hazard.v1 import hazard_pb2
from anjian_kernel.auth import Role

pytestmark = pytest.mark.e2e
T = TypeVar("T")


async def eventually(check: Callable[[], Awaitable[T]], seconds: float) -> T:
    """Poll an async check until it returns something truthy."""
    async with asyncio.timeout(seconds):
        while not (found := await check()):
            await asyncio.sleep(0.5)
    return found


async def test_overdue_leads_to_a_record_a_listing_and_closer_inspection(
    deployment: Deployment,
) -> None:
    if deployment.clock_rate < 600:
        pytest.skip("waiting for a deadline to pass needs a deployment with a fast clock")
    inspector = deployment.person(KUNMING, Role.INSPECTOR)
    md = inspector.metadata
    hazard = await inspector.report()
    code = hazard.enterprise_credit_code
    hazard = await inspector.hazards.GradeHazard(
        hazard_pb2.GradeHazardRequest(
            name=hazard.name,
            etag=hazard.etag,
            grade=hazard_pb2.HAZARD_GRADE_MAJOR,
            criterion=hazard_pb2.MajorHazardCriterion(
                standard="chemicals", standard_version="2017", item="CH-2017-03"
            ),
        ),
        metadata=md,
    )
    await inspector.hazards.AssignRectification(
        hazard_pb2.AssignRectificationRequest(
            name=hazard.name,
            etag=hazard.etag,
            deadline=as_date(service_today(hazard)),
            measures="立即整改",
            responsible_person="安全总监",
        ),
        metadata=md,
    )

    async def overdue() -> bool:
        current = await inspector.hazards.GetHazard(
            hazard_pb2.GetHazardRequest(name=hazard.name), metadata=md
        )
        return current.overdue

    await eventually(overdue, 120)

    enterprise = f"prefectures/{KUNMING}/enterprises/{code}"

    async def records() -> list[credit_pb2.CreditRecord]:
        # The credit service learns of the enterprise from the same event, so until it has
        # handled it the enterprise itself is not found yet.
        try:
            reply = await inspector.credit.ListCreditRecords(
                credit_pb2.ListCreditRecordsRequest(parent=enterprise), metadata=md
            )
        except grpc.aio.AioRpcError as error:
            if error.code() != grpc.StatusCode.NOT_FOUND:
                raise
            return []
        return [r for r in reply.credit_records if r.source_document == hazard.name]

    found = await eventually(records, 60)
    assert found[0].kind == credit_pb2.CONDUCT_KIND_BAD

    listing = await inspector.credit.CreateListing(
        credit_pb2.CreateListingRequest(
            parent=f"prefectures/{KUNMING}",
            request_id=f"e2e-{code}",
            listing=credit_pb2.Listing(
                credit_code=code,
                reason=credit_pb2.LISTING_REASON_CONCEALED_ACCIDENT,
                penalty_document="昆应急罚〔2026〕E2E号",
                deciding_department="昆明市应急管理局",
                facts_id=f"case-{code}",
                start_date=as_date(service_today(await inspector.report())),
            ),
        ),
        metadata=md,
    )
    assert listing.state == credit_pb2.LISTING_STATE_ACTIVE

    async def flagged() -> bool:
        return (await inspector.report(enterprise_credit_code=code)).closer_inspection

    await eventually(flagged, 60)

    async with inspector.http() as gateway:
        page = await gateway.get("/public/credit", params={"prefecture": KUNMING, "q": code})
    assert page.status_code == 200
    assert "严重失信" in page.text
