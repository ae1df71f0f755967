"""Case hazard-stale-transition: a late step on a closed hazard is refused, audited, silent."""

import grpc
import pytest
from google.type.date_pb2 import Date
from hazard_support import KUNMING, Caller, HazardStack, hazard_events, token

from anjian.common.v1 import audit_pb2
from anjian.hazard.v1 import hazard_pb2
from anjian_kernel.auth import Role


async def close_general_hazard(
    inspector: Caller, enterprise: Caller, hazard: hazard_pb2.Hazard
) -> tuple[str, hazard_pb2.Hazard]:
    """Take a reported hazard to CLOSED; returns the etag the enterprise saw last, and the end."""
    md = inspector.metadata
    stub = inspector.hazards
    hazard = await stub.GradeHazard(
        hazard_pb2.GradeHazardRequest(
            name=hazard.name, etag=hazard.etag, grade=hazard_pb2.HAZARD_GRADE_GENERAL
        ),
        metadata=md,
    )
    hazard = await stub.AssignRectification(
        hazard_pb2.AssignRectificationRequest(
            name=hazard.name,
            etag=hazard.etag,
            deadline=Date(year=2026, month=11, day=30),
            measures="紧固接地线",
            responsible_person="李四",
        ),
        metadata=md,
    )
    enterprise_saw = hazard.etag
    hazard = await enterprise.hazards.SubmitRectification(
        hazard_pb2.SubmitRectificationRequest(name=hazard.name, etag=hazard.etag, report="已紧固"),
        metadata=enterprise.metadata,
    )
    hazard = await stub.ReinspectHazard(
        hazard_pb2.ReinspectHazardRequest(name=hazard.name, etag=hazard.etag), metadata=md
    )
    hazard = await stub.AcceptHazard(
        hazard_pb2.AcceptHazardRequest(name=hazard.name, etag=hazard.etag), metadata=md
    )
    hazard = await stub.CloseHazard(
        hazard_pb2.CloseHazardRequest(name=hazard.name, etag=hazard.etag), metadata=md
    )
    return enterprise_saw, hazard


async def test_hazard_stale_transition(stack: HazardStack, inspector: Caller) -> None:
    reported = await inspector.report()
    enterprise = stack.caller(
        token(KUNMING, Role.ENTERPRISE, enterprise=reported.enterprise_credit_code)
    )
    old_etag, closed = await close_general_hazard(inspector, enterprise, reported)
    assert closed.state == hazard_pb2.HAZARD_STATE_CLOSED

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await enterprise.hazards.SubmitRectification(
            hazard_pb2.SubmitRectificationRequest(
                name=closed.name, etag=old_etag, report="离线时提交的整改报告"
            ),
            metadata=enterprise.metadata,
        )

    assert refused.value.code() in {grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.ABORTED}
    assert "CLOSED" in refused.value.details()
    assert f"version {closed.version}" in refused.value.details()

    after = await inspector.hazards.GetHazard(
        hazard_pb2.GetHazardRequest(name=closed.name), metadata=inspector.metadata
    )
    assert after.state == hazard_pb2.HAZARD_STATE_CLOSED
    assert after.version == closed.version

    trail = await inspector.hazards.ListHazardAuditRecords(
        hazard_pb2.ListHazardAuditRecordsRequest(name=closed.name), metadata=inspector.metadata
    )
    last = trail.audit_records[-1]
    assert last.action == "SubmitRectification"
    assert last.outcome == audit_pb2.AuditRecord.OUTCOME_REFUSED
    assert last.from_state == last.to_state == "CLOSED"
    assert last.actor_role == "enterprise"

    events = await hazard_events(stack.nats.url, KUNMING, closed.name, 7)
    assert len(events) == 7
    assert max(e.metadata.resource_version for e in events) == closed.version


async def test_a_stale_etag_on_an_allowed_step_is_aborted(inspector: Caller) -> None:
    reported = await inspector.report()
    graded = await inspector.hazards.GradeHazard(
        hazard_pb2.GradeHazardRequest(
            name=reported.name, etag=reported.etag, grade=hazard_pb2.HAZARD_GRADE_GENERAL
        ),
        metadata=inspector.metadata,
    )

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await inspector.hazards.AssignRectification(
            hazard_pb2.AssignRectificationRequest(
                name=graded.name,
                etag=reported.etag,
                working_days=5,
                measures="m",
                responsible_person="p",
            ),
            metadata=inspector.metadata,
        )

    assert refused.value.code() == grpc.StatusCode.ABORTED
    assert f"version {graded.version}" in refused.value.details()
