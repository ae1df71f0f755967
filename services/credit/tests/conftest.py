"""A credit service served in-process over real gRPC, on real PostgreSQL and NATS; and a
hazard service beside it on the same bus and databases, for events that cross over."""

from collections.abc import AsyncIterator

import grpc
import pytest
from credit_support import (
    KUNMING,
    QUJING,
    SALT,
    SECRET,
    START,
    Caller,
    CreditStack,
    SettableClock,
    token,
    wait_serving,
)

from anjian_cli.embedded import EmbeddedNats, EmbeddedPostgres
from anjian_credit.main import CreditSettings, build
from anjian_kernel.auth import Role
from anjian_kernel.server import ServiceHost


@pytest.fixture(scope="session")
async def credit_stack(
    postgres: EmbeddedPostgres, nats_server: EmbeddedNats
) -> AsyncIterator[CreditStack]:
    """The credit service for tenants 530100 and 530300, SERVING before tests begin."""
    settings = CreditSettings(
        database_url=postgres.url_for("anjian_{tenant}"),
        nats_url=nats_server.url,
        tenants=[KUNMING, QUJING],
        token_secret=SECRET,
        person_key_salt=SALT,
        grpc_port=0,
        expiry_scan_interval_seconds=3600,
        relay_poll_interval_seconds=0.2,
        health_check_interval_seconds=0.2,
    )
    clock = SettableClock(START)
    host = build(settings, clock)
    await host.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{host.port}")
    await wait_serving(channel)
    yield CreditStack(host, clock, channel, nats_server, postgres)
    await channel.close()
    await host.stop()


@pytest.fixture(scope="session")
async def hazard_channel(
    credit_stack: CreditStack, postgres: EmbeddedPostgres, nats_server: EmbeddedNats
) -> AsyncIterator[grpc.aio.Channel]:
    """The real hazard service, sharing the credit stack's clock, bus and databases."""
    from anjian_hazard.main import HazardSettings
    from anjian_hazard.main import build as build_hazard

    settings = HazardSettings(
        database_url=postgres.url_for("anjian_{tenant}"),
        nats_url=nats_server.url,
        tenants=[KUNMING],
        token_secret=SECRET,
        grpc_port=0,
        overdue_scan_interval_seconds=3600,
        relay_poll_interval_seconds=0.2,
        health_check_interval_seconds=0.2,
    )
    host: ServiceHost = build_hazard(settings, credit_stack.clock)
    await host.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{host.port}")
    await wait_serving(channel)
    yield channel
    await channel.close()
    await host.stop()


@pytest.fixture
def stack(credit_stack: CreditStack) -> CreditStack:
    """The session's stack with its clock back at the start time."""
    credit_stack.clock.instant = START
    return credit_stack


@pytest.fixture
def inspector(stack: CreditStack) -> Caller:
    """An inspector of Kunming."""
    return stack.caller(token(KUNMING, Role.INSPECTOR))


@pytest.fixture
def admin(stack: CreditStack) -> Caller:
    """An administrator of Kunming."""
    return stack.caller(token(KUNMING, Role.ADMIN))
