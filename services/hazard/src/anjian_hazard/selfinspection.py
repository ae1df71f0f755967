"""The SelfInspectionService: enterprises' own checklists (一企一标准) and monthly returns."""

import re
import uuid
from datetime import datetime
from typing import Any, NoReturn

from sqlalchemy import Row, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from anjian.hazard.v1 import hazard_pb2, hazard_pb2_grpc
from anjian_hazard.names import parse_resource
from anjian_hazard.tables import checklists, hazards, self_inspection_returns
from anjian_hazard.validation import check_credit_code
from anjian_kernel.auth import Principal, Role, current_principal
from anjian_kernel.clock import Clock, china_date
from anjian_kernel.database import TenantDatabases
from anjian_kernel.errors import (
    AlreadyExists,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Violations,
)
from anjian_kernel.identifiers import check_replay, request_fingerprint
from anjian_kernel.interceptors import ServicerContext
from anjian_kernel.messages import timestamp
from anjian_kernel.paging import next_token, page_of
from anjian_kernel.resources import check_parent, parent_name

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_WRITERS = (Role.ENTERPRISE, Role.ADMIN)
_MAX_ITEMS = 500


class SelfInspectionService(hazard_pb2_grpc.SelfInspectionServiceServicer):
    """gRPC methods for checklists and monthly self-inspection returns."""

    def __init__(self, databases: TenantDatabases, clock: Clock) -> None:
        self._databases = databases
        self._clock = clock

    async def CreateChecklist(
        self, request: hazard_pb2.CreateChecklistRequest, context: ServicerContext
    ) -> hazard_pb2.Checklist:
        """Store a new version of an enterprise's checklist."""
        principal = current_principal()
        principal.require(*_WRITERS)
        check_parent(principal, request.parent)
        violations = Violations()
        code = check_credit_code(
            violations, "checklist.enterprise_credit_code", request.checklist.enterprise_credit_code
        )
        items = request.checklist.items
        violations.check(
            0 < len(items) <= _MAX_ITEMS, "checklist.items", f"between 1 and {_MAX_ITEMS} items"
        )
        codes = [item.code for item in items]
        violations.check(len(set(codes)) == len(codes), "checklist.items", "item codes repeat")
        for index, item in enumerate(items):
            violations.check(
                0 < len(item.code) <= 40,
                f"checklist.items[{index}].code",
                "required, at most 40 characters",
            )
            violations.check(
                0 < len(item.text) <= 1000,
                f"checklist.items[{index}].text",
                "required, at most 1000 characters",
            )
        violations.raise_if_any()
        require_own(principal, code)

        now = self._clock.now()
        async with self._databases.begin(principal.tenant) as connection:
            # One writer per enterprise at a time, so versions never collide.
            await connection.execute(select(func.pg_advisory_xact_lock(func.hashtext(code))))
            latest = await connection.scalar(
                select(func.max(checklists.c.version)).where(
                    checklists.c.enterprise_credit_code == code
                )
            )
            row = (
                await connection.execute(
                    insert(checklists)
                    .values(
                        enterprise_credit_code=code,
                        version=(latest or 0) + 1,
                        items=[{"code": i.code, "text": i.text} for i in items],
                        created_at=now,
                        author=principal.subject,
                    )
                    .returning(*checklists.c)
                )
            ).one()
        return to_checklist(row, principal.tenant)

    async def GetChecklist(
        self, request: hazard_pb2.GetChecklistRequest, context: ServicerContext
    ) -> hazard_pb2.Checklist:
        """The current version of an enterprise's checklist."""
        principal = current_principal()
        code = checklist_enterprise(principal, request.name)
        row = await self._current_checklist(principal, code)
        if row is None:
            raise NotFound("checklist not found")
        return to_checklist(row, principal.tenant)

    async def _current_checklist(self, principal: Principal, code: str) -> Row[Any] | None:
        if not principal.may_act_for(code):
            return None
        async with self._databases.engine(principal.tenant).connect() as connection:
            return (
                await connection.execute(
                    select(checklists)
                    .where(checklists.c.enterprise_credit_code == code)
                    .order_by(checklists.c.version.desc())
                    .limit(1)
                )
            ).one_or_none()

    async def SubmitSelfInspectionReturn(
        self,
        request: hazard_pb2.SubmitSelfInspectionReturnRequest,
        context: ServicerContext,
    ) -> hazard_pb2.SelfInspectionReturn:
        """File a month's return against the current checklist; one per enterprise and month."""
        principal = current_principal()
        principal.require(*_WRITERS)
        check_parent(principal, request.parent)
        filed = request.self_inspection_return
        violations = Violations()
        code = check_credit_code(
            violations,
            "self_inspection_return.enterprise_credit_code",
            filed.enterprise_credit_code,
        )
        now = self._clock.now()
        check_month(violations, filed.month, now)
        violations.check(len(request.request_id) <= 100, "request_id", "at most 100 characters")
        violations.raise_if_any()
        require_own(principal, code)

        checklist = await self._current_checklist(principal, code)
        if checklist is None:
            raise_on(
                "self_inspection_return.enterprise_credit_code",
                "the enterprise has no checklist yet; create one first",
            )
        hazard_ids = check_results(principal, filed, checklist, violations)
        violations.raise_if_any()

        async with self._databases.begin(principal.tenant) as connection:
            await check_hazards_exist(connection, hazard_ids, code)
            row = (
                await connection.execute(
                    insert(self_inspection_returns)
                    .values(
                        id=uuid.uuid4(),
                        request_id=request.request_id or None,
                        request_fingerprint=request_fingerprint(request),
                        enterprise_credit_code=code,
                        month=filed.month,
                        checklist_version=checklist.version,
                        results=[
                            {"code": r.code, "compliant": r.compliant, "notes": r.notes}
                            for r in filed.results
                        ],
                        hazards=list(filed.hazards),
                        created_at=now,
                        author=principal.subject,
                    )
                    .on_conflict_do_nothing()
                    .returning(*self_inspection_returns.c)
                )
            ).one_or_none()
            if row is None:
                row = await replay_or_conflict(connection, request, code)
        return to_return(row, principal.tenant)

    async def ListSelfInspectionReturns(
        self,
        request: hazard_pb2.ListSelfInspectionReturnsRequest,
        context: ServicerContext,
    ) -> hazard_pb2.ListSelfInspectionReturnsResponse:
        """Returns in the caller's scope, newest month first."""
        principal = current_principal()
        check_parent(principal, request.parent)
        table = self_inspection_returns
        conditions: list[Any] = []
        if principal.role is Role.ENTERPRISE:
            conditions.append(table.c.enterprise_credit_code == principal.enterprise)
        if request.enterprise_credit_code:
            conditions.append(
                table.c.enterprise_credit_code == request.enterprise_credit_code.strip().upper()
            )
        if request.month:
            conditions.append(table.c.month == request.month)
        query = (request.enterprise_credit_code, request.month)
        page = page_of(request.page_size, request.page_token, query, default=50, maximum=500)
        async with self._databases.engine(principal.tenant).connect() as connection:
            total = await connection.scalar(
                select(func.count()).select_from(table).where(*conditions)
            )
            rows = (
                await connection.execute(
                    select(table)
                    .where(*conditions)
                    .order_by(table.c.month.desc(), table.c.enterprise_credit_code)
                    .offset(page.offset)
                    .limit(page.size)
                )
            ).all()
        return hazard_pb2.ListSelfInspectionReturnsResponse(
            self_inspection_returns=[to_return(row, principal.tenant) for row in rows],
            next_page_token=next_token(page, len(rows), total or 0, query),
        )


def require_own(principal: Principal, code: str) -> None:
    """Refuse an enterprise caller acting for another enterprise."""
    if not principal.may_act_for(code):
        raise PermissionDenied("an enterprise may only file for itself")


def raise_on(field: str, description: str) -> NoReturn:
    """Raise INVALID_ARGUMENT for one field."""
    raise InvalidArgument([FieldViolation(field, description)])


def check_month(violations: Violations, month: str, now: datetime) -> None:
    """A month is `YYYY-MM` and not later than the current month (CST)."""
    if not _MONTH.match(month):
        violations.add("self_inspection_return.month", "must be YYYY-MM")
    elif month > china_date(now).strftime("%Y-%m"):
        violations.add("self_inspection_return.month", "is in the future")


def check_results(
    principal: Principal,
    filed: hazard_pb2.SelfInspectionReturn,
    checklist: Row[Any],
    violations: Violations,
) -> list[uuid.UUID]:
    """Results must cover each checklist item once; non-compliance needs notes."""
    expected = {item["code"] for item in checklist.items}
    given = [result.code for result in filed.results]
    if sorted(given) != sorted(expected):
        violations.add(
            "self_inspection_return.results",
            f"must give one result for each of the {len(expected)} items of "
            f"checklist version {checklist.version}",
        )
    for index, result in enumerate(filed.results):
        if not result.compliant and not result.notes.strip():
            violations.add(
                f"self_inspection_return.results[{index}].notes",
                "required when the item is not compliant",
            )
    ids = []
    for index, name in enumerate(filed.hazards):
        try:
            ids.append(
                parse_resource(
                    principal, name, "hazards", f"self_inspection_return.hazards[{index}]"
                )
            )
        except NotFound:
            violations.add(f"self_inspection_return.hazards[{index}]", "no such hazard")
    return ids


async def check_hazards_exist(
    connection: AsyncConnection, hazard_ids: list[uuid.UUID], code: str
) -> None:
    """Every hazard a return cites exists and is the enterprise's own."""
    if not hazard_ids:
        return
    found = set(
        (
            await connection.execute(
                select(hazards.c.id).where(
                    hazards.c.id.in_(hazard_ids), hazards.c.enterprise_credit_code == code
                )
            )
        ).scalars()
    )
    missing = [index for index, hazard_id in enumerate(hazard_ids) if hazard_id not in found]
    if missing:
        raise_on(
            f"self_inspection_return.hazards[{missing[0]}]", "no such hazard of this enterprise"
        )


async def replay_or_conflict(
    connection: AsyncConnection, request: hazard_pb2.SubmitSelfInspectionReturnRequest, code: str
) -> Row[Any]:
    """The return an earlier call with this request_id filed, or why this one is refused."""
    table = self_inspection_returns
    if request.request_id:
        row = (
            await connection.execute(select(table).where(table.c.request_id == request.request_id))
        ).one_or_none()
        if row is not None:
            check_replay(row.request_fingerprint, request_fingerprint(request))
            return row
    month = request.self_inspection_return.month
    raise AlreadyExists(f"a return for {month} was already filed for enterprise {code}")


def checklist_enterprise(principal: Principal, name: str) -> str:
    """The enterprise code in `prefectures/{p}/checklists/{code}`."""
    parts = name.split("/")
    if len(parts) != 4 or parts[0] != "prefectures" or parts[2] != "checklists":
        raise_on("name", "must look like prefectures/530100/checklists/<credit code>")
    if parts[1] != principal.tenant:
        raise NotFound("checklist not found")
    return parts[3].strip().upper()


def to_checklist(row: Row[Any], tenant: str) -> hazard_pb2.Checklist:
    """A checklist row as the API's Checklist."""
    return hazard_pb2.Checklist(
        name=f"{parent_name(tenant)}/checklists/{row.enterprise_credit_code}",
        enterprise_credit_code=row.enterprise_credit_code,
        version=row.version,
        items=[hazard_pb2.ChecklistItem(code=i["code"], text=i["text"]) for i in row.items],
        create_time=timestamp(row.created_at),
    )


def to_return(row: Row[Any], tenant: str) -> hazard_pb2.SelfInspectionReturn:
    """A return row as the API's SelfInspectionReturn."""
    return hazard_pb2.SelfInspectionReturn(
        name=f"{parent_name(tenant)}/selfInspectionReturns/{row.id}",
        enterprise_credit_code=row.enterprise_credit_code,
        month=row.month,
        checklist_version=row.checklist_version,
        results=[
            hazard_pb2.ItemResult(code=r["code"], compliant=r["compliant"], notes=r["notes"])
            for r in row.results
        ],
        hazards=row.hazards,
        create_time=timestamp(row.created_at),
    )
