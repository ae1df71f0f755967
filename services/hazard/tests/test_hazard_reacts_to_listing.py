"""A listed enterprise's hazards get a shorter review interval, and its new ones closer inspection.

The credit service announces listings on `anjian.<tenant>.credit.listed`; here the event is
published as that service publishes it (same message type, subject and message id).
"""

import asyncio
import uuid
from datetime import date

import nats
from google.protobuf.timestamp_pb2 import Timestamp
from google.type.date_pb2 import Date
from hazard_support import KUNMING, Caller, HazardStack, new_credit_code, token

from anjian.credit.v1 import credit_pb2
from anjian.events.v1.credit_events_pb2 import CreditEvent
from anjian.events.v1.envelope_pb2 import EventMetadata
from anjian.hazard.v1 import hazard_pb2
from anjian_kernel.auth import Role


async def announce(stack: HazardStack, kind: "CreditEvent.Kind.ValueType", code: str) -> None:
    """Publish a credit event for `code` on the bus, once."""
    event_id = str(uuid.uuid4())
    now = Timestamp()
    now.FromDatetime(stack.clock.now())
    event = CreditEvent(
        metadata=EventMetadata(
            event_id=event_id,
            tenant=KUNMING,
            occur_time=now,
            resource=f"prefectures/{KUNMING}/listings/{uuid.uuid4()}",
        ),
        kind=kind,
        credit_code=code,
        listing=credit_pb2.Listing(
            name=f"prefectures/{KUNMING}/listings/{uuid.uuid4()}", credit_code=code
        ),
    )
    suffix = CreditEvent.Kind.Name(kind).removeprefix("KIND_").lower()
    client = await nats.connect(stack.nats.url)
    try:
        await client.jetstream().publish(
            f"anjian.{KUNMING}.credit.{suffix}",
            event.SerializeToString(),
            headers={"Nats-Msg-Id": event_id},
        )
    finally:
        await client.close()


async def submitted_review_due(stack: HazardStack, inspector: Caller, code: str) -> date:
    enterprise = stack.caller(token(KUNMING, Role.ENTERPRISE, enterprise=code))
    hazard = await inspector.report(enterprise_credit_code=code)
    hazard = await inspector.hazards.GradeHazard(
        hazard_pb2.GradeHazardRequest(
            name=hazard.name, etag=hazard.etag, grade=hazard_pb2.HAZARD_GRADE_GENERAL
        ),
        metadata=inspector.metadata,
    )
    hazard = await inspector.hazards.AssignRectification(
        hazard_pb2.AssignRectificationRequest(
            name=hazard.name,
            etag=hazard.etag,
            deadline=Date(year=2026, month=11, day=30),
            measures="整改",
            responsible_person="赵六",
        ),
        metadata=inspector.metadata,
    )
    hazard = await enterprise.hazards.SubmitRectification(
        hazard_pb2.SubmitRectificationRequest(name=hazard.name, etag=hazard.etag, report="已整改"),
        metadata=enterprise.metadata,
    )
    return date(hazard.review_due.year, hazard.review_due.month, hazard.review_due.day)


async def eventually_due(stack: HazardStack, inspector: Caller, code: str, expected: date) -> None:
    """Submissions get the expected due day once the service has heard the event."""
    seen = []
    for _ in range(50):
        seen.append(await submitted_review_due(stack, inspector, code))
        if seen[-1] == expected:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"review due {seen[-1]}, expected {expected}")


async def test_listing_shortens_the_review_interval_and_removal_restores_it(
    stack: HazardStack,
    inspector: Caller,
) -> None:
    code = new_credit_code()
    assert not (await inspector.report(enterprise_credit_code=code)).closer_inspection
    # Monday 2 November 2026: five working days is the 9th, two is the 4th.
    assert await submitted_review_due(stack, inspector, code) == date(2026, 11, 9)

    await announce(stack, CreditEvent.Kind.KIND_LISTED, code)
    await eventually_due(stack, inspector, code, date(2026, 11, 4))

    flagged = await inspector.report(enterprise_credit_code=code)
    assert flagged.closer_inspection

    await announce(stack, CreditEvent.Kind.KIND_DELISTED, code)
    await eventually_due(stack, inspector, code, date(2026, 11, 9))
    assert not (await inspector.report(enterprise_credit_code=code)).closer_inspection
