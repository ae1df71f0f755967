"""Health tells the truth: NOT_SERVING while the bus or the database is away, and in drain."""

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from kernel_support import (
    NOT_SERVING,
    SERVING,
    hazard_settings,
    health_status,
    running_hazard,
    wait_for_health,
)

from anjian_cli.embedded import EmbeddedNats, EmbeddedPostgres
from anjian_hazard.main import build

pytestmark = pytest.mark.slow

# The hazard settings check health every 0.2 s; "a few seconds" leaves room for a busy machine.
NOTICE = 10.0
GRACE = 2.0


@pytest.fixture
async def own_nats(tmp_path: Path) -> AsyncIterator[EmbeddedNats]:
    """A NATS server of this test alone, so stopping it disturbs no other test."""
    server = EmbeddedNats(tmp_path / "nats")
    await asyncio.to_thread(server.start)
    try:
        yield server
    finally:
        await asyncio.to_thread(server.stop)


async def test_health_follows_the_bus_and_drain(
    postgres: EmbeddedPostgres, own_nats: EmbeddedNats
) -> None:
    settings = hazard_settings(
        postgres.url_for("anjian_khealth_{tenant}"), own_nats.url, shutdown_grace_seconds=GRACE
    )
    host = build(settings)
    await host.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{host.port}")
    try:
        await wait_for_health(channel, SERVING)

        await asyncio.to_thread(own_nats.stop)
        await wait_for_health(channel, NOT_SERVING, timeout=NOTICE)
        assert await health_status(channel, "anjian.hazard.v1.HazardService") == NOT_SERVING

        await asyncio.to_thread(own_nats.start)
        await wait_for_health(channel, SERVING, timeout=NOTICE)

        watch = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest())
        assert (await watch.read()).status == SERVING
        began = time.monotonic()
        stopping = asyncio.create_task(host.stop())
        assert (await watch.read()).status == NOT_SERVING
        await stopping
        assert time.monotonic() - began < GRACE + NOTICE

        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await health_status(channel)
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        await channel.close()
        await host.stop()


async def test_health_follows_the_database(tmp_path: Path, nats_server: EmbeddedNats) -> None:
    database = EmbeddedPostgres(tmp_path / "pg", fast=True)
    await asyncio.to_thread(database.start)
    try:
        settings = hazard_settings(database.url_for("anjian_{tenant}"), nats_server.url)
        async with running_hazard(settings) as service:
            await asyncio.to_thread(database.stop)
            await wait_for_health(service.channel, NOT_SERVING, timeout=NOTICE)

            await asyncio.to_thread(database.start)
            await wait_for_health(service.channel, SERVING, timeout=NOTICE)
    finally:
        await asyncio.to_thread(database.stop)


async def test_health_is_not_serving_until_the_bus_can_be_reached(
    postgres: EmbeddedPostgres, own_nats: EmbeddedNats
) -> None:
    await asyncio.to_thread(own_nats.stop)
    host = build(hazard_settings(postgres.url_for("anjian_khealth_{tenant}"), own_nats.url))
    starting = asyncio.create_task(host.start())
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{host.port}")
    try:
        await wait_for_health(channel, NOT_SERVING)
        await asyncio.sleep(1)
        assert await health_status(channel) == NOT_SERVING
        assert not starting.done()

        await asyncio.to_thread(own_nats.start)
        await asyncio.wait_for(starting, NOTICE)
        await wait_for_health(channel, SERVING, timeout=NOTICE)
    finally:
        starting.cancel()
        await asyncio.gather(starting, return_exceptions=True)
        await channel.close()
        await host.stop()
