"""The gateway in front of the real hazard and credit services: in-process gRPC on real
PostgreSQL and NATS."""

import asyncio
from collections.abc import AsyncIterator

import grpc
import httpx
import pytest
from gateway_support import (
    BAOSHAN,
    KUNMING,
    QUJING,
    SALT,
    SECRET,
    YUXI,
    Gateway,
    public_token,
)
from grpc_health.v1 import health_pb2, health_pb2_grpc

from anjian_cli.embedded import EmbeddedNats, EmbeddedPostgres
from anjian_credit.main import CreditSettings
from anjian_credit.main import build as build_credit
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


@pytest.fixture(scope="session")
async def credit_host(
    postgres: EmbeddedPostgres, nats_server: EmbeddedNats
) -> AsyncIterator[ServiceHost]:
    """The credit service for Yuxi and Baoshan, SERVING before tests begin."""
    settings = CreditSettings(
        database_url=postgres.url_for("anjian_gateway_{tenant}"),
        nats_url=nats_server.url,
        tenants=[YUXI, BAOSHAN],
        token_secret=SECRET,
        person_key_salt=SALT,
        grpc_port=0,
        expiry_scan_interval_seconds=3600,
        relay_poll_interval_seconds=0.2,
        health_check_interval_seconds=0.2,
    )
    host = build_credit(settings)
    await host.start()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{host.port}") as channel:
        await _until_serving(channel)
    yield host
    await host.stop()


@pytest.fixture(scope="session")
async def credit_channel(credit_host: ServiceHost) -> AsyncIterator[grpc.aio.Channel]:
    """A channel to the credit service, for tests that set the scene over gRPC."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{credit_host.port}") as channel:
        yield channel


async def _until_serving(channel: grpc.aio.Channel, timeout: float = 30) -> None:
    stub = health_pb2_grpc.HealthStub(channel)
    async with asyncio.timeout(timeout):
        while True:
            reply = await stub.Check(health_pb2.HealthCheckRequest())
            if reply.status == health_pb2.HealthCheckResponse.SERVING:
                return
            await asyncio.sleep(0.1)


@pytest.fixture(scope="session")
def gateway_settings(hazard_host: ServiceHost, credit_host: ServiceHost) -> GatewaySettings:
    """Settings of a gateway in front of both services, with a public query of Yuxi only."""
    return GatewaySettings(
        hazard_address=f"127.0.0.1:{hazard_host.port}",
        credit_address=f"127.0.0.1:{credit_host.port}",
        public_tokens={YUXI: public_token(YUXI)},
    )


@pytest.fixture(scope="session")
async def gateway(gateway_settings: GatewaySettings) -> AsyncIterator[Gateway]:
    """The gateway app, started (lifespan entered) and called over an in-process transport."""
    app = create_app(gateway_settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway.test"
        ) as client,
    ):
        yield Gateway(app, client)
