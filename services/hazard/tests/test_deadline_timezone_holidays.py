"""Case deadline-timezone-holidays, through the service: overdue at CST midnight, holidays known."""

import os
import time
from collections.abc import Iterator
from datetime import datetime

import grpc
import pytest
from google.type.date_pb2 import Date
from hazard_support import KUNMING, Caller, HazardStack, hazard_events

from anjian.events.v1.hazard_events_pb2 import HazardEvent
from anjian.hazard.v1 import hazard_pb2
from anjian_kernel.clock import CHINA_STANDARD_TIME
from anjian_kernel.workdays import YearArrangement, use_calendar


@pytest.fixture
def server_in_los_angeles() -> Iterator[None]:
    """Run the test with the process's local time zone far from China's."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "America/Los_Angeles"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


async def rectifying(inspector: Caller, deadline: Date) -> hazard_pb2.Hazard:
    hazard = await inspector.report()
    hazard = await inspector.hazards.GradeHazard(
        hazard_pb2.GradeHazardRequest(
            name=hazard.name, etag=hazard.etag, grade=hazard_pb2.HAZARD_GRADE_GENERAL
        ),
        metadata=inspector.metadata,
    )
    return await inspector.hazards.AssignRectification(
        hazard_pb2.AssignRectificationRequest(
            name=hazard.name,
            etag=hazard.etag,
            deadline=deadline,
            measures="整改",
            responsible_person="王五",
        ),
        metadata=inspector.metadata,
    )


async def detect(admin: Caller) -> list[str]:
    reply = await admin.hazards.DetectOverdueHazards(
        hazard_pb2.DetectOverdueHazardsRequest(parent=f"prefectures/{KUNMING}"),
        metadata=admin.metadata,
    )
    return list(reply.newly_overdue)


@pytest.mark.usefixtures("server_in_los_angeles")
async def test_deadline_timezone_holidays(
    stack: HazardStack, inspector: Caller, admin: Caller
) -> None:
    hazard = await rectifying(inspector, Date(year=2026, month=11, day=20))

    stack.clock.instant = datetime(2026, 11, 20, 23, 30, tzinfo=CHINA_STANDARD_TIME)
    assert hazard.name not in await detect(admin)

    stack.clock.instant = datetime(2026, 11, 21, 0, 30, tzinfo=CHINA_STANDARD_TIME)
    assert hazard.name in await detect(admin)
    assert hazard.name not in await detect(admin), "a second run repeats nothing"

    after = await admin.hazards.GetHazard(
        hazard_pb2.GetHazardRequest(name=hazard.name), metadata=admin.metadata
    )
    assert after.overdue
    assert after.state == hazard_pb2.HAZARD_STATE_RECTIFYING
    events = await hazard_events(stack.nats.url, KUNMING, hazard.name, 4)
    assert [e.kind for e in events][-1] == HazardEvent.Kind.KIND_OVERDUE
    assert sum(e.kind == HazardEvent.Kind.KIND_OVERDUE for e in events) == 1


async def test_working_days_skip_national_day_and_count_the_make_up_saturday(
    stack: HazardStack,
    inspector: Caller,
) -> None:
    hazard = await inspector.report()
    hazard = await inspector.hazards.GradeHazard(
        hazard_pb2.GradeHazardRequest(
            name=hazard.name, etag=hazard.etag, grade=hazard_pb2.HAZARD_GRADE_GENERAL
        ),
        metadata=inspector.metadata,
    )
    stack.clock.instant = datetime(2026, 9, 30, 10, 0, tzinfo=CHINA_STANDARD_TIME)

    assigned = await inspector.hazards.AssignRectification(
        hazard_pb2.AssignRectificationRequest(
            name=hazard.name,
            etag=hazard.etag,
            working_days=3,
            measures="整改",
            responsible_person="王五",
        ),
        metadata=inspector.metadata,
    )

    # 1-7 October are off; 8 and 9 October are working days; Saturday 10 October is a make-up day.
    assert assigned.rectification.deadline == Date(year=2026, month=10, day=10)


async def test_a_year_the_calendar_does_not_know_is_an_explicit_error(
    stack: HazardStack,
    inspector: Caller,
) -> None:
    hazard = await inspector.report()
    hazard = await inspector.hazards.GradeHazard(
        hazard_pb2.GradeHazardRequest(
            name=hazard.name, etag=hazard.etag, grade=hazard_pb2.HAZARD_GRADE_GENERAL
        ),
        metadata=inspector.metadata,
    )
    stack.clock.instant = datetime(2026, 12, 28, 10, 0, tzinfo=CHINA_STANDARD_TIME)

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await inspector.hazards.AssignRectification(
            hazard_pb2.AssignRectificationRequest(
                name=hazard.name,
                etag=hazard.etag,
                working_days=10,
                measures="整改",
                responsible_person="王五",
            ),
            metadata=inspector.metadata,
        )

    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "working_days" in refused.value.details()
    assert "2027" in refused.value.details()


async def test_a_deadline_in_the_past_is_refused(stack: HazardStack, inspector: Caller) -> None:
    hazard = await inspector.report()
    hazard = await inspector.hazards.GradeHazard(
        hazard_pb2.GradeHazardRequest(
            name=hazard.name, etag=hazard.etag, grade=hazard_pb2.HAZARD_GRADE_GENERAL
        ),
        metadata=inspector.metadata,
    )

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await inspector.hazards.AssignRectification(
            hazard_pb2.AssignRectificationRequest(
                name=hazard.name,
                etag=hazard.etag,
                deadline=Date(year=2026, month=11, day=1),
                measures="整改",
                responsible_person="王五",
            ),
            metadata=inspector.metadata,
        )

    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "deadline" in refused.value.details()
    after = await inspector.hazards.GetHazard(
        hazard_pb2.GetHazardRequest(name=hazard.name), metadata=inspector.metadata
    )
    assert after.version == hazard.version


async def test_late_submission_is_marked_overdue_before_it_is_submitted(
    stack: HazardStack,
    inspector: Caller,
    admin: Caller,
) -> None:
    hazard = await rectifying(inspector, Date(year=2026, month=11, day=5))
    stack.clock.instant = datetime(2026, 11, 6, 9, 0, tzinfo=CHINA_STANDARD_TIME)

    submitted = await admin.hazards.SubmitRectification(
        hazard_pb2.SubmitRectificationRequest(name=hazard.name, etag=hazard.etag, report="迟交"),
        metadata=admin.metadata,
    )

    assert submitted.overdue
    events = await hazard_events(stack.nats.url, KUNMING, hazard.name, 5)
    assert [e.kind for e in events][-2:] == [
        HazardEvent.Kind.KIND_OVERDUE,
        HazardEvent.Kind.KIND_RECTIFICATION_SUBMITTED,
    ]


@pytest.mark.parametrize("working_days", [300, 400])
async def test_working_days_reaching_past_a_year_are_refused(
    stack: HazardStack, inspector: Caller, working_days: int
) -> None:
    hazard = await inspector.report()
    hazard = await inspector.hazards.GradeHazard(
        hazard_pb2.GradeHazardRequest(
            name=hazard.name, etag=hazard.etag, grade=hazard_pb2.HAZARD_GRADE_GENERAL
        ),
        metadata=inspector.metadata,
    )
    stack.clock.instant = datetime(2026, 9, 30, 10, 0, tzinfo=CHINA_STANDARD_TIME)
    # A year the package lacks, invented for the test, so 300 working days can be counted.
    invented = YearArrangement(source="test data", holidays=frozenset(), workdays=frozenset())
    use_calendar({2027: invented})
    try:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await inspector.hazards.AssignRectification(
                hazard_pb2.AssignRectificationRequest(
                    name=hazard.name,
                    etag=hazard.etag,
                    working_days=working_days,
                    measures="整改",
                    responsible_person="王五",
                ),
                metadata=inspector.metadata,
            )
    finally:
        use_calendar({})

    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "working_days" in refused.value.details()
    assert "more than a year ahead" in refused.value.details()
