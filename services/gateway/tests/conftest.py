"""The gateway in front of a real hazard service: in-process gRPC on real PostgreSQL and NATS."""

import asyncio
from collections.abc import AsyncIterator

import grpc
import httpx
import pytest
from gateway_support import KUNMING, QUJING, SECRET, Gateway
from grpc_health.v1 import health_pb2, health_pb2_grpc

from anjian_cli.embedded import EmbeddedNats, EmbeddedPostgres
from anjian_gateway.main import create_app
from anjian_gateway.settings import GatewaySettings
from anjian_hazard.main import HazardSettings, build
from anjian_kernel.server import ServiceHost


@pytest.fixture(scope="session")
async def hazard_host(
    postgres: EmbeddedPostgres, nats_server: EmbeddedNats
) -> AsyncIterator[ServiceHost]:
    """The hazard service for Kunming and Qujing, SERVING before tests begin.

    Its databases are the gateway tests' own, so a run of the whole suite, where the
    hazard service's tests run their own instance, keeps the two apart.
    """
    settings = HazardSettings(
        database_url=postgres.url_for("anjian_gateway_{tenant}"),
        nats_url=nats_server.url,
        tenants=[KUNMING, QUJING],
        token_secret=SECRET,
        grpc_port=0,
        overdue_scan_interval_seconds=3600,
        relay_poll_interval_seconds=0.2,
        health_check_interval_seconds=0.2,
    )
    host = build(settings)
    await host.start()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{host.port}") as channel:
        await _until_serving(channel)
    yield host
    await host.stop()


async def _until_serving(channel: grpc.aio.Channel, timeout: float = 30) -> None:
    stub = health_pb2_grpc.HealthStub(channel)
    async with asyncio.timeout(timeout):
        while True:
            reply = await stub.Check(health_pb2.HealthCheckRequest())
            if reply.status == health_pb2.HealthCheckResponse.SERVING:
                return
            await asyncio.sleep(0.1)


@pytest.fixture(scope="session")
async def gateway(hazard_host: ServiceHost) -> AsyncIterator[Gateway]:
    """The gateway app, started (lifespan entered) and called over an in-process transport."""
    app = create_app(GatewaySettings(hazard_address=f"127.0.0.1:{hazard_host.port}"))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway.test"
        ) as client,
    ):
        yield Gateway(app, client)
