"""Durable JetStream consumers that handle each event once.

The consumer records the event id in its inbox in the same transaction as the
handler's effect; a redelivered event finds its id there and changes nothing.
The message is acknowledged only after that transaction commits.
"""

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from anjian_kernel.bus import Bus, stream_name
from anjian_kernel.database import TenantDatabases
from anjian_kernel.logs import get_logger
from anjian_kernel.tables import KernelTables
from anjian_kernel.telemetry import extract_context

log = get_logger(__name__)
tracer = trace.get_tracer(__name__)


@dataclass(frozen=True)
class Event:
    """One delivered event."""

    event_id: uuid.UUID
    subject: str
    payload: bytes


Handler = Callable[[AsyncConnection, Event], Awaitable[None]]


class InboxConsumer:
    """A durable pull consumer of one tenant's subjects whose handler runs once per event."""

    def __init__(
        self,
        *,
        tenant: str,
        durable: str,
        subjects: str,
        bus: Bus,
        databases: TenantDatabases,
        tables: KernelTables,
        handler: Handler,
    ) -> None:
        self._tenant = tenant
        self._durable = durable
        self._subjects = subjects
        self._bus = bus
        self._databases = databases
        self._tables = tables
        self._handler = handler

    async def run(self) -> None:
        """Fetch and handle events until cancelled, surviving bus and database outages."""
        while True:
            try:
                await self._consume()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning(
                    "consumer_failed", tenant=self._tenant, durable=self._durable, error=str(error)
                )
                await asyncio.sleep(1)

    async def _consume(self) -> None:
        subscription = await self._bus.jetstream.pull_subscribe(
            self._subjects,
            durable=self._durable,
            stream=stream_name(self._tenant),
            config=ConsumerConfig(
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
                ack_wait=30,
                max_deliver=-1,
            ),
        )
        try:
            while True:
                # An idle fetch ends in nats' TimeoutError or, on some paths, asyncio's plain
                # one; both mean "nothing yet", not a failure that should restart the consumer.
                try:
                    messages = await subscription.fetch(batch=50, timeout=1)
                except TimeoutError:
                    continue
                for message in messages:
                    await self.handle(message)
        finally:
            # A subscription left behind queues the late replies to its pull requests, and
            # draining the connection then waits its whole timeout for them to be read.
            with contextlib.suppress(NatsError):
                await subscription.unsubscribe()

    async def handle(self, message: Msg) -> None:
        """Handle one message once, then acknowledge it."""
        headers = message.headers or {}
        event = Event(uuid.UUID(headers["Nats-Msg-Id"]), message.subject, message.data)
        with tracer.start_as_current_span(
            f"{message.subject} process",
            context=extract_context(headers),
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "nats",
                "messaging.consumer.group.name": self._durable,
                "messaging.message.id": str(event.event_id),
            },
        ):
            async with self._databases.begin(self._tenant) as connection:
                first_time = await connection.execute(
                    insert(self._tables.inbox)
                    .values(consumer=self._durable, event_id=event.event_id)
                    .on_conflict_do_nothing()
                )
                if first_time.rowcount:
                    await self._handler(connection, event)
            await message.ack()
