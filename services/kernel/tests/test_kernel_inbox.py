"""The inbox: an event delivered twice changes things once; a failed handling leaves no trace."""

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import nats
import pytest
from kernel_support import SECRET
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, StreamConfig
from nats.js.errors import NotFoundError
from sqlalchemy import Column, LargeBinary, MetaData, Table, Uuid, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from anjian_cli.embedded import EmbeddedNats, EmbeddedPostgres
from anjian_kernel.bus import Bus, stream_name
from anjian_kernel.database import TenantDatabases, create_database
from anjian_kernel.inbox import Event, InboxConsumer
from anjian_kernel.settings import KernelSettings
from anjian_kernel.tables import KernelTables

pytestmark = pytest.mark.slow

TENANT = "532300"
# Short, so a test can outwait it and make JetStream store the same event id twice,
# as it does when the relay republishes a row after the window has passed.
DUPLICATE_WINDOW = 0.5

metadata = MetaData(schema="kernel_inbox_test")
kernel = KernelTables(metadata)
effects = Table(
    "effects",
    metadata,
    Column("event_id", Uuid, nullable=False),
    Column("payload", LargeBinary, nullable=False),
)


@pytest.fixture(scope="module")
async def bus_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[EmbeddedNats]:
    """A NATS server of this module alone, with the tenant's stream and a short window."""
    server = EmbeddedNats(tmp_path_factory.mktemp("inbox-nats") / "store")
    await asyncio.to_thread(server.start)
    client = await nats.connect(server.url)
    try:
        await client.jetstream().add_stream(
            StreamConfig(
                name=stream_name(TENANT),
                subjects=[f"anjian.{TENANT}.>"],
                duplicate_window=DUPLICATE_WINDOW,
            )
        )
        yield server
    finally:
        await client.close()
        await asyncio.to_thread(server.stop)


@pytest.fixture(scope="module")
async def bus(bus_server: EmbeddedNats) -> AsyncIterator[Bus]:
    """The kernel's bus connection to the module's NATS."""
    connection = Bus(KernelSettings(nats_url=bus_server.url, token_secret=SECRET), "kernel-test")
    await connection.connect()
    try:
        yield connection
    finally:
        await connection.drain()


@pytest.fixture(scope="module")
async def databases(postgres: EmbeddedPostgres) -> AsyncIterator[TenantDatabases]:
    """The tenant database of these tests, as a service's consumer reaches it."""
    settings = KernelSettings(
        database_url=postgres.url_for("anjian_kinbox_{tenant}"), token_secret=SECRET
    )
    found = TenantDatabases(settings, str(metadata.schema), Path(__file__).parent)
    try:
        yield found
    finally:
        await found.dispose()


@pytest.fixture(scope="module")
async def engine(databases: TenantDatabases) -> AsyncEngine:
    """A database with the kernel's tables and the test's effects table, made afresh."""
    await create_database(databases.url(TENANT))
    database = databases.engine(TENANT)
    async with database.begin() as connection:
        await connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {metadata.schema} CASCADE")
        await connection.exec_driver_sql(f"CREATE SCHEMA {metadata.schema}")
        await connection.run_sync(metadata.create_all)
    return database


async def record_effect(connection: AsyncConnection, event: Event) -> None:
    """The handler's effect: one row per handling, so a second handling would show."""
    await connection.execute(
        effects.insert().values(event_id=event.event_id, payload=event.payload)
    )


@asynccontextmanager
async def consuming(
    durable: str,
    subject: str,
    bus: Bus,
    databases: TenantDatabases,
    handler: Callable[[AsyncConnection, Event], Awaitable[None]],
) -> AsyncIterator[None]:
    """An InboxConsumer of `subject` running in the background for the block."""
    consumer = InboxConsumer(
        tenant=TENANT,
        durable=durable,
        subjects=subject,
        bus=bus,
        databases=databases,
        tables=kernel,
        handler=handler,
    )
    task = asyncio.create_task(consumer.run())
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def subject_of(test: str) -> str:
    """A subject of the tenant's stream that only one test uses."""
    return f"anjian.{TENANT}.kerneltest.{test}"


async def publish(
    jetstream: JetStreamContext, subject: str, event_id: uuid.UUID, payload: bytes
) -> int:
    """Store an event with its id as `Nats-Msg-Id`; returns its stream sequence."""
    ack = await jetstream.publish(subject, payload, headers={"Nats-Msg-Id": str(event_id)})
    assert not ack.duplicate
    return ack.seq


async def wait_acknowledged(jetstream: JetStreamContext, durable: str, seq: int) -> None:
    """Wait until the durable consumer has acknowledged every message up to `seq`."""
    async with asyncio.timeout(30):
        while True:
            # The consumer task makes its durable when it starts; until then there is none.
            with contextlib.suppress(NotFoundError):
                info = await jetstream.consumer_info(stream_name(TENANT), durable)
                if info.ack_floor is not None and (info.ack_floor.stream_seq or 0) >= seq:
                    return
            await asyncio.sleep(0.1)


async def effects_of(engine: AsyncEngine, event_id: uuid.UUID) -> list[bytes]:
    """The payloads the handler recorded for one event."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(effects.c.payload).where(effects.c.event_id == event_id)
        )
        return [payload for (payload,) in rows]


async def inbox_count(engine: AsyncEngine, durable: str, event_id: uuid.UUID) -> int:
    """How many inbox rows the consumer `durable` holds for one event."""
    inbox = kernel.inbox
    async with engine.connect() as connection:
        count = await connection.scalar(
            select(func.count())
            .select_from(inbox)
            .where(inbox.c.consumer == durable, inbox.c.event_id == event_id)
        )
        return int(count or 0)


async def test_an_event_delivered_twice_takes_effect_once(
    bus: Bus, engine: AsyncEngine, databases: TenantDatabases
) -> None:
    durable = "kernel-test-twice"
    subject = subject_of("twice")
    event_id = uuid.uuid4()
    async with consuming(durable, subject, bus, databases, record_effect):
        first = await publish(bus.jetstream, subject, event_id, b"first delivery")
        await wait_acknowledged(bus.jetstream, durable, first)

        await asyncio.sleep(DUPLICATE_WINDOW + 0.5)
        second = await publish(bus.jetstream, subject, event_id, b"second delivery")
        assert second > first
        await wait_acknowledged(bus.jetstream, durable, second)

    assert await effects_of(engine, event_id) == [b"first delivery"]
    assert await inbox_count(engine, durable, event_id) == 1


async def test_each_consumer_handles_an_event_once_for_itself(
    bus: Bus, engine: AsyncEngine, databases: TenantDatabases
) -> None:
    subject = subject_of("shared")
    event_id = uuid.uuid4()
    seq = await publish(bus.jetstream, subject, event_id, b"shared")
    async with (
        consuming("kernel-test-left", subject, bus, databases, record_effect),
        consuming("kernel-test-right", subject, bus, databases, record_effect),
    ):
        await wait_acknowledged(bus.jetstream, "kernel-test-left", seq)
        await wait_acknowledged(bus.jetstream, "kernel-test-right", seq)

    assert await effects_of(engine, event_id) == [b"shared", b"shared"]
    assert await inbox_count(engine, "kernel-test-left", event_id) == 1
    assert await inbox_count(engine, "kernel-test-right", event_id) == 1


async def test_a_failed_handling_leaves_no_trace_and_the_event_comes_back(
    bus: Bus, engine: AsyncEngine, databases: TenantDatabases
) -> None:
    durable = "kernel-test-flaky"
    subject = subject_of("flaky")
    # The consumer binds to an existing durable as it is; made here with a 1 s ack wait
    # instead of the kernel's 30 s, so the redelivery comes quickly.
    await bus.jetstream.add_consumer(
        stream_name(TENANT),
        ConsumerConfig(
            durable_name=durable,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=1,
            max_deliver=-1,
            filter_subject=subject,
        ),
    )
    attempts: list[int] = []

    async def fail_the_first_time(connection: AsyncConnection, event: Event) -> None:
        await record_effect(connection, event)
        attempts.append(len(attempts) + 1)
        if len(attempts) == 1:
            raise RuntimeError("the database went away mid-handling")

    event_id = uuid.uuid4()
    seq = await publish(bus.jetstream, subject, event_id, b"flaky")
    async with consuming(durable, subject, bus, databases, fail_the_first_time):
        await wait_acknowledged(bus.jetstream, durable, seq)

    # Had the failed attempt left its inbox row, the redelivery would not have run the
    # handler; had it left its effect, there would be two.
    assert attempts == [1, 2]
    assert await effects_of(engine, event_id) == [b"flaky"]
    assert await inbox_count(engine, durable, event_id) == 1


async def subscriptions_of(server: EmbeddedNats, connection_name: str) -> int:
    """How many subscriptions the server holds for the named client connection."""
    async with httpx.AsyncClient() as http:
        reply = await http.get(f"{server.monitor_url}/connz", params={"subs": 1})
    [connection] = [c for c in reply.json()["connections"] if c.get("name") == connection_name]
    return int(connection["subscriptions"])


async def test_an_idle_consumer_keeps_one_subscription_and_lets_the_bus_drain(
    bus_server: EmbeddedNats, engine: AsyncEngine, databases: TenantDatabases
) -> None:
    name = "kernel-test-idle"
    own_bus = Bus(KernelSettings(nats_url=bus_server.url, token_secret=SECRET), name)
    await own_bus.connect()
    try:
        async with consuming(
            "kernel-test-idle", subject_of("idle"), own_bus, databases, record_effect
        ):
            await asyncio.sleep(1.5)
            settled = await subscriptions_of(bus_server, name)
            # Idle fetches end in timeouts; none of them may restart the consumer, which
            # would leave its old subscription behind each time.
            await asyncio.sleep(5)
            assert await subscriptions_of(bus_server, name) == settled
    finally:
        began = time.monotonic()
        await own_bus.drain()
    assert time.monotonic() - began < 5
