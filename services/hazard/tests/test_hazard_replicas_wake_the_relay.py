"""Two replicas of the hazard service: whichever takes the report, its event goes out at once.

The relay leads in one replica; a report committed in that replica wakes it in-process,
and a report committed in the other is announced with NOTIFY after commit. Polling is set
to half a minute here, so only those wake-ups can publish the events within the test.
"""

import asyncio
import time
from collections.abc import AsyncIterator

import grpc
import pytest
from hazard_support import KUNMING, SECRET, Caller, hazard_events, token, wait_serving

from anjian_cli.embedded import EmbeddedNats, EmbeddedPostgres
from anjian_hazard.main import HazardSettings, build
from anjian_kernel.server import ServiceHost


@pytest.fixture
async def replicas(
    postgres: EmbeddedPostgres, hazard_nats: EmbeddedNats
) -> AsyncIterator[list[tuple[ServiceHost, grpc.aio.Channel]]]:
    settings = HazardSettings(
        database_url=postgres.url_for("anjian_replicas_{tenant}"),
        nats_url=hazard_nats.url,
        tenants=[KUNMING],
        token_secret=SECRET,
        grpc_port=0,
        relay_poll_interval_seconds=30,
        health_check_interval_seconds=0.2,
    )
    running = []
    for _ in range(2):
        host = build(settings)
        await host.start()
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{host.port}")
        await wait_serving(channel)
        running.append((host, channel))
    yield running
    for host, channel in running:
        await channel.close()
        await host.stop()


async def test_either_replica_gets_its_event_out_without_waiting_for_a_poll(
    replicas: list[tuple[ServiceHost, grpc.aio.Channel]], hazard_nats: EmbeddedNats
) -> None:
    leaders = [host.databases.outbox_signal(KUNMING).leading for host, _ in replicas]
    async with asyncio.timeout(10):
        while sum(leaders) != 1:
            await asyncio.sleep(0.1)
            leaders = [host.databases.outbox_signal(KUNMING).leading for host, _ in replicas]

    for _, channel in replicas:
        started = time.monotonic()
        reported = await Caller(channel, token(KUNMING)).report()
        events = await hazard_events(hazard_nats.url, KUNMING, reported.name, 1, timeout=10)
        assert len(events) == 1
        assert time.monotonic() - started < 10, "published well before the 30 s poll"
