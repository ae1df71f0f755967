"""A durable JetStream pull consumer of a tenant's hazard events, keeping every event it gets.

It is what a downstream service would be: it acknowledges each message after recording
it and keeps events by id, so a redelivered message counts once while two different
events about the same change would both show.
"""

import asyncio
import contextlib
from collections import Counter
from collections.abc import Iterable

import nats
import nats.errors
from nats.aio.client import Client
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from anjian.events.v1.hazard_events_pb2 import HazardEvent
from anjian_kernel.bus import stream_name

DURABLE = "anjian-demo"
BATCH = 256
FETCH_WAIT = 0.5


def kind_name(kind: "HazardEvent.Kind.ValueType") -> str:
    """The event's kind as in its subject, e.g. `overdue`."""
    return HazardEvent.Kind.Name(kind).removeprefix("KIND_").lower()


class EventConsumer:
    """Pulls `anjian.<tenant>.hazard.>` from the tenant's stream until stopped."""

    def __init__(self, nats_url: str, tenant: str) -> None:
        """A consumer for `tenant`'s hazard events on the server at `nats_url`."""
        self.nats_url = nats_url
        self.tenant = tenant
        self.events: dict[str, HazardEvent] = {}
        self.deliveries = 0
        self._client: Client | None = None
        self._arrived = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        """Fetch, record and acknowledge events until `stop` is set."""
        self._client = await nats.connect(self.nats_url, name=DURABLE)
        try:
            subject = f"anjian.{self.tenant}.hazard.>"
            subscription = await self._client.jetstream().pull_subscribe(
                subject,
                durable=DURABLE,
                stream=stream_name(self.tenant),
                config=ConsumerConfig(
                    ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL
                ),
            )
            while not stop.is_set():
                with contextlib.suppress(TimeoutError, nats.errors.TimeoutError):
                    for message in await subscription.fetch(BATCH, timeout=FETCH_WAIT):
                        event = HazardEvent.FromString(message.data)
                        self.deliveries += 1
                        self.events.setdefault(event.metadata.event_id, event)
                        await message.ack()
                        self._arrived.set()
        finally:
            await self._client.close()

    def kinds(self, event_ids: Iterable[str] | None = None) -> Counter[str]:
        """Events by kind: all received, or those among `event_ids`."""
        chosen = self.events.values() if event_ids is None else self.among(event_ids)
        return Counter(kind_name(event.kind) for event in chosen)

    def among(self, event_ids: Iterable[str]) -> list[HazardEvent]:
        """The received events whose ids are in `event_ids`."""
        return [self.events[i] for i in event_ids if i in self.events]

    async def wait_for(self, event_ids: set[str]) -> None:
        """Wait until every one of `event_ids` has arrived."""
        while self.missing(event_ids):
            self._arrived.clear()
            await self._arrived.wait()

    def missing(self, event_ids: Iterable[str]) -> set[str]:
        """Which of `event_ids` have not arrived yet."""
        return {i for i in event_ids if i not in self.events}
