"""The feed partners pull: with a cursor, nothing is missed or repeated, even while many
writers commit at once."""

import asyncio
from datetime import date

import grpc
import pytest
from credit_support import Caller, CreditStack, token

from anjian.credit.v1 import credit_pb2
from anjian_kernel.auth import Role

WRITERS = 12


async def read_to_end(caller: Caller, cursor: str, page_size: int = 7) -> tuple[list, str]:
    changes: list[credit_pb2.CreditChange] = []
    while True:
        reply = await caller.public.ListCreditChanges(
            credit_pb2.ListCreditChangesRequest(
                parent=caller.parent, cursor=cursor, page_size=page_size
            ),
            metadata=caller.metadata,
        )
        changes.extend(reply.changes)
        if not reply.changes:
            assert reply.next_cursor == cursor
            return changes, cursor
        cursor = reply.next_cursor


async def test_the_feed_with_a_cursor_misses_and_repeats_nothing_under_concurrent_writers(
    stack: CreditStack, inspector: Caller
) -> None:
    partner = stack.caller(token(role=Role.PARTNER))
    _, cursor = await read_to_end(partner, "")
    enterprises = [await inspector.register() for _ in range(WRITERS)]

    async def write(enterprise: credit_pb2.Enterprise) -> list[str]:
        listing = await inspector.list_enterprise(enterprise.credit_code, date(2026, 11, 1))
        record = await inspector.record(
            enterprise.credit_code, "penalty-decision", date(2026, 10, 9)
        )
        private = await inspector.record(
            enterprise.credit_code, "self-inspection-missed", date(2026, 10, 9)
        )
        assert not private.public
        return [listing.name, record.name]

    seen: list[credit_pb2.CreditChange] = []
    writing = asyncio.gather(*(write(enterprise) for enterprise in enterprises))
    while not writing.done():
        found, cursor = await read_to_end(partner, cursor)
        seen.extend(found)
        await asyncio.sleep(0)
    written = {name for names in await writing for name in names}
    found, cursor = await read_to_end(partner, cursor)
    seen.extend(found)

    sequences = [change.sequence for change in seen]
    assert sequences == sorted(set(sequences))
    assert sequences == list(range(sequences[0], sequences[0] + len(sequences)))
    published = {change.listing.name or change.credit_record.name for change in seen}
    assert written <= published
    kinds = {change.kind for change in seen}
    assert kinds <= {"listed", "delisted", "record_published"}
    assert all(change.credit_record.public for change in seen if change.credit_record.name)


@pytest.mark.parametrize(
    "cursor", ["abc", "-1", "9223372036854775808", "99999999999999999999", "1e3", "٣"]
)
async def test_a_cursor_the_feed_did_not_issue_is_refused(inspector: Caller, cursor: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await inspector.public.ListCreditChanges(
            credit_pb2.ListCreditChangesRequest(parent=inspector.parent, cursor=cursor),
            metadata=inspector.metadata,
        )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "cursor" in refused.value.details()
