"""What anyone may see: public search by code or name, and the feed partners pull.

Search answers only public fields: the name and code, listing status, listings, and
the records the rules publish. No principal, no person data, no private records.
"""

from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection

from anjian.credit.v1 import credit_pb2
from anjian_credit import events, records
from anjian_credit.tables import credit_records, enterprises, listings
from anjian_kernel.auth import Principal
from anjian_kernel.database import TenantDatabases
from anjian_kernel.errors import FieldViolation, InvalidArgument, Violations
from anjian_kernel.identifiers import normalise_credit_code
from anjian_kernel.resources import check_parent

MAX_SEQUENCE = 2**63 - 1
"""The largest sequence number a change can have (a PostgreSQL bigint)."""

MIN_QUERY = 2


def escape_like(text: str) -> str:
    """`text` with LIKE wildcards taken literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def public_view(
    connection: AsyncConnection, rows: list[Row[Any]], tenant: str
) -> list[credit_pb2.PublicEnterprise]:
    """The public face of each enterprise."""
    codes = [row.credit_code for row in rows]
    found_listings = (
        await connection.execute(
            select(listings)
            .where(listings.c.credit_code.in_(codes))
            .order_by(listings.c.start_date.desc(), listings.c.id)
        )
    ).all()
    found_records = (
        await connection.execute(
            select(credit_records)
            .where(credit_records.c.credit_code.in_(codes), credit_records.c.public.is_(True))
            .order_by(credit_records.c.conduct_date.desc(), credit_records.c.id)
        )
    ).all()
    views = []
    for row in rows:
        own = [
            records.to_listing(x, tenant)
            for x in found_listings
            if x.credit_code == row.credit_code
        ]
        views.append(
            credit_pb2.PublicEnterprise(
                credit_code=row.credit_code,
                display_name=row.display_name,
                listed=any(x.state == credit_pb2.LISTING_STATE_ACTIVE for x in own),
                listings=own,
                public_records=[
                    records.to_record(x, tenant)
                    for x in found_records
                    if x.credit_code == row.credit_code
                ],
            )
        )
    return views


class PublicCredit:
    """Public search and the change feed of a tenant."""

    def __init__(self, databases: TenantDatabases) -> None:
        self._databases = databases

    async def search(
        self, principal: Principal, request: credit_pb2.SearchPublicCreditRequest
    ) -> credit_pb2.SearchPublicCreditResponse:
        """Enterprises by exact credit code (normalised) or by part of the name."""
        check_parent(principal, request.parent)
        query = request.query.strip()
        violations = Violations()
        if len(query) < MIN_QUERY:
            violations.add(
                "query", f"at least {MIN_QUERY} characters: a credit code or part of a name"
            )
        if request.page_size < 0:
            violations.add("page_size", "must not be negative")
        violations.raise_if_any()
        size = min(request.page_size or 20, 100)
        code = normalise_credit_code(query)
        # Limitation: a name substring is a LIKE scan of the register; a trigram index
        # (pg_trgm) would keep it fast for hundreds of thousands of enterprises.
        async with self._databases.engine(principal.tenant).connect() as connection:
            rows = (
                await connection.execute(
                    select(enterprises)
                    .where(
                        (enterprises.c.credit_code == code)
                        | enterprises.c.display_name.like(f"%{escape_like(query)}%", escape="\\")
                    )
                    .order_by((enterprises.c.credit_code != code), enterprises.c.display_name)
                    .limit(size)
                )
            ).all()
            found = await public_view(connection, list(rows), principal.tenant)
        return credit_pb2.SearchPublicCreditResponse(enterprises=found)

    async def changes(
        self, principal: Principal, request: credit_pb2.ListCreditChangesRequest
    ) -> credit_pb2.ListCreditChangesResponse:
        """Changes after the cursor, in commit order; the cursor is the last sequence seen."""
        check_parent(principal, request.parent)
        after = 0
        if request.cursor:
            # A sequence number as the feed wrote it: ASCII digits within a bigint.
            cursor = request.cursor
            if not (cursor.isascii() and cursor.isdigit() and int(cursor) <= MAX_SEQUENCE):
                raise InvalidArgument([FieldViolation("cursor", "not a cursor this feed issued")])
            after = int(cursor)
        if request.page_size < 0:
            raise InvalidArgument([FieldViolation("page_size", "must not be negative")])
        size = min(request.page_size or 100, 1000)
        async with self._databases.engine(principal.tenant).connect() as connection:
            rows = await events.read_feed(connection, after, size)
        return credit_pb2.ListCreditChangesResponse(
            changes=[events.to_change(row) for row in rows],
            next_cursor=str(rows[-1].sequence) if rows else request.cursor,
        )
