"""Credit records of good and bad conduct, from direct entries and from other services' events.

Each record names its source and document, the conduct date, the rule applied and
the version of its table, and its evidence. Writing one also announces it, announces
the score change it causes, and publishes it in the feed when the rules make it public.
"""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from anjian.credit.v1 import credit_pb2
from anjian_credit import events, records, scoring
from anjian_credit.enterprises import OFFICIALS, find
from anjian_credit.events import K
from anjian_credit.names import enterprise_name, parse_enterprise
from anjian_credit.rules import RuleBook
from anjian_credit.tables import credit_records, kernel
from anjian_credit.validation import check_day, check_text
from anjian_kernel import audit
from anjian_kernel.auth import Principal, Role
from anjian_kernel.clock import Clock, china_date
from anjian_kernel.database import TenantDatabases
from anjian_kernel.errors import NotFound, Violations
from anjian_kernel.identifiers import check_replay, request_fingerprint, reused_request_id
from anjian_kernel.paging import next_token, page_of

MAX_EVIDENCE = 20


async def add_record(
    connection: AsyncConnection,
    book: RuleBook,
    principal: Principal,
    values: dict[str, Any],
    now: datetime,
) -> Row[Any] | None:
    """Write one record with its audit row, events and feed row; None if it exists already
    (same request id or same event id)."""
    code = values["credit_code"]
    tenant = principal.tenant
    # Records of one enterprise are written one at a time, so score changes add up.
    await find(connection, code, lock=True)
    today = china_date(now)
    before = await scoring.score_of(connection, book, code, today)
    row = (
        await connection.execute(
            insert(credit_records)
            .values(id=uuid.uuid4(), author=principal.subject, created_at=now, **values)
            .on_conflict_do_nothing()
            .returning(*credit_records.c)
        )
    ).one_or_none()
    if row is None:
        return None
    after = await scoring.score_of(connection, book, code, today)

    record = records.to_record(row, tenant)
    attempt = audit.Attempt(
        record.name, "CreateCreditRecord", "", row.kind, 1, request_id=row.request_id or ""
    )
    await audit.record(connection, kernel, principal, attempt, at=now, outcome=audit.APPLIED)
    common: dict[str, Any] = {"tenant": tenant, "actor": principal.subject, "credit_code": code}
    await events.announce(
        connection,
        **common,
        kind=K.KIND_RECORD_CREATED,
        at=now,
        resource=record.name,
        record=record,
    )
    if before.value != after.value:
        await events.announce(
            connection,
            **common,
            kind=K.KIND_SCORE_CHANGED,
            at=now,
            resource=enterprise_name(tenant, code),
            score_before=before.value,
            score_after=after.value,
        )
    if row.public:
        change = credit_pb2.CreditChange(
            kind="record_published", credit_code=code, credit_record=record
        )
        await events.append_to_feed(connection, [change], now)
    return row


class ConductRecords:
    """Direct entries, record lists and scores in a tenant's database."""

    def __init__(self, databases: TenantDatabases, clock: Clock, book: RuleBook) -> None:
        self._databases = databases
        self._clock = clock
        self._book = book

    async def create(
        self, principal: Principal, request: credit_pb2.CreateCreditRecordRequest
    ) -> credit_pb2.CreditRecord:
        """A direct entry by an official under a rule of the direct-entry table in force."""
        principal.require(*OFFICIALS)
        code = parse_enterprise(principal, request.parent, "parent")
        now = self._clock.now()
        today = china_date(now)
        entry = request.credit_record
        violations = Violations()
        # A direct entry is judged under the table in force on the day it is entered.
        table = self._book.direct_table(today)
        rule = next((r for r in table.rules if r.rule == entry.rule), None) if table else None
        if rule is None:
            known = ", ".join(r.rule for r in table.rules) if table else "none in force"
            violations.add("credit_record.rule", f"not a direct-entry rule in force ({known})")
        elif entry.kind and entry.kind != credit_pb2.ConductKind.Value(f"CONDUCT_KIND_{rule.kind}"):
            violations.add("credit_record.kind", f"rule {rule.rule} records {rule.kind} conduct")
        check_text(violations, "credit_record.source", entry.source, required=True)
        check_text(
            violations, "credit_record.source_document", entry.source_document, required=True
        )
        check_text(violations, "credit_record.description", entry.description, required=False)
        check_text(violations, "request_id", request.request_id, required=False)
        if len(entry.evidence) > MAX_EVIDENCE:
            violations.add("credit_record.evidence", f"at most {MAX_EVIDENCE} items")
        for index, item in enumerate(entry.evidence):
            check_text(violations, f"credit_record.evidence[{index}]", item, required=True)
        conduct_date = check_day(
            violations, "credit_record.conduct_date", entry.conduct_date, today=today
        )
        violations.raise_if_any()
        assert rule is not None
        assert table is not None
        assert conduct_date is not None

        fingerprint = request_fingerprint(request)
        values = {
            "request_id": request.request_id or None,
            "request_fingerprint": fingerprint,
            "event_id": None,
            "credit_code": code,
            "kind": rule.kind,
            "category": rule.category,
            "description": entry.description.strip() or rule.description,
            "source": entry.source.strip(),
            "source_document": entry.source_document.strip(),
            "conduct_date": conduct_date,
            "rule": rule.rule,
            "rule_version": table.version,
            "points": rule.points,
            "evidence": list(entry.evidence),
            "public": rule.public,
        }
        async with self._databases.begin(principal.tenant) as connection:
            if await find(connection, code) is None:
                raise NotFound("enterprise not found")
            row = await add_record(connection, self._book, principal, values, now)
            if row is None:
                row = (
                    await connection.execute(
                        select(credit_records).where(
                            credit_records.c.request_id == request.request_id
                        )
                    )
                ).one()
                check_replay(row.request_fingerprint, fingerprint)
                # Even a row without a fingerprint tells this much: another enterprise,
                # another request.
                if row.credit_code != code:
                    raise reused_request_id()
        return records.to_record(row, principal.tenant)

    async def _visible_enterprise(
        self, connection: AsyncConnection, principal: Principal, name: str, field: str
    ) -> str:
        code = parse_enterprise(principal, name, field)
        if not principal.may_act_for(code) or await find(connection, code) is None:
            raise NotFound("enterprise not found")
        return code

    async def list(
        self, principal: Principal, request: credit_pb2.ListCreditRecordsRequest
    ) -> credit_pb2.ListCreditRecordsResponse:
        """An enterprise's records, newest first; partners see only public ones."""
        page = page_of(
            request.page_size, request.page_token, request.parent, default=50, maximum=500
        )
        async with self._databases.engine(principal.tenant).connect() as connection:
            code = await self._visible_enterprise(connection, principal, request.parent, "parent")
            conditions: list[Any] = [credit_records.c.credit_code == code]
            if principal.role is Role.PARTNER:
                conditions.append(credit_records.c.public.is_(True))
            total = await connection.scalar(
                select(func.count()).select_from(credit_records).where(*conditions)
            )
            rows = (
                await connection.execute(
                    select(credit_records)
                    .where(*conditions)
                    .order_by(
                        credit_records.c.conduct_date.desc(),
                        credit_records.c.created_at.desc(),
                        credit_records.c.id,
                    )
                    .offset(page.offset)
                    .limit(page.size)
                )
            ).all()
        return credit_pb2.ListCreditRecordsResponse(
            credit_records=[records.to_record(row, principal.tenant) for row in rows],
            next_page_token=next_token(page, len(rows), total or 0, request.parent),
        )

    async def score(
        self, principal: Principal, request: credit_pb2.GetCreditScoreRequest
    ) -> credit_pb2.CreditScore:
        """The score as of a day (today by default), item by item."""
        today = china_date(self._clock.now())
        violations = Violations()
        as_of = check_day(
            violations, "as_of", request.as_of, today=today, required=False, past_only=False
        )
        violations.raise_if_any()
        async with self._databases.engine(principal.tenant).connect() as connection:
            code = await self._visible_enterprise(connection, principal, request.name, "name")
            score = await scoring.score_of(connection, self._book, code, as_of or today)
        return scoring.to_proto(score, principal.tenant, enterprise_name(principal.tenant, code))
