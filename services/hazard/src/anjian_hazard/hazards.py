"""The HazardService: the closed loop of a hazard over gRPC.

Every applied change commits the new row, its audit record and its events
together. A refused step (out of order, stale etag) commits only its audit
record and is answered FAILED_PRECONDITION or ABORTED, naming the current
state and version; bad input is answered INVALID_ARGUMENT and stores nothing.
"""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CTE,
    Row,
    Select,
    Table,
    and_,
    any_,
    bindparam,
    exists,
    func,
    select,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import array, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from anjian.events.v1.hazard_events_pb2 import HazardEvent
from anjian.hazard.v1 import hazard_pb2, hazard_pb2_grpc
from anjian_hazard import lifecycle, records
from anjian_hazard.lifecycle import Step, state_name
from anjian_hazard.listings import ReviewIntervals, is_listed
from anjian_hazard.names import hazard_name, parse_resource
from anjian_hazard.standards import criterion_text, load_standards
from anjian_hazard.tables import hazards, kernel, listed_enterprises
from anjian_hazard.validation import MAX_DEADLINE_AHEAD, check_report, check_text
from anjian_kernel import audit, messages
from anjian_kernel.auth import Principal, Role, current_principal
from anjian_kernel.bus import subject
from anjian_kernel.clock import Clock, china_date, end_of_china_day
from anjian_kernel.database import DriverStatement, TenantDatabases
from anjian_kernel.errors import (
    Aborted,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ServiceError,
    Violations,
)
from anjian_kernel.identifiers import check_replay, request_fingerprint
from anjian_kernel.interceptors import ServicerContext
from anjian_kernel.outbox import enqueue
from anjian_kernel.paging import next_token, page_of
from anjian_kernel.resources import check_parent
from anjian_kernel.telemetry import current_trace_id, inject_context
from anjian_kernel.workdays import CalendarUnknownError, add_working_days

K = HazardEvent.Kind
SYSTEM = Principal(subject="system", tenant="", role=Role.ADMIN)


@dataclass
class Change:
    """What an applied step writes: new column values and the events it announces."""

    values: dict[str, Any]
    kinds: list["HazardEvent.Kind.ValueType"]
    reason: str = ""
    closed_late: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


Plan = Callable[[AsyncConnection, Row[Any], datetime], Awaitable[Change]]


class HazardStore:
    """Reads and changes hazards in a tenant's database on behalf of a principal."""

    def __init__(self, databases: TenantDatabases, clock: Clock) -> None:
        self.databases = databases
        self.clock = clock

    async def locked(
        self, connection: AsyncConnection, principal: Principal, hazard_id: uuid.UUID
    ) -> Row[Any]:
        """The hazard row, locked for update, or NOT_FOUND if missing or outside scope."""
        row = (
            await connection.execute(
                select(hazards).where(hazards.c.id == hazard_id).with_for_update()
            )
        ).one_or_none()
        if row is None or not visible(principal, row):
            raise NotFound("hazard not found")
        return row

    async def change(
        self, principal: Principal, step: Step, name: str, etag: str, plan: Plan
    ) -> hazard_pb2.Hazard:
        """Take one step of the loop on a hazard: refuse and audit it, or apply and announce it."""
        principal.require(*step.roles)
        hazard_id = parse_resource(principal, name, "hazards", "name")
        if not etag:
            raise InvalidArgument([FieldViolation("etag", "required: the etag of the hazard read")])
        refusal: ServiceError | None = None
        async with self.databases.begin(principal.tenant) as connection:
            row = await self.locked(connection, principal, hazard_id)
            now = self.clock.now()
            refusal = refusal_of(step, row, etag)
            if refusal is not None:
                attempt = audit.Attempt(
                    name, step.action, row.state, row.state, row.version, reason=refusal.message
                )
                await audit.record(
                    connection, kernel, principal, attempt, at=now, outcome=audit.REFUSED
                )
            else:
                change = await plan(connection, row, now)
                updated = await apply(connection, principal, step, row, change, now)
        if refusal is not None:
            raise refusal
        return records.to_hazard(updated, principal.tenant)


def visible(principal: Principal, row: Row[Any]) -> bool:
    """Whether the caller's scope covers the hazard (its enterprise, its county)."""
    return principal.may_act_for(row.enterprise_credit_code) and principal.may_see_county(
        row.county_code
    )


def refusal_of(step: Step, row: Row[Any], etag: str) -> ServiceError | None:
    """Why the step cannot be taken now, or None. State is checked before version."""
    current = hazard_pb2.HazardState.Value(f"HAZARD_STATE_{row.state}")
    if current not in step.from_states:
        allowed = ", ".join(sorted(state_name(state) for state in step.from_states))
        return FailedPrecondition(
            f"{step.action} needs state {allowed}; the hazard is {row.state} at version "
            f"{row.version}",
            subject=hazard_name("", row.id).split("/", 2)[-1],
        )
    if etag != messages.etag(row.version):
        return Aborted(
            f"stale etag {etag!r}: the hazard is {row.state} at version {row.version}; "
            "read it again and retry"
        )
    return None


async def apply(
    connection: AsyncConnection,
    principal: Principal,
    step: Step,
    row: Row[Any],
    change: Change,
    now: datetime,
) -> Row[Any]:
    """Write the change, its audit record and its events in the caller's transaction."""
    values = {**change.values, "updated_at": now, "version": row.version + 1}
    if step.to_state is not None:
        values["state"] = state_name(step.to_state)
    updated = (
        await connection.execute(
            update(hazards)
            .where(and_(hazards.c.id == row.id, hazards.c.version == row.version))
            .values(**values)
            .returning(*hazards.c)
        )
    ).one()
    tenant = principal.tenant
    name = hazard_name(tenant, row.id)
    attempt = audit.Attempt(
        name, step.action, row.state, updated.state, updated.version, reason=change.reason
    )
    await audit.record(connection, kernel, principal, attempt, at=now, outcome=audit.APPLIED)
    await announce(
        connection,
        principal,
        updated,
        row.state,
        change.kinds,
        now,
        reason=change.reason,
        closed_late=change.closed_late,
    )
    return updated


async def announce(
    connection: AsyncConnection,
    principal: Principal,
    row: Row[Any],
    from_state: str,
    kinds: list["HazardEvent.Kind.ValueType"],
    now: datetime,
    *,
    reason: str = "",
    closed_late: bool = False,
) -> None:
    """Put one event per kind into the outbox, in order."""
    tenant = principal.tenant or row.tenant
    snapshot = records.to_hazard(row, tenant)
    for kind in kinds:
        event_id = uuid.uuid4()
        event = records.hazard_event(
            event_id=event_id,
            kind=kind,
            hazard=snapshot,
            tenant=tenant,
            actor=principal.subject,
            at=now,
            from_state=hazard_pb2.HazardState.Value(f"HAZARD_STATE_{from_state}"),
            reason=reason,
            closed_late=closed_late,
        )
        await enqueue(
            connection,
            kernel,
            subject=subject(tenant, "hazard", records.subject_suffix(kind)),
            event=event,
            event_id=event_id,
            aggregate=snapshot.name,
        )


REPORTED_COLUMNS = (
    "id",
    "request_id",
    "enterprise_credit_code",
    "enterprise_name",
    "county_code",
    "title",
    "description",
    "location",
    "industry",
    "reporter",
    "find_time",
    "created_at",
    "updated_at",
    "request_fingerprint",
)
"""Columns of a new hazard that come from the report; REPORT sets the others itself."""


def report_lookup_statement() -> Select[Any]:
    """What a new report is stamped with: its likely duplicate and whether it is listed.

    Parameters: the new hazard's `enterprise_credit_code`, `title` and `location`, as
    REPORT stores them. Read before REPORT, under READ COMMITTED as a lookup inside
    REPORT would be: a duplicate reported at the same moment is not seen by either.
    """
    likely = (
        select(hazards.c.id)
        .where(
            hazards.c.enterprise_credit_code == bindparam("enterprise_credit_code"),
            hazards.c.title == bindparam("title"),
            hazards.c.location == bindparam("location"),
            hazards.c.state == any_(array(sorted(map(state_name, lifecycle.OPEN_STATES)))),
        )
        .limit(1)
        .scalar_subquery()
    )
    listed = exists().where(listed_enterprises.c.credit_code == bindparam("enterprise_credit_code"))
    return select(likely.label("likely_duplicate_of"), listed.label("closer_inspection"))


REPORT_LOOKUP = DriverStatement.compile(report_lookup_statement())


def report_values(
    request: hazard_pb2.ReportHazardRequest, principal: Principal, code: str, now: datetime
) -> dict[str, Any]:
    """Parameters of REPORT_LOOKUP and of REPORT's hazard, for one request under a new id."""
    hazard = request.hazard
    return {
        "id": uuid.uuid4(),
        "request_id": request.request_id or None,
        "enterprise_credit_code": code,
        "enterprise_name": hazard.enterprise_name,
        "county_code": hazard.county_code,
        "title": hazard.title,
        "description": hazard.description,
        "location": hazard.location,
        "industry": hazard.industry,
        "reporter": principal.subject,
        "find_time": hazard.find_time.ToDatetime(tzinfo=now.tzinfo)
        if hazard.HasField("find_time")
        else now,
        "created_at": now,
        "updated_at": now,
        "request_fingerprint": request_fingerprint(request),
    }


AUDITED_COLUMNS = ("resource", "actor", "actor_role", "created_at", "request_id", "trace_id")
OUTBOX_COLUMNS = ("event_id", "subject", "payload", "headers", "aggregate")


def once_per(rows: CTE, table: Table, values: dict[str, Any]) -> Select[Any]:
    """A row of `values`, typed as `table`'s columns of the same names, for each of `rows`."""
    columns = (type_coerce(value, table.c[name].type) for name, value in values.items())
    return select(*columns).select_from(rows)


def report_statement() -> Select[Any]:
    """The reported hazard, its audit record and its `hazard.reported` event, in one statement.

    One statement is one transaction, so the three rows commit together without a BEGIN
    and a COMMIT of their own. The audit record and the outbox row are the ones
    `audit.record` and `outbox.enqueue` write; both are inserted from what the hazard's
    INSERT returns, so a retry whose request_id is stored already writes none of the
    three. The statement answers how many hazards it stored: 1, or 0 for such a retry.

    Parameters are named after REPORTED_COLUMNS, `likely_duplicate_of` and
    `closer_inspection` (from REPORT_LOOKUP), `audit_` + AUDITED_COLUMNS, and OUTBOX_COLUMNS.
    """
    new_hazard = (
        insert(hazards)
        .values(
            **{name: bindparam(name) for name in REPORTED_COLUMNS},
            state=state_name(hazard_pb2.HAZARD_STATE_REPORTED),
            grade="UNSPECIFIED",
            likely_duplicate_of=bindparam("likely_duplicate_of"),
            overdue=False,
            send_back_count=0,
            production_stopped=False,
            closer_inspection=bindparam("closer_inspection"),
            version=1,
        )
        .on_conflict_do_nothing(index_elements=["request_id"])
        .returning(hazards.c.id)
        .cte("new_hazard")
    )
    audit_values = {
        **{name: bindparam(f"audit_{name}") for name in AUDITED_COLUMNS},
        "action": "ReportHazard",
        "from_state": "UNSPECIFIED",
        "to_state": state_name(hazard_pb2.HAZARD_STATE_REPORTED),
        "reason": "",
        "outcome": audit.APPLIED,
        "version": 1,
    }
    audit_record = (
        kernel.audit_records.insert()
        .from_select(list(audit_values), once_per(new_hazard, kernel.audit_records, audit_values))
        .cte("audit_record")
    )
    event_values: dict[str, Any] = {name: bindparam(name) for name in OUTBOX_COLUMNS}
    event = (
        kernel.outbox.insert()
        .from_select(list(event_values), once_per(new_hazard, kernel.outbox, event_values))
        .cte("event")
    )
    return select(func.count()).select_from(new_hazard).add_cte(audit_record, event)


REPORT = DriverStatement.compile(report_statement())


def reported_hazard(values: dict[str, Any], tenant: str) -> hazard_pb2.Hazard:
    """The hazard REPORT stores with `values`, as `records.to_hazard` would read it back.

    Built from what the INSERT is given, so the reply and the event need no row from the
    database.
    """
    likely_duplicate_of = values["likely_duplicate_of"]
    version = 1
    hazard = hazard_pb2.Hazard(
        name=hazard_name(tenant, values["id"]),
        enterprise_credit_code=values["enterprise_credit_code"],
        enterprise_name=values["enterprise_name"],
        county_code=values["county_code"],
        title=values["title"],
        description=values["description"],
        location=values["location"],
        industry=values["industry"],
        state=hazard_pb2.HAZARD_STATE_REPORTED,
        grade=hazard_pb2.HAZARD_GRADE_UNSPECIFIED,
        likely_duplicate_of=hazard_name(tenant, likely_duplicate_of) if likely_duplicate_of else "",
        overdue=False,
        version=version,
        etag=messages.etag(version),
        reporter=values["reporter"],
        send_back_count=0,
        closer_inspection=values["closer_inspection"],
    )
    hazard.find_time.FromDatetime(values["find_time"])
    hazard.create_time.FromDatetime(values["created_at"])
    hazard.update_time.FromDatetime(values["updated_at"])
    return hazard


def report_records(
    request: hazard_pb2.ReportHazardRequest,
    principal: Principal,
    hazard: hazard_pb2.Hazard,
    now: datetime,
) -> dict[str, Any]:
    """REPORT's parameters for its audit record and its `hazard.reported` outbox row."""
    event_id = uuid.uuid4()
    event = records.hazard_event(
        event_id=event_id,
        kind=K.KIND_REPORTED,
        hazard=hazard,
        tenant=principal.tenant,
        actor=principal.subject,
        at=now,
        from_state=hazard_pb2.HAZARD_STATE_UNSPECIFIED,
    )
    return {
        "audit_resource": hazard.name,
        "audit_actor": principal.subject,
        "audit_actor_role": principal.role.value,
        "audit_created_at": now,
        "audit_request_id": request.request_id,
        "audit_trace_id": current_trace_id(),
        "event_id": event_id,
        "subject": subject(principal.tenant, "hazard", records.subject_suffix(K.KIND_REPORTED)),
        "payload": event.SerializeToString(),
        "headers": inject_context(),
        "aggregate": hazard.name,
    }


class HazardService(hazard_pb2_grpc.HazardServiceServicer):
    """gRPC methods of the hazard closed loop."""

    def __init__(
        self, databases: TenantDatabases, clock: Clock, review: ReviewIntervals | None = None
    ) -> None:
        self._store = HazardStore(databases, clock)
        self._databases = databases
        self._clock = clock
        self._intervals = review or ReviewIntervals()

    async def ReportHazard(
        self, request: hazard_pb2.ReportHazardRequest, context: ServicerContext
    ) -> hazard_pb2.Hazard:
        """Register a found hazard; a retry with the same request_id returns the same hazard."""
        principal = current_principal()
        principal.require(*lifecycle.REPORTERS)
        check_parent(principal, request.parent)
        now = self._clock.now()
        violations, code = check_report(request, principal.tenant, now)
        violations.raise_if_any()
        if not principal.may_act_for(code):
            raise PermissionDenied("an enterprise may only report its own hazards")
        if not principal.may_see_county(request.hazard.county_code):
            raise PermissionDenied(f"your token is scoped to county {principal.county}")

        values = report_values(request, principal, code, now)
        async with self._databases.driver_connection(principal.tenant) as connection:
            (found,) = await connection.fetch(REPORT_LOOKUP.sql, *REPORT_LOOKUP.arguments(values))
            values.update(found.items())
            hazard = reported_hazard(values, principal.tenant)
            values.update(report_records(request, principal, hazard, now))
            stored = await connection.fetchval(REPORT.sql, *REPORT.arguments(values))
        if stored:
            await self._databases.outbox_committed(principal.tenant)
            return hazard
        # An earlier call with this request_id stored its hazard: answer that one.
        async with self._databases.engine(principal.tenant).connect() as replay:
            return await self._replay(replay, principal, request)

    async def _replay(
        self,
        connection: AsyncConnection,
        principal: Principal,
        request: hazard_pb2.ReportHazardRequest,
    ) -> hazard_pb2.Hazard:
        """The hazard an earlier call with this request_id created, if this is its retry."""
        row = (
            await connection.execute(
                select(hazards).where(hazards.c.request_id == request.request_id)
            )
        ).one()
        check_replay(row.request_fingerprint, request_fingerprint(request))
        if not visible(principal, row):
            raise NotFound("hazard not found")
        return records.to_hazard(row, principal.tenant)

    async def GetHazard(
        self, request: hazard_pb2.GetHazardRequest, context: ServicerContext
    ) -> hazard_pb2.Hazard:
        """One hazard, if the caller's scope covers it."""
        principal = current_principal()
        hazard_id = parse_resource(principal, request.name, "hazards", "name")
        async with self._databases.engine(principal.tenant).connect() as connection:
            row = (
                await connection.execute(select(hazards).where(hazards.c.id == hazard_id))
            ).one_or_none()
        if row is None or not visible(principal, row):
            raise NotFound("hazard not found")
        return records.to_hazard(row, principal.tenant)

    async def ListHazards(
        self, request: hazard_pb2.ListHazardsRequest, context: ServicerContext
    ) -> hazard_pb2.ListHazardsResponse:
        """Hazards in the caller's scope, newest first, filtered and paged."""
        principal = current_principal()
        check_parent(principal, request.parent)
        conditions = list_conditions(principal, request)
        query = (
            request.state,
            request.county_code,
            request.enterprise_credit_code,
            request.grade,
            request.overdue_only,
        )
        page = page_of(request.page_size, request.page_token, query, default=50, maximum=500)
        async with self._databases.engine(principal.tenant).connect() as connection:
            total = await connection.scalar(
                select(func.count()).select_from(hazards).where(*conditions)
            )
            rows = (
                await connection.execute(
                    select(hazards)
                    .where(*conditions)
                    .order_by(hazards.c.created_at.desc(), hazards.c.id.desc())
                    .offset(page.offset)
                    .limit(page.size)
                )
            ).all()
        return hazard_pb2.ListHazardsResponse(
            hazards=[records.to_hazard(row, principal.tenant) for row in rows],
            next_page_token=next_token(page, len(rows), total or 0, query),
            total_size=total or 0,
        )

    async def GradeHazard(
        self, request: hazard_pb2.GradeHazardRequest, context: ServicerContext
    ) -> hazard_pb2.Hazard:
        """Grade as general, or as major with the criterion item and its standard's version."""
        violations = Violations()
        check_text(violations, "reason", request.reason, required=False)
        values: dict[str, Any] = {}
        if request.grade == hazard_pb2.HAZARD_GRADE_GENERAL:
            values["grade"] = "GENERAL"
        elif request.grade == hazard_pb2.HAZARD_GRADE_MAJOR:
            values["grade"] = "MAJOR"
            criterion = request.criterion
            text = criterion_text(criterion.standard, criterion.standard_version, criterion.item)
            if text is None:
                known = ", ".join(f"{s}/{v}" for s, v in sorted(load_standards()))
                violations.add(
                    "criterion",
                    "a major hazard needs an item of a known standard "
                    f"version ({known}); see ListMajorHazardStandards",
                )
            values.update(
                criterion_standard=criterion.standard,
                criterion_version=criterion.standard_version,
                criterion_item=criterion.item,
                criterion_text=text,
            )
        else:
            violations.add("grade", "must be HAZARD_GRADE_GENERAL or HAZARD_GRADE_MAJOR")
        violations.raise_if_any()

        async def plan(_: AsyncConnection, __: Row[Any], ___: datetime) -> Change:
            return Change(values, [K.KIND_GRADED], reason=request.reason)

        return await self._store.change(
            current_principal(), lifecycle.GRADE, request.name, request.etag, plan
        )

    async def AssignRectification(
        self, request: hazard_pb2.AssignRectificationRequest, context: ServicerContext
    ) -> hazard_pb2.Hazard:
        """Order rectification by a date or a count of working days (China Standard Time)."""
        today = china_date(self._clock.now())
        violations = Violations()
        check_text(violations, "measures", request.measures, required=True)
        check_text(violations, "responsible_person", request.responsible_person, required=True)
        deadline = rectification_deadline(request, today, violations)
        violations.raise_if_any()

        async def plan(_: AsyncConnection, __: Row[Any], ___: datetime) -> Change:
            return Change(
                {
                    "deadline": deadline,
                    "measures": request.measures,
                    "responsible_person": request.responsible_person,
                    "production_stopped": request.production_stopped,
                },
                [K.KIND_RECTIFICATION_ASSIGNED],
            )

        return await self._store.change(
            current_principal(), lifecycle.ASSIGN, request.name, request.etag, plan
        )

    async def SubmitRectification(
        self, request: hazard_pb2.SubmitRectificationRequest, context: ServicerContext
    ) -> hazard_pb2.Hazard:
        """The enterprise reports the rectification done; late submissions are marked overdue."""
        violations = Violations()
        check_text(violations, "report", request.report, required=True)
        violations.raise_if_any()

        async def plan(connection: AsyncConnection, row: Row[Any], now: datetime) -> Change:
            listed = await is_listed(connection, row.enterprise_credit_code)
            values: dict[str, Any] = {
                "rectification_report": request.report,
                "rectification_submitted_at": now,
                "review_due": self._intervals.due(china_date(now), listed),
            }
            kinds = [K.KIND_RECTIFICATION_SUBMITTED]
            if not row.overdue and now >= end_of_china_day(row.deadline):
                values.update(overdue=True, overdue_at=now)
                kinds.insert(0, K.KIND_OVERDUE)
            return Change(values, kinds)

        return await self._store.change(
            current_principal(), lifecycle.SUBMIT, request.name, request.etag, plan
        )

    async def ReinspectHazard(
        self, request: hazard_pb2.ReinspectHazardRequest, context: ServicerContext
    ) -> hazard_pb2.Hazard:
        """Re-inspection (复查) passed."""
        return await self._review(lifecycle.REINSPECT, request, K.KIND_REINSPECTED)

    async def AcceptHazard(
        self, request: hazard_pb2.AcceptHazardRequest, context: ServicerContext
    ) -> hazard_pb2.Hazard:
        """Acceptance (验收) passed."""
        return await self._review(lifecycle.ACCEPT, request, K.KIND_ACCEPTED)

    async def CloseHazard(
        self, request: hazard_pb2.CloseHazardRequest, context: ServicerContext
    ) -> hazard_pb2.Hazard:
        """Close (销号) an accepted hazard; listed supervision ends with it."""
        return await self._review(lifecycle.CLOSE, request, K.KIND_CLOSED)

    async def _review(
        self, step: Step, request: Any, kind: "HazardEvent.Kind.ValueType"
    ) -> hazard_pb2.Hazard:
        violations = Violations()
        check_text(violations, "notes", request.notes, required=False)
        violations.raise_if_any()

        async def plan(_: AsyncConnection, row: Row[Any], now: datetime) -> Change:
            values: dict[str, Any] = {}
            if step is lifecycle.CLOSE:
                values["closed_at"] = now
                if row.listed_at and not row.delisted_at:
                    values["delisted_at"] = now
            return Change(
                values,
                [kind],
                reason=request.notes,
                closed_late=step is lifecycle.CLOSE and row.overdue,
            )

        return await self._store.change(current_principal(), step, request.name, request.etag, plan)

    async def SendBackHazard(
        self, request: hazard_pb2.SendBackHazardRequest, context: ServicerContext
    ) -> hazard_pb2.Hazard:
        """Send a hazard under review back to rectification; the deadline stands."""
        violations = Violations()
        check_text(violations, "reason", request.reason, required=True)
        violations.raise_if_any()

        async def plan(_: AsyncConnection, row: Row[Any], __: datetime) -> Change:
            return Change(
                {"send_back_count": row.send_back_count + 1},
                [K.KIND_SENT_BACK],
                reason=request.reason,
            )

        return await self._store.change(
            current_principal(), lifecycle.SEND_BACK, request.name, request.etag, plan
        )

    async def MarkDuplicateHazard(
        self, request: hazard_pb2.MarkDuplicateHazardRequest, context: ServicerContext
    ) -> hazard_pb2.Hazard:
        """Close as a duplicate of an open hazard of the same enterprise, which stays open."""
        principal = current_principal()
        violations = Violations()
        check_text(violations, "reason", request.reason, required=False)
        if not request.original:
            violations.add("original", "required: the resource name of the original hazard")
        violations.raise_if_any()
        original_id = original_of(principal, request)

        async def plan(connection: AsyncConnection, row: Row[Any], now: datetime) -> Change:
            original = (
                await connection.execute(select(hazards).where(hazards.c.id == original_id))
            ).one_or_none()
            check_original(row, original)
            return Change(
                {"duplicate_of": original_id, "closed_at": now},
                [K.KIND_MARKED_DUPLICATE],
                reason=request.reason,
            )

        return await self._store.change(
            principal, lifecycle.MARK_DUPLICATE, request.name, request.etag, plan
        )

    async def PlaceUnderListedSupervision(
        self,
        request: hazard_pb2.PlaceUnderListedSupervisionRequest,
        context: ServicerContext,
    ) -> hazard_pb2.Hazard:
        """Put an open major hazard under listed supervision (挂牌督办)."""
        violations = Violations()
        check_text(violations, "authority", request.authority, required=True)
        check_text(violations, "document_number", request.document_number, required=True)
        violations.raise_if_any()

        async def plan(_: AsyncConnection, row: Row[Any], now: datetime) -> Change:
            if row.grade != "MAJOR":
                raise FailedPrecondition(
                    "only a major hazard can be put under listed "
                    f"supervision; this one is {row.grade}"
                )
            if row.listed_at:
                raise FailedPrecondition("the hazard is already under listed supervision")
            return Change(
                {
                    "listed_authority": request.authority,
                    "listed_document": request.document_number,
                    "listed_at": now,
                },
                [K.KIND_LISTED_SUPERVISION],
            )

        return await self._store.change(
            current_principal(), lifecycle.LIST_SUPERVISION, request.name, request.etag, plan
        )

    async def ListHazardAuditRecords(
        self,
        request: hazard_pb2.ListHazardAuditRecordsRequest,
        context: ServicerContext,
    ) -> hazard_pb2.ListHazardAuditRecordsResponse:
        """Every attempted change of a hazard in the caller's scope, oldest first."""
        principal = current_principal()
        hazard_id = parse_resource(principal, request.name, "hazards", "name")
        page = page_of(
            request.page_size, request.page_token, request.name, default=100, maximum=1000
        )
        table = kernel.audit_records
        async with self._databases.engine(principal.tenant).connect() as connection:
            row = (
                await connection.execute(select(hazards).where(hazards.c.id == hazard_id))
            ).one_or_none()
            if row is None or not visible(principal, row):
                raise NotFound("hazard not found")
            condition = table.c.resource == request.name
            total = await connection.scalar(select(func.count()).where(condition))
            rows = (
                await connection.execute(
                    select(table)
                    .where(condition)
                    .order_by(table.c.sequence)
                    .offset(page.offset)
                    .limit(page.size)
                )
            ).all()
        return hazard_pb2.ListHazardAuditRecordsResponse(
            audit_records=[audit.to_proto(row) for row in rows],
            next_page_token=next_token(page, len(rows), total or 0, request.name),
        )

    async def DetectOverdueHazards(
        self,
        request: hazard_pb2.DetectOverdueHazardsRequest,
        context: ServicerContext,
    ) -> hazard_pb2.DetectOverdueHazardsResponse:
        """Run overdue detection for the caller's tenant now."""
        principal = current_principal()
        principal.require(Role.ADMIN)
        check_parent(principal, request.parent)
        names = await detect_overdue(self._databases, self._clock, principal.tenant)
        return hazard_pb2.DetectOverdueHazardsResponse(newly_overdue=names)

    async def ListMajorHazardStandards(
        self,
        request: hazard_pb2.ListMajorHazardStandardsRequest,
        context: ServicerContext,
    ) -> hazard_pb2.ListMajorHazardStandardsResponse:
        """The national major-hazard checklists this service judges against."""
        current_principal()
        return hazard_pb2.ListMajorHazardStandardsResponse(
            standards=[
                hazard_pb2.MajorHazardStandard(
                    standard=standard.standard,
                    standard_version=standard.version,
                    title=standard.title,
                    items=[
                        hazard_pb2.MajorHazardStandardItem(item=code, text=text)
                        for code, text in standard.items.items()
                    ],
                )
                for _, standard in sorted(load_standards().items())
            ]
        )


def list_conditions(principal: Principal, request: hazard_pb2.ListHazardsRequest) -> list[Any]:
    """SQL conditions for the request's filters within the caller's scope."""
    conditions: list[Any] = []
    if principal.role is Role.ENTERPRISE:
        conditions.append(hazards.c.enterprise_credit_code == principal.enterprise)
    if principal.county:
        conditions.append(hazards.c.county_code == principal.county)
    if request.state:
        conditions.append(hazards.c.state == state_name(request.state))
    if request.county_code:
        conditions.append(hazards.c.county_code == request.county_code)
    if request.enterprise_credit_code:
        conditions.append(
            hazards.c.enterprise_credit_code == request.enterprise_credit_code.strip().upper()
        )
    if request.grade:
        conditions.append(
            hazards.c.grade
            == hazard_pb2.HazardGrade.Name(request.grade).removeprefix("HAZARD_GRADE_")
        )
    if request.overdue_only:
        conditions.append(hazards.c.overdue.is_(True))
    return conditions


def rectification_deadline(
    request: hazard_pb2.AssignRectificationRequest, today: date, violations: Violations
) -> date | None:
    """The deadline a request asks for, recording why it is unacceptable if it is."""
    has_date = request.HasField("deadline")
    if request.working_days < 0:
        violations.add("working_days", "must be positive")
        return None
    if has_date == (request.working_days > 0):
        violations.add("deadline", "set exactly one of deadline and working_days")
        return None
    if has_date:
        try:
            deadline = messages.from_date(request.deadline)
        except ValueError:
            violations.add("deadline", "not a calendar date")
            return None
        if deadline < today:
            violations.add("deadline", f"{deadline} is in the past (today is {today}, CST)")
        elif deadline > today + MAX_DEADLINE_AHEAD:
            violations.add("deadline", f"{deadline} is more than a year ahead")
        return deadline
    if request.working_days > MAX_DEADLINE_AHEAD.days:
        violations.add("working_days", "more than a year ahead")
        return None
    try:
        deadline = add_working_days(today, request.working_days)
    except CalendarUnknownError as error:
        violations.add("working_days", str(error))
        return None
    if deadline > today + MAX_DEADLINE_AHEAD:
        violations.add("working_days", f"ends on {deadline}, more than a year ahead")
    return deadline


def original_of(principal: Principal, request: hazard_pb2.MarkDuplicateHazardRequest) -> uuid.UUID:
    """The original's id; another prefecture's hazard is refused like a missing one."""
    try:
        original_id = parse_resource(principal, request.original, "hazards", "original")
    except NotFound as error:
        raise_invalid_original("no such hazard in your prefecture", error)
    if request.original == request.name:
        raise_invalid_original("a hazard cannot duplicate itself")
    return original_id


def check_original(row: Row[Any], original: Row[Any] | None) -> None:
    """Refuse an original that is missing, another enterprise's, or itself a duplicate."""
    if original is None:
        raise_invalid_original("no such hazard in your prefecture")
    elif original.enterprise_credit_code != row.enterprise_credit_code:
        raise_invalid_original("the original belongs to another enterprise")
    elif original.state == "DUPLICATE":
        raise_invalid_original("the original is itself closed as a duplicate")


def raise_invalid_original(description: str, cause: Exception | None = None) -> None:
    """Raise INVALID_ARGUMENT on the `original` field."""
    violations = Violations()
    violations.add("original", description)
    try:
        violations.raise_if_any()
    except ServiceError as error:
        raise error from cause


async def detect_overdue(databases: TenantDatabases, clock: Clock, tenant: str) -> list[str]:
    """Mark hazards whose rectification deadline has passed (China Standard Time) as overdue.

    Idempotent: a hazard is marked and announced once; a rerun finds nothing new.
    """
    now = clock.now()
    today = china_date(now)
    system = Principal(subject="system", tenant=tenant, role=Role.ADMIN)
    step = lifecycle.DETECT_OVERDUE
    names: list[str] = []
    async with databases.begin(tenant) as connection:
        rows = (
            await connection.execute(
                select(hazards)
                .where(
                    hazards.c.state == "RECTIFYING",
                    hazards.c.overdue.is_(False),
                    hazards.c.deadline < today,
                )
                .order_by(hazards.c.deadline)
                .with_for_update(skip_locked=True)
            )
        ).all()
        for row in rows:
            reason = f"rectification deadline {row.deadline} passed"
            change = Change({"overdue": True, "overdue_at": now}, [K.KIND_OVERDUE], reason=reason)
            updated = await apply(connection, system, step, row, change, now)
            names.append(hazard_name(tenant, updated.id))
    return names
