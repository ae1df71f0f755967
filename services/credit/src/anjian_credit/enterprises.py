"""The enterprise register, keyed by the normalised unified social credit code (GB 32100).

Self-registration needs a code that passes the check; an import from the
registration authority may keep a legacy code that fails it, marked as legacy.
An enterprise first seen in another service's event is registered from that event
so records never dangle; its own registration later completes the record.
"""

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from anjian.credit.v1 import credit_pb2
from anjian_credit import records, scoring
from anjian_credit.names import enterprise_name, parse_enterprise
from anjian_credit.rules import RuleBook
from anjian_credit.tables import enterprises, kernel, listings
from anjian_credit.validation import INDUSTRIES, SIZES, check_county, check_text
from anjian_kernel import audit
from anjian_kernel.auth import Principal, Role
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
from anjian_kernel.identifiers import (
    CreditCodeError,
    is_legacy_credit_code,
    normalise_credit_code,
    validate_credit_code,
)
from anjian_kernel.paging import next_token, page_of
from anjian_kernel.resources import check_parent
from anjian_kernel.tenancy import prefecture_of_county

SELF_REGISTRATION = "self-registration"
EVENT_SOURCE = "event:"
OFFICIALS = frozenset({Role.INSPECTOR, Role.ADMIN})
IMPORT_LIMIT = 1000


def sees_principal(principal: Principal, credit_code: str) -> bool:
    """Officials see an enterprise's principal, and so does the enterprise itself."""
    return principal.role in OFFICIALS or (
        principal.role is Role.ENTERPRISE and principal.enterprise == credit_code
    )


async def listed_codes(connection: AsyncConnection, codes: Sequence[str]) -> set[str]:
    """Which of `codes` are on the serious-dishonesty list now."""
    if not codes:
        return set()
    found = await connection.scalars(
        select(listings.c.credit_code)
        .where(listings.c.credit_code.in_(list(codes)), listings.c.state == "ACTIVE")
        .distinct()
    )
    return set(found)


async def describe(
    connection: AsyncConnection,
    book: RuleBook,
    principal: Principal,
    rows: Sequence[Row[Any]],
    today: date,
) -> list[credit_pb2.Enterprise]:
    """Enterprise rows as messages, with listing status and today's score."""
    codes = [row.credit_code for row in rows]
    listed = await listed_codes(connection, codes)
    found = await scoring.records_of(connection, codes, today)
    return [
        records.to_enterprise(
            row,
            principal.tenant,
            listed=row.credit_code in listed,
            score=scoring.compute(book, found[row.credit_code], today).value,
            with_principal=sees_principal(principal, row.credit_code),
        )
        for row in rows
    ]


async def find(connection: AsyncConnection, code: str, *, lock: bool = False) -> Row[Any] | None:
    """The enterprise with this (normalised) code, locked for update if asked."""
    query = select(enterprises).where(enterprises.c.credit_code == code)
    if lock:
        query = query.with_for_update()
    return (await connection.execute(query)).one_or_none()


async def ensure_from_event(
    connection: AsyncConnection,
    *,
    tenant: str,
    code: str,
    display_name: str,
    county: str,
    industry: str,
    source: str,
    at: datetime,
) -> None:
    """Register an enterprise first seen in an event, unless it is registered already."""
    await connection.execute(
        insert(enterprises)
        .values(
            credit_code=code,
            display_name=display_name or code,
            county_code=county if prefecture_of_county(county) == tenant else "",
            industry=industry if industry in INDUSTRIES else "other",
            size="",
            principal="",
            legacy_code=is_legacy_credit_code(code),
            source=f"{EVENT_SOURCE}{source}",
            created_at=at,
            version=1,
        )
        .on_conflict_do_nothing(index_elements=["credit_code"])
    )


def check_enterprise_fields(
    violations: Violations, prefix: str, enterprise: credit_pb2.Enterprise, tenant: str
) -> None:
    """Name, county, industry, size and principal of an enterprise in a request."""
    check_text(violations, f"{prefix}.display_name", enterprise.display_name, required=True)
    check_text(violations, f"{prefix}.principal", enterprise.principal, required=False)
    check_county(violations, f"{prefix}.county_code", enterprise.county_code, tenant)
    if enterprise.industry and enterprise.industry not in INDUSTRIES:
        violations.add(f"{prefix}.industry", f"must be one of {', '.join(sorted(INDUSTRIES))}")
    if enterprise.size and enterprise.size not in SIZES:
        violations.add(f"{prefix}.size", f"must be one of {', '.join(sorted(SIZES))}")


def columns(enterprise: credit_pb2.Enterprise) -> dict[str, Any]:
    """The register's columns from an enterprise in a request."""
    return {
        "display_name": enterprise.display_name.strip(),
        "county_code": enterprise.county_code,
        "industry": enterprise.industry or "other",
        "size": enterprise.size,
        "principal": enterprise.principal.strip(),
    }


class EnterpriseRegister:
    """Registers, imports and reads enterprises in a tenant's database."""

    def __init__(self, databases: TenantDatabases, clock: Clock, book: RuleBook) -> None:
        self._databases = databases
        self._clock = clock
        self._book = book

    async def register(
        self, principal: Principal, request: credit_pb2.RegisterEnterpriseRequest
    ) -> credit_pb2.Enterprise:
        """Self-registration: the code must pass GB 32100; one code, one enterprise."""
        principal.require(Role.ENTERPRISE, *OFFICIALS)
        check_parent(principal, request.parent)
        violations = Violations()
        code = request.enterprise.credit_code
        try:
            code = validate_credit_code(code)
        except CreditCodeError as error:
            violations.add(
                "enterprise.credit_code", f"not a valid unified social credit code: {error}"
            )
        check_enterprise_fields(violations, "enterprise", request.enterprise, principal.tenant)
        violations.raise_if_any()
        if not principal.may_act_for(code):
            raise PermissionDenied("an enterprise may only register itself")

        now = self._clock.now()
        values = {**columns(request.enterprise), "source": SELF_REGISTRATION}
        async with self._databases.begin(principal.tenant) as connection:
            statement = insert(enterprises).values(
                credit_code=code, legacy_code=False, created_at=now, version=1, **values
            )
            # An enterprise known only from another service's events is completed here.
            row = (
                await connection.execute(
                    statement.on_conflict_do_update(
                        index_elements=["credit_code"],
                        set_={**values, "version": enterprises.c.version + 1},
                        where=enterprises.c.source.startswith(EVENT_SOURCE),
                    ).returning(*enterprises.c)
                )
            ).one_or_none()
            if row is None:
                raise AlreadyExists(f"enterprise {code} is already registered")
            name = enterprise_name(principal.tenant, code)
            attempt = audit.Attempt(name, "RegisterEnterprise", "", "REGISTERED", row.version)
            await audit.record(
                connection, kernel, principal, attempt, at=now, outcome=audit.APPLIED
            )
            [enterprise] = await describe(connection, self._book, principal, [row], china_date(now))
        return enterprise

    async def import_records(
        self, principal: Principal, request: credit_pb2.ImportEnterprisesRequest
    ) -> credit_pb2.ImportEnterprisesResponse:
        """Take records of the registration authority; legacy codes are kept and marked."""
        principal.require(Role.ADMIN, Role.PARTNER)
        check_parent(principal, request.parent)
        violations = Violations()
        check_text(violations, "source", request.source, required=True)
        if len(request.enterprises) > IMPORT_LIMIT:
            violations.add("enterprises", f"at most {IMPORT_LIMIT} records per call")
        violations.raise_if_any()

        rejected: list[credit_pb2.ImportRejection] = []
        accepted: dict[str, dict[str, Any]] = {}
        for index, enterprise in enumerate(request.enterprises):
            reason, code, legacy = self._import_problem(enterprise, principal.tenant, accepted)
            if reason:
                rejected.append(credit_pb2.ImportRejection(index=index, reason=reason))
                continue
            accepted[code] = {
                **columns(enterprise),
                "credit_code": code,
                "legacy_code": legacy,
                "source": request.source.strip(),
            }

        now = self._clock.now()
        if accepted:
            async with self._databases.begin(principal.tenant) as connection:
                statement = insert(enterprises).values(
                    [{**row, "created_at": now, "version": 1} for row in accepted.values()]
                )
                updated = {
                    key: statement.excluded[key]
                    for key in (
                        "display_name",
                        "county_code",
                        "industry",
                        "size",
                        "principal",
                        "legacy_code",
                        "source",
                    )
                }
                await connection.execute(
                    statement.on_conflict_do_update(
                        index_elements=["credit_code"],
                        set_={**updated, "version": enterprises.c.version + 1},
                    )
                )
                attempt = audit.Attempt(
                    principal_parent(principal),
                    "ImportEnterprises",
                    "",
                    "IMPORTED",
                    len(accepted),
                    reason=request.source,
                )
                await audit.record(
                    connection, kernel, principal, attempt, at=now, outcome=audit.APPLIED
                )
        return credit_pb2.ImportEnterprisesResponse(
            imported=len(accepted),
            legacy=sum(1 for row in accepted.values() if row["legacy_code"]),
            rejected=rejected,
        )

    @staticmethod
    def _import_problem(
        enterprise: credit_pb2.Enterprise, tenant: str, accepted: dict[str, Any]
    ) -> tuple[str, str, bool]:
        """Why one imported record cannot be taken (empty if it can), its code, and legacy."""
        code = normalise_credit_code(enterprise.credit_code)
        legacy = False
        try:
            validate_credit_code(code)
        except CreditCodeError as error:
            if not is_legacy_credit_code(code):
                return f"credit_code: not a credit code, legacy or not: {error}", code, False
            legacy = True
        violations = Violations()
        check_enterprise_fields(violations, "enterprise", enterprise, tenant)
        if code in accepted:
            violations.add("credit_code", "appears twice in this import")
        if violations:
            try:
                violations.raise_if_any()
            except InvalidArgument as error:
                return (
                    "; ".join(f"{v.field}: {v.description}" for v in error.violations),
                    code,
                    legacy,
                )
        return "", code, legacy

    async def get(self, principal: Principal, name: str) -> credit_pb2.Enterprise:
        """One enterprise; an enterprise caller sees only itself."""
        code = parse_enterprise(principal, name, "name")
        if not principal.may_act_for(code):
            raise NotFound("enterprise not found")
        async with self._databases.engine(principal.tenant).connect() as connection:
            row = await find(connection, code)
            if row is None:
                raise NotFound("enterprise not found")
            [enterprise] = await describe(
                connection, self._book, principal, [row], china_date(self._clock.now())
            )
        return enterprise

    async def list(
        self, principal: Principal, request: credit_pb2.ListEnterprisesRequest
    ) -> credit_pb2.ListEnterprisesResponse:
        """Enterprises in the caller's scope, by credit code, filtered and paged."""
        check_parent(principal, request.parent)
        conditions: list[Any] = []
        if principal.role is Role.ENTERPRISE:
            conditions.append(enterprises.c.credit_code == principal.enterprise)
        if principal.county:
            conditions.append(enterprises.c.county_code == principal.county)
        if request.county_code:
            conditions.append(enterprises.c.county_code == request.county_code)
        if request.listed_only:
            active = select(listings.c.credit_code).where(listings.c.state == "ACTIVE")
            conditions.append(enterprises.c.credit_code.in_(active))
        query = (request.county_code, request.listed_only)
        page = page_of(request.page_size, request.page_token, query, default=50, maximum=500)
        async with self._databases.engine(principal.tenant).connect() as connection:
            total = await connection.scalar(
                select(func.count()).select_from(enterprises).where(*conditions)
            )
            rows = (
                await connection.execute(
                    select(enterprises)
                    .where(*conditions)
                    .order_by(enterprises.c.credit_code)
                    .offset(page.offset)
                    .limit(page.size)
                )
            ).all()
            found = await describe(
                connection, self._book, principal, rows, china_date(self._clock.now())
            )
        return credit_pb2.ListEnterprisesResponse(
            enterprises=found,
            next_page_token=next_token(page, len(rows), total or 0, query),
            total_size=total or 0,
        )


def principal_parent(principal: Principal) -> str:
    """The caller's prefecture as a resource name, for audit records of bulk changes."""
    return f"prefectures/{principal.tenant}"


def invalid_field(field: str, description: str) -> InvalidArgument:
    """INVALID_ARGUMENT naming one field."""
    return InvalidArgument([FieldViolation(field, description)])
