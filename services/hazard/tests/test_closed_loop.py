"""The whole closed loop over real gRPC: report → grade → rectify → re-inspect → accept → close."""

from google.type.date_pb2 import Date
from hazard_support import KUNMING, Caller, HazardStack, hazard_events, token

from anjian.events.v1.hazard_events_pb2 import HazardEvent
from anjian.hazard.v1 import hazard_pb2
from anjian_kernel.auth import Role

K = HazardEvent.Kind


async def test_major_hazard_goes_round_the_loop_and_is_announced_in_order(
    stack: HazardStack, inspector: Caller
) -> None:
    reported = await inspector.report()
    enterprise = stack.caller(
        token(KUNMING, Role.ENTERPRISE, enterprise=reported.enterprise_credit_code)
    )
    md = inspector.metadata
    stub = inspector.hazards

    graded = await stub.GradeHazard(
        hazard_pb2.GradeHazardRequest(
            name=reported.name,
            etag=reported.etag,
            grade=hazard_pb2.HAZARD_GRADE_MAJOR,
            criterion=hazard_pb2.MajorHazardCriterion(
                standard="chemicals", standard_version="2017", item="CH-2017-01"
            ),
            reason="判定为重大事故隐患",
        ),
        metadata=md,
    )
    listed = await stub.PlaceUnderListedSupervision(
        hazard_pb2.PlaceUnderListedSupervisionRequest(
            name=graded.name,
            etag=graded.etag,
            authority="昆明市应急管理局",
            document_number="昆应急督〔2026〕1号",
        ),
        metadata=md,
    )
    assigned = await stub.AssignRectification(
        hazard_pb2.AssignRectificationRequest(
            name=listed.name,
            etag=listed.etag,
            deadline=Date(year=2026, month=11, day=20),
            measures="停产整改，更换接地线",
            responsible_person="张三",
            production_stopped=True,
        ),
        metadata=md,
    )
    submitted = await enterprise.hazards.SubmitRectification(
        hazard_pb2.SubmitRectificationRequest(
            name=assigned.name, etag=assigned.etag, report="已更换"
        ),
        metadata=enterprise.metadata,
    )
    sent_back = await stub.SendBackHazard(
        hazard_pb2.SendBackHazardRequest(
            name=submitted.name, etag=submitted.etag, reason="接地电阻仍超标"
        ),
        metadata=md,
    )
    resubmitted = await enterprise.hazards.SubmitRectification(
        hazard_pb2.SubmitRectificationRequest(
            name=sent_back.name, etag=sent_back.etag, report="重新施工，电阻合格"
        ),
        metadata=enterprise.metadata,
    )
    reinspected = await stub.ReinspectHazard(
        hazard_pb2.ReinspectHazardRequest(name=resubmitted.name, etag=resubmitted.etag), metadata=md
    )
    accepted = await stub.AcceptHazard(
        hazard_pb2.AcceptHazardRequest(name=reinspected.name, etag=reinspected.etag), metadata=md
    )
    closed = await stub.CloseHazard(
        hazard_pb2.CloseHazardRequest(name=accepted.name, etag=accepted.etag), metadata=md
    )

    assert closed.state == hazard_pb2.HAZARD_STATE_CLOSED
    assert closed.version == 10
    assert closed.send_back_count == 1
    assert closed.criterion.standard_version == "2017"
    assert closed.criterion.item_text
    assert closed.listed_supervision.HasField("delist_time")
    assert not closed.overdue

    events = await stack_events(stack, closed.name, 10)
    assert [e.kind for e in events] == [
        K.KIND_REPORTED,
        K.KIND_GRADED,
        K.KIND_LISTED_SUPERVISION,
        K.KIND_RECTIFICATION_ASSIGNED,
        K.KIND_RECTIFICATION_SUBMITTED,
        K.KIND_SENT_BACK,
        K.KIND_RECTIFICATION_SUBMITTED,
        K.KIND_REINSPECTED,
        K.KIND_ACCEPTED,
        K.KIND_CLOSED,
    ]
    assert [e.metadata.resource_version for e in events] == list(range(1, 11))

    trail = await stub.ListHazardAuditRecords(
        hazard_pb2.ListHazardAuditRecordsRequest(name=closed.name), metadata=md
    )
    assert [r.to_state for r in trail.audit_records][-1] == "CLOSED"
    assert len(trail.audit_records) == 10
    assert {r.actor_role for r in trail.audit_records} == {"inspector", "enterprise"}


async def stack_events(stack: HazardStack, name: str, count: int) -> list[HazardEvent]:
    return await hazard_events(stack.nats.url, KUNMING, name, count)
