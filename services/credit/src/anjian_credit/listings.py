"""The serious-dishonesty list (严重失信主体名单): listing, credit repair, revocation, expiry.

A listing is decided by the department that issued the penalty, for a reason its rule
version allows, and lasts that version's term. Credit repair may be applied for from
the day the version allows (China Standard Time); approval removes the listing, and
an approval obtained by fraud is revoked, which restores the listing with its
original end date. Every applied change commits with its audit record, its event and
its feed row; a refused step commits only its audit record.
"""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, case, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from anjian.credit.v1 import credit_pb2
from anjian_credit import events, records
from anjian_credit.enterprises import OFFICIALS, find
from anjian_credit.events import K
from anjian_credit.names import (
    application_name,
    ban_name,
    listing_name,
    parse_application,
    parse_listing,
)
from anjian_credit.rules import ListingTerms, RuleBook
from anjian_credit.tables import bans, kernel, listings, repair_applications
from anjian_credit.validation import check_day, check_text
from anjian_kernel import audit, messages
from anjian_kernel.auth import Principal, Role
from anjian_kernel.clock import Clock, china_date
from anjian_kernel.database import TenantDatabases
from anjian_kernel.errors import (
    Aborted,
    AlreadyExists,
    FailedPrecondition,
    NotFound,
    ServiceError,
    Violations,
)
from anjian_kernel.identifiers import (
    check_replay,
    normalise_credit_code,
    request_fingerprint,
    reused_request_id,
)
from anjian_kernel.paging import next_token, page_of
from anjian_kernel.resources import check_parent

ACTIVE, EXPIRED, REPAIRED = "ACTIVE", "EXPIRED", "REPAIRED"
PENDING, APPROVED, REFUSED, REVOKED = "PENDING", "APPROVED", "REFUSED", "REVOKED"
SYSTEM = "system"


def check_listing(
    request: credit_pb2.CreateListingRequest, book: RuleBook, today: date
) -> tuple[Violations, ListingTerms | None, date | None]:
    """Violations of a listing request, the rule version it is judged under, and its start."""
    violations = Violations()
    listing = request.listing
    if not listing.credit_code.strip():
        violations.add("listing.credit_code", "required")
    check_text(violations, "listing.penalty_document", listing.penalty_document, required=True)
    check_text(
        violations, "listing.deciding_department", listing.deciding_department, required=True
    )
    check_text(violations, "listing.facts_id", listing.facts_id, required=True)
    check_text(violations, "request_id", request.request_id, required=False)
    start = check_day(violations, "listing.start_date", listing.start_date, today=today)
    if start is None:
        return violations, None, None
    terms = book.listing_in_force(start)
    if terms is None:
        violations.add("listing.start_date", f"no listing rules were in force on {start}")
        return violations, None, start
    if listing.rule_version and listing.rule_version != terms.version:
        violations.add(
            "listing.rule_version",
            f"a listing starting {start} is judged under version {terms.version}, "
            f"not {listing.rule_version!r}",
        )
    if listing.reason == credit_pb2.LISTING_REASON_UNSPECIFIED:
        violations.add("listing.reason", "required")
    elif listing.reason not in terms.reasons:
        name = credit_pb2.ListingReason.Name(listing.reason)
        violations.add(
            "listing.reason", f"{name} is not a listing reason under rule version {terms.version}"
        )
    return violations, terms, start


def visible(principal: Principal, row: Row[Any]) -> bool:
    """Whether the caller may see a listing (an enterprise sees only its own)."""
    return principal.may_act_for(row.credit_code)


async def locked_listing(
    connection: AsyncConnection, principal: Principal, listing_id: uuid.UUID
) -> Row[Any]:
    """The listing row locked for update, or NOT_FOUND."""
    row = (
        await connection.execute(
            select(listings).where(listings.c.id == listing_id).with_for_update()
        )
    ).one_or_none()
    if row is None or not visible(principal, row):
        raise NotFound("listing not found")
    return row


async def change_listing(
    connection: AsyncConnection,
    principal: Principal,
    row: Row[Any],
    values: dict[str, Any],
    action: str,
    reason: str,
    now: datetime,
) -> Row[Any]:
    """Apply a state change to a listing with its audit record, event and feed row."""
    updated = (
        await connection.execute(
            update(listings)
            .where(listings.c.id == row.id, listings.c.version == row.version)
            .values(**values, version=row.version + 1)
            .returning(*listings.c)
        )
    ).one()
    tenant = principal.tenant
    listing = records.to_listing(updated, tenant)
    attempt = audit.Attempt(
        listing.name, action, row.state, updated.state, updated.version, reason=reason
    )
    await audit.record(connection, kernel, principal, attempt, at=now, outcome=audit.APPLIED)
    listed = updated.state == ACTIVE
    await events.announce(
        connection,
        tenant=tenant,
        actor=principal.subject,
        kind=K.KIND_LISTED if listed else K.KIND_DELISTED,
        credit_code=updated.credit_code,
        at=now,
        resource=listing.name,
        version=updated.version,
        listing=listing,
    )
    return updated


def feed_entry(row: Row[Any], tenant: str) -> credit_pb2.CreditChange:
    """The feed's record of a listing being put on or taken off the list."""
    return credit_pb2.CreditChange(
        kind="listed" if row.state == ACTIVE else "delisted",
        credit_code=row.credit_code,
        listing=records.to_listing(row, tenant),
    )


async def refuse(
    connection: AsyncConnection,
    principal: Principal,
    resource: str,
    action: str,
    state: str,
    version: int,
    refusal: ServiceError,
    now: datetime,
) -> None:
    """Audit a refused step (the caller raises the refusal after the commit)."""
    attempt = audit.Attempt(resource, action, state, state, version, reason=refusal.message)
    await audit.record(connection, kernel, principal, attempt, at=now, outcome=audit.REFUSED)


class SeriousDishonestyList:
    """Listings and repair applications in a tenant's database."""

    def __init__(self, databases: TenantDatabases, clock: Clock, book: RuleBook) -> None:
        self._databases = databases
        self._clock = clock
        self._book = book

    async def create(
        self, principal: Principal, request: credit_pb2.CreateListingRequest
    ) -> credit_pb2.Listing:
        """List an enterprise, decided by the department that issued the penalty."""
        principal.require(*OFFICIALS)
        check_parent(principal, request.parent)
        now = self._clock.now()
        violations, terms, start = check_listing(request, self._book, china_date(now))
        violations.raise_if_any()
        assert terms is not None
        assert start is not None

        listing = request.listing
        code = normalise_credit_code(listing.credit_code)
        tenant = principal.tenant
        fingerprint = request_fingerprint(request)
        async with self._databases.begin(tenant) as connection:
            replayed = await self._replay(connection, request.request_id, code, fingerprint)
            if replayed is not None:
                return records.to_listing(replayed, tenant)
            if await find(connection, code, lock=True) is None:
                violations.add(
                    "listing.credit_code", f"no enterprise with this code in prefecture {tenant}"
                )
                violations.raise_if_any()
            row = (
                await connection.execute(
                    insert(listings)
                    .values(
                        id=uuid.uuid4(),
                        request_id=request.request_id or None,
                        request_fingerprint=fingerprint,
                        credit_code=code,
                        reason=credit_pb2.ListingReason.Name(listing.reason),
                        penalty_document=listing.penalty_document.strip(),
                        deciding_department=listing.deciding_department.strip(),
                        facts_id=listing.facts_id.strip(),
                        rule_version=terms.version,
                        start_date=start,
                        end_date=terms.end_date(start),
                        repair_allowed_from=terms.repair_allowed_from(start),
                        state=ACTIVE,
                        author=principal.subject,
                        created_at=now,
                        version=1,
                    )
                    .on_conflict_do_nothing()
                    .returning(*listings.c)
                )
            ).one_or_none()
            if row is None:
                replayed = await self._replay(connection, request.request_id, code, fingerprint)
                if replayed is not None:
                    return records.to_listing(replayed, tenant)
                raise AlreadyExists(
                    f"enterprise {code} is already listed for the facts {listing.facts_id!r}"
                )
            name = listing_name(tenant, row.id)
            attempt = audit.Attempt(
                name, "CreateListing", "", ACTIVE, 1, request_id=request.request_id
            )
            await audit.record(
                connection, kernel, principal, attempt, at=now, outcome=audit.APPLIED
            )
            created = records.to_listing(row, tenant)
            await events.announce(
                connection,
                tenant=tenant,
                actor=principal.subject,
                kind=K.KIND_LISTED,
                credit_code=code,
                at=now,
                resource=name,
                listing=created,
            )
            await events.append_to_feed(connection, [feed_entry(row, tenant)], now)
        return created

    @staticmethod
    async def _replay(
        connection: AsyncConnection, request_id: str, code: str, fingerprint: str
    ) -> Row[Any] | None:
        """The listing made under this request id, if any; INVALID_ARGUMENT if it was made
        for a different request."""
        if not request_id:
            return None
        row = (
            await connection.execute(select(listings).where(listings.c.request_id == request_id))
        ).one_or_none()
        if row is None:
            return None
        check_replay(row.request_fingerprint, fingerprint)
        # Even a row without a fingerprint tells this much: another enterprise, another request.
        if row.credit_code != code:
            raise reused_request_id()
        return row

    async def get(self, principal: Principal, name: str) -> credit_pb2.Listing:
        """One listing."""
        listing_id = parse_listing(principal, name, "name")
        async with self._databases.engine(principal.tenant).connect() as connection:
            row = (
                await connection.execute(select(listings).where(listings.c.id == listing_id))
            ).one_or_none()
        if row is None or not visible(principal, row):
            raise NotFound("listing not found")
        return records.to_listing(row, principal.tenant)

    async def list(
        self, principal: Principal, request: credit_pb2.ListListingsRequest
    ) -> credit_pb2.ListListingsResponse:
        """Listings, active ones first, then newest first."""
        check_parent(principal, request.parent)
        conditions: list[Any] = []
        if principal.role is Role.ENTERPRISE:
            conditions.append(listings.c.credit_code == principal.enterprise)
        if request.active_only:
            conditions.append(listings.c.state == ACTIVE)
        if request.credit_code:
            conditions.append(listings.c.credit_code == normalise_credit_code(request.credit_code))
        query = (request.active_only, request.credit_code)
        page = page_of(request.page_size, request.page_token, query, default=50, maximum=500)
        async with self._databases.engine(principal.tenant).connect() as connection:
            total = await connection.scalar(
                select(func.count()).select_from(listings).where(*conditions)
            )
            rows = (
                await connection.execute(
                    select(listings)
                    .where(*conditions)
                    .order_by(
                        case((listings.c.state == ACTIVE, 0), else_=1),
                        listings.c.start_date.desc(),
                        listings.c.id,
                    )
                    .offset(page.offset)
                    .limit(page.size)
                )
            ).all()
        return credit_pb2.ListListingsResponse(
            listings=[records.to_listing(row, principal.tenant) for row in rows],
            next_page_token=next_token(page, len(rows), total or 0, query),
        )

    async def apply_for_repair(
        self, principal: Principal, request: credit_pb2.ApplyForRepairRequest
    ) -> credit_pb2.RepairApplication:
        """Apply for early removal; refused before the day the listing's rules allow."""
        principal.require(Role.ENTERPRISE, *OFFICIALS)
        listing_id = parse_listing(principal, request.parent, "parent")
        violations = Violations()
        check_text(violations, "statement", request.statement, required=True)
        check_text(violations, "request_id", request.request_id, required=False)
        violations.raise_if_any()

        now = self._clock.now()
        today = china_date(now)
        tenant = principal.tenant
        fingerprint = request_fingerprint(request)
        async with self._databases.begin(tenant) as connection:
            # The listing first: a retry is answered only to a caller who may see it.
            listing = await locked_listing(connection, principal, listing_id)
            replayed = await self._application_replay(connection, request, listing_id, fingerprint)
            if replayed is not None:
                return records.to_application(replayed, tenant)
            if listing.state != ACTIVE:
                raise FailedPrecondition(
                    f"only a listing on the list can be repaired; this one is {listing.state}",
                    subject=request.parent,
                )
            if today < listing.repair_allowed_from:
                raise FailedPrecondition(
                    "credit repair may be applied for from "
                    f"{listing.repair_allowed_from} (China Standard Time); today is {today}",
                    subject=request.parent,
                    kind="TIME",
                )
            row = (
                await connection.execute(
                    insert(repair_applications)
                    .values(
                        id=uuid.uuid4(),
                        request_id=request.request_id or None,
                        request_fingerprint=fingerprint,
                        listing_id=listing_id,
                        statement=request.statement,
                        state=PENDING,
                        review_reason="",
                        applicant=principal.subject,
                        created_at=now,
                        version=1,
                    )
                    .on_conflict_do_nothing()
                    .returning(*repair_applications.c)
                )
            ).one_or_none()
            if row is None:
                # A retry racing its first attempt waited for it here and finds it now.
                replayed = await self._application_replay(
                    connection, request, listing_id, fingerprint
                )
                if replayed is not None:
                    return records.to_application(replayed, tenant)
                raise FailedPrecondition(
                    "an application for this listing is already under review",
                    subject=request.parent,
                )
            name = application_name(tenant, listing_id, row.id)
            attempt = audit.Attempt(
                name, "ApplyForRepair", "", PENDING, 1, request_id=request.request_id
            )
            await audit.record(
                connection, kernel, principal, attempt, at=now, outcome=audit.APPLIED
            )
        return records.to_application(row, tenant)

    @staticmethod
    async def _application_replay(
        connection: AsyncConnection,
        request: credit_pb2.ApplyForRepairRequest,
        listing_id: uuid.UUID,
        fingerprint: str,
    ) -> Row[Any] | None:
        """The application made under this request id, if any; INVALID_ARGUMENT if it was
        made for a different request."""
        if not request.request_id:
            return None
        row = (
            await connection.execute(
                select(repair_applications).where(
                    repair_applications.c.request_id == request.request_id
                )
            )
        ).one_or_none()
        if row is None:
            return None
        check_replay(row.request_fingerprint, fingerprint)
        # Even a row without a fingerprint tells this much: another listing, another request.
        if row.listing_id != listing_id:
            raise reused_request_id()
        return row

    async def review(
        self, principal: Principal, request: credit_pb2.ReviewRepairApplicationRequest
    ) -> credit_pb2.RepairApplication:
        """Approve (the listing is removed) or refuse (it stays) a pending application."""
        target = REPAIRED if request.approve else ACTIVE
        state = APPROVED if request.approve else REFUSED
        action = "ApproveRepair" if request.approve else "RefuseRepair"
        return await self._decide(principal, request, PENDING, state, target, action)

    async def revoke(
        self, principal: Principal, request: credit_pb2.RevokeRepairRequest
    ) -> credit_pb2.RepairApplication:
        """Revoke an approval obtained by fraud: the listing is back with its original end."""
        return await self._decide(principal, request, APPROVED, REVOKED, ACTIVE, "RevokeRepair")

    async def _decide(
        self,
        principal: Principal,
        request: Any,
        from_state: str,
        to_state: str,
        listing_state: str,
        action: str,
    ) -> credit_pb2.RepairApplication:
        principal.require(*OFFICIALS)
        listing_id, application_id = parse_application(principal, request.name, "name")
        violations = Violations()
        check_text(violations, "reason", request.reason, required=True)
        violations.raise_if_any()

        now = self._clock.now()
        tenant = principal.tenant
        refusal: ServiceError | None = None
        async with self._databases.begin(tenant) as connection:
            listing = await locked_listing(connection, principal, listing_id)
            application = (
                await connection.execute(
                    select(repair_applications)
                    .where(
                        repair_applications.c.id == application_id,
                        repair_applications.c.listing_id == listing_id,
                    )
                    .with_for_update()
                )
            ).one_or_none()
            if application is None:
                raise NotFound("repair application not found")
            refusal = refusal_of(application, listing, from_state, request.etag)
            if refusal is not None:
                await refuse(
                    connection,
                    principal,
                    request.name,
                    action,
                    application.state,
                    application.version,
                    refusal,
                    now,
                )
            else:
                updated = (
                    await connection.execute(
                        update(repair_applications)
                        .where(repair_applications.c.id == application_id)
                        .values(
                            state=to_state,
                            review_reason=request.reason,
                            reviewer=principal.subject,
                            reviewed_at=now,
                            version=application.version + 1,
                        )
                        .returning(*repair_applications.c)
                    )
                ).one()
                attempt = audit.Attempt(
                    request.name, action, from_state, to_state, updated.version, request.reason
                )
                await audit.record(
                    connection, kernel, principal, attempt, at=now, outcome=audit.APPLIED
                )
                if listing_state != listing.state:
                    values: dict[str, Any] = {"state": listing_state, "removed_at": None}
                    if listing_state == REPAIRED:
                        values["removed_at"] = now
                    try:
                        async with connection.begin_nested():
                            changed = await change_listing(
                                connection, principal, listing, values, action, request.reason, now
                            )
                    except IntegrityError as error:
                        raise FailedPrecondition(
                            "another listing for the same facts is on the list now",
                            subject=listing_name(tenant, listing_id),
                        ) from error
                    await events.append_to_feed(connection, [feed_entry(changed, tenant)], now)
        if refusal is not None:
            raise refusal
        return records.to_application(updated, tenant)


def refusal_of(
    application: Row[Any], listing: Row[Any], from_state: str, etag: str
) -> ServiceError | None:
    """Why a review or revocation cannot be made now, or None. State is checked first."""
    if application.state != from_state:
        return FailedPrecondition(
            f"the application is {application.state} at version {application.version}; "
            f"this needs {from_state}"
        )
    if etag != messages.etag(application.version):
        return Aborted(
            f"stale etag {etag!r}: the application is {application.state} at version "
            f"{application.version}; read it again and retry"
        )
    expected = ACTIVE if from_state == PENDING else REPAIRED
    if listing.state != expected:
        return FailedPrecondition(
            f"the listing is {listing.state}; this needs it {expected}", kind="LISTING"
        )
    return None


async def expire(
    databases: TenantDatabases, clock: Clock, tenant: str
) -> tuple[list[str], list[str]]:
    """Remove listings and end bans whose last day has passed (China Standard Time).

    Idempotent: each is removed and announced once; a rerun finds nothing new.
    """
    now = clock.now()
    today = china_date(now)
    system = Principal(subject=SYSTEM, tenant=tenant, role=Role.ADMIN)
    expired: list[Row[Any]] = []
    async with databases.begin(tenant) as connection:
        rows = (
            await connection.execute(
                select(listings)
                .where(listings.c.state == ACTIVE, listings.c.end_date < today)
                .order_by(listings.c.end_date, listings.c.id)
                .with_for_update()
            )
        ).all()
        for row in rows:
            reason = f"the listing's last day {row.end_date} has passed"
            values = {"state": EXPIRED, "removed_at": now}
            expired.append(
                await change_listing(connection, system, row, values, "ExpireListing", reason, now)
            )
        ended = (
            await connection.scalars(
                update(bans)
                .where(bans.c.active.is_(True), bans.c.end_date < today)
                .values(active=False, ended_at=now)
                .returning(bans.c.id)
            )
        ).all()
        await events.append_to_feed(connection, [feed_entry(row, tenant) for row in expired], now)
    return (
        [listing_name(tenant, row.id) for row in expired],
        [ban_name(tenant, ban_id) for ban_id in ended],
    )
