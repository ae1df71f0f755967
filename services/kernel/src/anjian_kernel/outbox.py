"""The transactional outbox and its relay to JetStream.

A service writes its state change and its event in one transaction
(`enqueue`). The relay wakes on LISTEN/NOTIFY (polling as a fallback), reads
unpublished rows in id order, publishes each with `Nats-Msg-Id` = event id so
JetStream drops a republished duplicate, and marks them published. Per tenant
one relay leads at a time (a PostgreSQL advisory lock), which keeps each
aggregate's events in commit order across replicas; the others wait to take over.

A lone event is published as soon as the relay wakes. While events keep coming,
the relay waits a few milliseconds (`relay_gather_seconds`) between batches, so
that one read, one mark and one flush to the bus serve many events instead of
two or three.
"""

import asyncio
import contextlib
import json
import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg
from google.protobuf.message import Message
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind
from sqlalchemy.ext.asyncio import AsyncConnection

from anjian_kernel.bus import Bus
from anjian_kernel.database import TenantDatabases
from anjian_kernel.logs import get_logger
from anjian_kernel.settings import KernelSettings
from anjian_kernel.tables import OUTBOX_CHANNEL, OUTBOX_PENDING, KernelTables
from anjian_kernel.telemetry import extract_context, inject_context

log = get_logger(__name__)
tracer = trace.get_tracer(__name__)

_BATCH = 200
SELECT_PENDING = (
    "SELECT id, event_id, subject, payload, headers::text AS headers FROM {outbox} "
    "WHERE published_at IS NULL ORDER BY id LIMIT $1"
)
MARK_PUBLISHED = "UPDATE {outbox} SET published_at = now() WHERE id = ANY($1)"
PURGE_PUBLISHED = (
    "DELETE FROM {outbox} WHERE id IN (SELECT id FROM {outbox} "
    "WHERE published_at < now() - make_interval(secs => $1) ORDER BY id LIMIT $2)"
)
_PURGE_BATCH = 5000


async def enqueue(
    connection: AsyncConnection,
    tables: KernelTables,
    *,
    subject: str,
    event: Message,
    event_id: uuid.UUID,
    aggregate: str,
) -> None:
    """Add an event to the outbox inside the caller's transaction, with the trace context.

    The transaction must come from `TenantDatabases.begin`, which wakes the relay on commit.
    """
    connection.info[OUTBOX_PENDING] = True
    await connection.execute(
        tables.outbox.insert().values(
            event_id=event_id,
            subject=subject,
            payload=event.SerializeToString(),
            headers=inject_context(),
            aggregate=aggregate,
        )
    )


class OutboxRelay:
    """Publishes one tenant's outbox to JetStream."""

    def __init__(
        self,
        tenant: str,
        databases: TenantDatabases,
        tables: KernelTables,
        bus: Bus,
        settings: KernelSettings,
    ) -> None:
        self._tenant = tenant
        self._engine = databases.engine(tenant)
        self._schema = databases.schema
        # The schema name is the service's own constant, never input.
        outbox = f"{databases.schema}.outbox"
        self._select_pending = SELECT_PENDING.format(outbox=outbox)
        self._mark_published = MARK_PUBLISHED.format(outbox=outbox)
        self._signal = databases.outbox_signal(tenant)
        self._tables = tables
        self._bus = bus
        self._poll_interval = settings.relay_poll_interval_seconds
        self._gather = settings.relay_gather_seconds
        self._lock_key = f"outbox-relay:{tables.metadata.schema}"

    async def run(self) -> None:
        """Lead the tenant's relay while holding its lock; retry on any failure."""
        while True:
            try:
                await self._lead()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("outbox_relay_failed", tenant=self._tenant, error=str(error))
                await asyncio.sleep(self._poll_interval)

    async def _lead(self) -> None:
        async with self._engine.connect() as lock_connection:
            raw = await lock_connection.get_raw_connection()
            driver: Any = raw.driver_connection
            acquired = await driver.fetchval(
                "SELECT pg_try_advisory_lock(hashtext($1))", self._lock_key
            )
            if not acquired:
                await asyncio.sleep(self._poll_interval * 5)
                return
            await driver.add_listener(OUTBOX_CHANNEL, self._on_notify)
            self._signal.leading = True
            try:
                while True:
                    published = await self._publish_pending(driver)
                    if not published:
                        await self._sleep_until_woken()
                    elif published < _BATCH:
                        await asyncio.sleep(self._gather)
            finally:
                self._signal.leading = False
                await driver.remove_listener(OUTBOX_CHANNEL, self._on_notify)
                await driver.execute("SELECT pg_advisory_unlock(hashtext($1))", self._lock_key)

    def _on_notify(self, _connection: object, _pid: int, _channel: str, schema: str) -> None:
        if schema == self._schema:
            self._signal.wake.set()

    async def _sleep_until_woken(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._signal.wake.wait(), self._poll_interval)
        self._signal.wake.clear()

    async def _publish_pending(self, driver: asyncpg.Connection) -> int:
        """Publish one batch of unpublished events in id order; returns how many.

        It runs on the connection that holds the relay's lock: no pool checkout and no
        liveness probe per batch, which under load cost more than the batch itself. The
        lock makes this relay the only one publishing the tenant's outbox, so the rows need
        no locks of their own, and the read and the mark are a statement each, without a
        transaction around them. Should the mark be lost, the batch is sent again and
        JetStream drops it by message id.
        """
        rows = await driver.fetch(self._select_pending, _BATCH)
        if rows:
            await self._publish_batch(rows)
            await driver.execute(self._mark_published, [row["id"] for row in rows])
        return len(rows)

    async def _publish_batch(self, rows: Sequence[asyncpg.Record]) -> None:
        """Send the batch in order, then wait for every acknowledgement.

        One connection keeps the order in which messages are sent, so waiting for the
        acknowledgements together keeps each aggregate's order and saves a round trip per
        event. If any fails, the whole batch stays unpublished and is sent again; JetStream
        drops the ones it already stored by their message id.
        """
        jetstream = self._bus.jetstream
        sent: list[tuple[Span, asyncio.Future[Any]]] = []
        try:
            for row in rows:
                subject, event_id = row["subject"], str(row["event_id"])
                span = tracer.start_span(
                    f"{subject} publish",
                    context=extract_context(json.loads(row["headers"])),
                    kind=SpanKind.PRODUCER,
                    attributes={
                        "messaging.system": "nats",
                        "messaging.destination.name": subject,
                        "messaging.message.id": event_id,
                    },
                )
                with trace.use_span(span, end_on_exit=False):
                    headers = {"Nats-Msg-Id": event_id, **inject_context()}
                    acknowledged = await jetstream.publish_async(
                        subject, row["payload"], headers=headers
                    )
                sent.append((span, acknowledged))
            await asyncio.gather(*(acknowledged for _, acknowledged in sent))
        finally:
            for span, _ in sent:
                span.end()


async def purge_published(databases: TenantDatabases, tenant: str, retention: float) -> int:
    """Delete the tenant's outbox rows published more than `retention` seconds ago.

    In batches, each its own transaction, so a long backlog never holds locks for long.
    Unpublished rows are never touched. Returns how many rows went.
    """
    # The schema name is the service's own constant, never input.
    statement = PURGE_PUBLISHED.format(outbox=f"{databases.schema}.outbox")
    purged = 0
    while True:
        async with databases.driver_connection(tenant) as connection:
            status = await connection.execute(statement, retention, _PURGE_BATCH)
        deleted = int(status.rsplit(" ", 1)[1])
        purged += deleted
        if deleted < _PURGE_BATCH:
            return purged
