"""A hazard service served in-process over real gRPC, on real PostgreSQL and NATS."""

from collections.abc import AsyncIterator, Iterator

import grpc
import pytest
from hazard_support import (
    KUNMING,
    QUJING,
    SECRET,
    START,
    Caller,
    HazardStack,
    SettableClock,
    token,
    wait_serving,
)

from anjian_cli.embedded import EmbeddedNats, EmbeddedPostgres
from anjian_hazard.main import HazardSettings, build
from anjian_kernel.auth import Role


@pytest.fixture(scope="session")
def hazard_nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedNats]:
    """A NATS server of the hazard tests' own.

    Other suites run their own deployments of the same tenants in this session; on a
    shared server their replicas would share our durable consumers and take our events.
    """
    with EmbeddedNats(tmp_path_factory.mktemp("hazard-nats") / "store") as server:
        yield server


@pytest.fixture(scope="session")
async def hazard_stack(
    postgres: EmbeddedPostgres, hazard_nats: EmbeddedNats
) -> AsyncIterator[HazardStack]:
    """The hazard service for tenants 530100 and 530300, SERVING before tests begin."""
    settings = HazardSettings(
        database_url=postgres.url_for("anjian_hazardtests_{tenant}"),
        nats_url=hazard_nats.url,
        tenants=[KUNMING, QUJING],
        token_secret=SECRET,
        grpc_port=0,
        overdue_scan_interval_seconds=3600,
        relay_poll_interval_seconds=0.2,
        health_check_interval_seconds=0.2,
    )
    clock = SettableClock(START)
    host = build(settings, clock)
    await host.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{host.port}")
    await wait_serving(channel)
    yield HazardStack(host, clock, channel, hazard_nats, postgres)
    await channel.close()
    await host.stop()


@pytest.fixture
def stack(hazard_stack: HazardStack) -> HazardStack:
    """The session's stack with its clock back at the start time."""
    hazard_stack.clock.instant = START
    return hazard_stack


@pytest.fixture
def inspector(stack: HazardStack) -> Caller:
    """An inspector of Kunming."""
    return stack.caller(token(KUNMING, Role.INSPECTOR))


@pytest.fixture
def admin(stack: HazardStack) -> Caller:
    """An administrator of Kunming."""
    return stack.caller(token(KUNMING, Role.ADMIN))
