"""The outbox: events survive a bus outage, republished rows are stored once, old ones purged."""

import asyncio
from collections.abc import AsyncIterator

import nats
import pytest
from kernel_support import KUNMING, RunningHazard, hazard_settings, running_hazard, stored_messages
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from anjian.events.v1.hazard_events_pb2 import HazardEvent
from anjian_cli.embedded import EmbeddedNats, EmbeddedPostgres
from anjian_kernel.bus import stream_name
from anjian_kernel.tables import OUTBOX_CHANNEL

pytestmark = pytest.mark.slow

REPORTED = f"anjian.{KUNMING}.hazard.reported"
DATABASE = "anjian_kout_{tenant}"


@pytest.fixture(scope="module")
async def bus(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[EmbeddedNats]:
    """A NATS server of this module alone: its tests stop it, and count what it stores."""
    server = EmbeddedNats(tmp_path_factory.mktemp("outbox-nats") / "store")
    await asyncio.to_thread(server.start)
    try:
        yield server
    finally:
        await asyncio.to_thread(server.stop)


@pytest.fixture(scope="module")
async def service(postgres: EmbeddedPostgres, bus: EmbeddedNats) -> AsyncIterator[RunningHazard]:
    """A hazard service on its own databases and this module's NATS."""
    async with running_hazard(hazard_settings(postgres.url_for(DATABASE), bus.url)) as running:
        yield running


@pytest.fixture(scope="module")
async def database(postgres: EmbeddedPostgres) -> AsyncIterator[AsyncEngine]:
    """Direct access to the service's Kunming database, to look at the outbox."""
    engine = create_async_engine(postgres.url_for(DATABASE.format(tenant=KUNMING)))
    try:
        yield engine
    finally:
        await engine.dispose()


async def reported_events(nats_url: str, name: str, at_least: int = 1) -> list[str]:
    """The ids (`Nats-Msg-Id`) of every stored `reported` event of hazard `name`."""
    found: list[str] = []
    for message in await stored_messages(nats_url, REPORTED, at_least=at_least):
        if HazardEvent.FromString(message.data).hazard.name == name:
            found.append(message.msg_id)
    return found


async def outbox_rows(engine: AsyncEngine, name: str) -> list[tuple[str, bool]]:
    """(event id, published?) of every outbox row of hazard `name`."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT event_id, published_at IS NOT NULL FROM hazard.outbox "
                "WHERE aggregate = :name ORDER BY id"
            ),
            {"name": name},
        )
        return [(str(event_id), published) for event_id, published in rows]


async def wait_published(engine: AsyncEngine, name: str, timeout: float = 30) -> None:
    """Wait until every outbox row of hazard `name` is marked published."""
    async with asyncio.timeout(timeout):
        while True:
            rows = await outbox_rows(engine, name)
            if rows and all(published for _, published in rows):
                return
            await asyncio.sleep(0.1)


async def test_an_event_written_while_the_bus_is_down_arrives_once_it_is_back(
    service: RunningHazard, bus: EmbeddedNats, database: AsyncEngine
) -> None:
    await asyncio.to_thread(bus.stop)
    try:
        reported = await service.report()
        # Longer than a JetStream publish waits (5 s), so the relay fails and retries at
        # least once while the bus is away; its buffered attempts must not double up.
        await asyncio.sleep(7)
        [(event_id, published)] = await outbox_rows(database, reported.name)
        assert not published
    finally:
        await asyncio.to_thread(bus.start)

    await wait_published(database, reported.name)
    assert await reported_events(bus.url, reported.name) == [event_id]


async def test_a_republished_outbox_row_is_stored_once(
    service: RunningHazard, bus: EmbeddedNats, database: AsyncEngine
) -> None:
    reported = await service.report()
    await wait_published(database, reported.name)
    [event_id] = await reported_events(bus.url, reported.name)
    client = await nats.connect(bus.url)
    try:
        before = await client.jetstream().stream_info(stream_name(KUNMING))

        async with database.begin() as connection:
            await connection.execute(
                text("UPDATE hazard.outbox SET published_at = NULL WHERE event_id = :id"),
                {"id": event_id},
            )
            await connection.execute(text(f"NOTIFY {OUTBOX_CHANNEL}, 'hazard'"))
        await wait_published(database, reported.name)

        after = await client.jetstream().stream_info(stream_name(KUNMING))
    finally:
        await client.close()
    assert after.state.messages == before.state.messages
    assert after.state.last_seq == before.state.last_seq
    assert await reported_events(bus.url, reported.name) == [event_id]


async def wait_gone(engine: AsyncEngine, name: str, timeout: float = 30) -> None:
    """Wait until hazard `name` has no outbox rows left."""
    async with asyncio.timeout(timeout):
        while True:
            if not await outbox_rows(engine, name):
                return
            await asyncio.sleep(0.1)


async def test_published_rows_go_after_their_retention_and_unpublished_ones_stay(
    postgres: EmbeddedPostgres, bus: EmbeddedNats
) -> None:
    template = "anjian_kpurge_{tenant}"
    settings = hazard_settings(
        postgres.url_for(template),
        bus.url,
        outbox_retention_seconds=1,
        outbox_purge_interval_seconds=0.2,
    )
    engine = create_async_engine(postgres.url_for(template.format(tenant=KUNMING)))
    try:
        async with running_hazard(settings) as purging:
            published = await purging.report()
            await wait_published(engine, published.name)
            await wait_gone(engine, published.name)

            await asyncio.to_thread(bus.stop)
            try:
                waiting = await purging.report()
                await asyncio.sleep(3)  # retention and many purges pass meanwhile
                [(_, was_published)] = await outbox_rows(engine, waiting.name)
            finally:
                await asyncio.to_thread(bus.start)
            await wait_published(engine, waiting.name)
            await wait_gone(engine, waiting.name)
    finally:
        await engine.dispose()

    assert not was_published
    assert len(await reported_events(bus.url, published.name)) == 1
    assert len(await reported_events(bus.url, waiting.name)) == 1
