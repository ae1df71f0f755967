"""The audit trail: every attempted state change, applied or refused, with who, when and why."""

from dataclasses import dataclass
from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from anjian.common.v1 import audit_pb2
from anjian_kernel.auth import Principal
from anjian_kernel.tables import KernelTables
from anjian_kernel.telemetry import current_trace_id

APPLIED = "APPLIED"
REFUSED = "REFUSED"


@dataclass(frozen=True)
class Attempt:
    """One attempted change of a resource."""

    resource: str
    action: str
    from_state: str
    to_state: str
    version: int
    reason: str = ""
    request_id: str = ""


async def record(
    connection: AsyncConnection,
    tables: KernelTables,
    principal: Principal,
    attempt: Attempt,
    *,
    at: datetime,
    outcome: str,
) -> None:
    """Write an audit record inside the caller's transaction."""
    await connection.execute(
        tables.audit_records.insert().values(
            resource=attempt.resource,
            action=attempt.action,
            actor=principal.subject,
            actor_role=principal.role.value,
            created_at=at,
            from_state=attempt.from_state,
            to_state=attempt.to_state,
            reason=attempt.reason,
            outcome=outcome,
            version=attempt.version,
            request_id=attempt.request_id,
            trace_id=current_trace_id(),
        )
    )


def to_proto(row: Row[tuple[object, ...]]) -> audit_pb2.AuditRecord:
    """An audit row as the API's AuditRecord."""
    created = Timestamp()
    created.FromDatetime(row.created_at)
    outcome = {
        APPLIED: audit_pb2.AuditRecord.OUTCOME_APPLIED,
        REFUSED: audit_pb2.AuditRecord.OUTCOME_REFUSED,
    }[row.outcome]
    return audit_pb2.AuditRecord(
        sequence=row.sequence,
        resource=row.resource,
        action=row.action,
        actor=row.actor,
        actor_role=row.actor_role,
        create_time=created,
        from_state=row.from_state,
        to_state=row.to_state,
        reason=row.reason,
        outcome=outcome,
        version=row.version,
        request_id=row.request_id,
    )
