"""Bans: individuals barred from their trade (职业禁入), intermediaries from the market (行业禁入).

An individual is known only by a salted hash of the resident ID number (the person
key); the number itself is never stored, logged or echoed in an error.
"""

import hashlib
import hmac
import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from anjian.credit.v1 import credit_pb2
from anjian_credit import records
from anjian_credit.enterprises import OFFICIALS, find
from anjian_credit.names import ban_name
from anjian_credit.tables import bans, kernel
from anjian_credit.validation import check_day, check_text
from anjian_kernel import audit
from anjian_kernel.auth import Principal, Role
from anjian_kernel.clock import Clock, china_date
from anjian_kernel.database import TenantDatabases
from anjian_kernel.errors import Violations
from anjian_kernel.identifiers import (
    CreditCodeError,
    check_replay,
    is_resident_id_number,
    normalise_credit_code,
    request_fingerprint,
    validate_credit_code,
)
from anjian_kernel.paging import next_token, page_of
from anjian_kernel.resources import check_parent

Subject = credit_pb2.Ban.Subject


def person_key(salt: bytes, id_number: str) -> str:
    """The salted hash that stands for an individual: HMAC-SHA256 of the normalised number."""
    normalised = id_number.strip().upper().encode()
    return hmac.new(salt, normalised, hashlib.sha256).hexdigest()


def ban_fingerprint(request: credit_pb2.CreateBanRequest, key: str) -> str:
    """The request's fingerprint with the ID number replaced by its person key.

    ID numbers are few enough to try them all against a plain hash; the salted key is not.
    """
    keyed = credit_pb2.CreateBanRequest()
    keyed.CopyFrom(request)
    keyed.id_number = key
    return request_fingerprint(keyed)


class Bans:
    """Bans in a tenant's database."""

    def __init__(self, databases: TenantDatabases, clock: Clock, salt: bytes) -> None:
        self._databases = databases
        self._clock = clock
        self._salt = salt

    def _check(
        self, request: credit_pb2.CreateBanRequest, violations: Violations
    ) -> tuple[str, str]:
        """The credit code and person key of the banned party."""
        ban = request.ban
        if ban.person_key:
            violations.add("ban.person_key", "set by the server: give id_number instead")
        if ban.subject == Subject.SUBJECT_INDIVIDUAL:
            if ban.credit_code:
                violations.add("ban.credit_code", "an individual has no credit code")
            if not request.id_number.strip():
                violations.add("id_number", "required for an individual")
            elif not is_resident_id_number(request.id_number):
                violations.add("id_number", "not a valid resident ID number (GB 11643)")
            else:
                return "", person_key(self._salt, request.id_number)
        elif ban.subject == Subject.SUBJECT_INTERMEDIARY:
            if request.id_number:
                violations.add("id_number", "only for an individual")
            try:
                return validate_credit_code(ban.credit_code), ""
            except CreditCodeError as error:
                violations.add(
                    "ban.credit_code", f"not a valid unified social credit code: {error}"
                )
        else:
            violations.add("ban.subject", "required: SUBJECT_INDIVIDUAL or SUBJECT_INTERMEDIARY")
        return "", ""

    # Limitation: bans publish no event and no feed row: the contract has no kind for them.
    async def create(
        self, principal: Principal, request: credit_pb2.CreateBanRequest
    ) -> credit_pb2.Ban:
        """Bar an individual or an intermediary; idempotent on request_id."""
        principal.require(*OFFICIALS)
        check_parent(principal, request.parent)
        now = self._clock.now()
        today = china_date(now)
        ban = request.ban
        violations = Violations()
        code, key = self._check(request, violations)
        check_text(violations, "ban.display_name", ban.display_name, required=True)
        check_text(violations, "ban.scope", ban.scope, required=True)
        check_text(violations, "ban.decision_document", ban.decision_document, required=True)
        check_text(violations, "request_id", request.request_id, required=False)
        start = check_day(violations, "ban.start_date", ban.start_date, today=today)
        end = check_day(
            violations, "ban.end_date", ban.end_date, today=today, required=False, past_only=False
        )
        if start and end and end < start:
            violations.add("ban.end_date", f"{end} is before the start date {start}")
        violations.raise_if_any()

        tenant = principal.tenant
        fingerprint = ban_fingerprint(request, key)
        async with self._databases.begin(tenant) as connection:
            if code and await find(connection, normalise_credit_code(code)) is None:
                violations.add(
                    "ban.credit_code", f"no enterprise with this code in prefecture {tenant}"
                )
                violations.raise_if_any()
            row = (
                await connection.execute(
                    insert(bans)
                    .values(
                        id=uuid.uuid4(),
                        request_id=request.request_id or None,
                        request_fingerprint=fingerprint,
                        subject=Subject.Name(ban.subject).removeprefix("SUBJECT_"),
                        display_name=ban.display_name.strip(),
                        credit_code=code,
                        person_key=key,
                        scope=ban.scope.strip(),
                        decision_document=ban.decision_document.strip(),
                        start_date=start,
                        end_date=end,
                        active=end is None or end >= today,
                        author=principal.subject,
                        created_at=now,
                    )
                    .on_conflict_do_nothing(index_elements=["request_id"])
                    .returning(*bans.c)
                )
            ).one_or_none()
            if row is None:
                row = (
                    await connection.execute(
                        select(bans).where(bans.c.request_id == request.request_id)
                    )
                ).one()
                check_replay(row.request_fingerprint, fingerprint)
            else:
                attempt = audit.Attempt(
                    ban_name(tenant, row.id), "CreateBan", "", "ACTIVE", 1, request.request_id
                )
                await audit.record(
                    connection, kernel, principal, attempt, at=now, outcome=audit.APPLIED
                )
        return records.to_ban(row, tenant, with_person_key=True)

    async def list(
        self, principal: Principal, request: credit_pb2.ListBansRequest
    ) -> credit_pb2.ListBansResponse:
        """Bans, newest first; the person key only for officials."""
        principal.require(*OFFICIALS, Role.PARTNER)
        check_parent(principal, request.parent)
        conditions: list[Any] = []
        if request.active_only:
            conditions.append(bans.c.active.is_(True))
        query = request.active_only
        page = page_of(request.page_size, request.page_token, query, default=50, maximum=500)
        async with self._databases.engine(principal.tenant).connect() as connection:
            total = await connection.scalar(
                select(func.count()).select_from(bans).where(*conditions)
            )
            rows = (
                await connection.execute(
                    select(bans)
                    .where(*conditions)
                    .order_by(bans.c.start_date.desc(), bans.c.id)
                    .offset(page.offset)
                    .limit(page.size)
                )
            ).all()
        officials = principal.role in OFFICIALS
        return credit_pb2.ListBansResponse(
            bans=[records.to_ban(row, principal.tenant, with_person_key=officials) for row in rows],
            next_page_token=next_token(page, len(rows), total or 0, query),
        )
