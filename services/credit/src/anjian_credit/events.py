"""The credit service's events (`anjian.<tenant>.credit.<kind>`) and its public feed.

Both are written in the transaction of the change they announce: events into the
outbox, feed rows into `credit_changes`. Feed rows are appended under a
transaction-scoped advisory lock, so sequence order is commit order and a reader
that saw sequence n never later finds a smaller one appear: the feed has no gaps to
fill in behind a cursor.
"""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from anjian.credit.v1 import credit_pb2
from anjian.events.v1.credit_events_pb2 import CreditEvent
from anjian.events.v1.envelope_pb2 import EventMetadata
from anjian_credit.names import enterprise_name
from anjian_credit.tables import credit_changes, kernel
from anjian_kernel.bus import subject
from anjian_kernel.messages import timestamp
from anjian_kernel.outbox import enqueue

K = CreditEvent.Kind
FEED_LOCK = "credit-feed"


async def announce(
    connection: AsyncConnection,
    *,
    tenant: str,
    actor: str,
    kind: "CreditEvent.Kind.ValueType",
    credit_code: str,
    at: datetime,
    resource: str,
    version: int = 1,
    listing: credit_pb2.Listing | None = None,
    record: credit_pb2.CreditRecord | None = None,
    score_before: int = 0,
    score_after: int = 0,
) -> None:
    """Put one credit event into the outbox; events of one enterprise keep their order."""
    event_id = uuid.uuid4()
    event = CreditEvent(
        metadata=EventMetadata(
            event_id=str(event_id),
            tenant=tenant,
            occur_time=timestamp(at),
            resource=resource,
            resource_version=version,
            actor=actor,
        ),
        kind=kind,
        credit_code=credit_code,
        listing=listing,
        credit_record=record,
        score_before=score_before,
        score_after=score_after,
    )
    await enqueue(
        connection,
        kernel,
        subject=subject(tenant, "credit", K.Name(kind).removeprefix("KIND_").lower()),
        event=event,
        event_id=event_id,
        aggregate=enterprise_name(tenant, credit_code),
    )


async def append_to_feed(
    connection: AsyncConnection, changes: list[credit_pb2.CreditChange], at: datetime
) -> None:
    """Append public changes to the feed; call it last in the transaction (it holds a lock
    every other feed writer waits for until this transaction ends)."""
    if not changes:
        return
    await connection.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": FEED_LOCK}
    )
    await connection.execute(
        credit_changes.insert(),
        [
            {
                "kind": change.kind,
                "credit_code": change.credit_code,
                "payload": change.SerializeToString(),
                "committed_at": at,
            }
            for change in changes
        ],
    )


async def read_feed(connection: AsyncConnection, after: int, limit: int) -> list[Row[Any]]:
    """Feed rows after sequence `after`, in order."""
    return list(
        (
            await connection.execute(
                select(credit_changes)
                .where(credit_changes.c.sequence > after)
                .order_by(credit_changes.c.sequence)
                .limit(limit)
            )
        ).all()
    )


def to_change(row: Row[Any]) -> credit_pb2.CreditChange:
    """A feed row as the API's CreditChange."""
    change = credit_pb2.CreditChange.FromString(row.payload)
    change.sequence = row.sequence
    change.change_time.FromDatetime(row.committed_at)
    return change
