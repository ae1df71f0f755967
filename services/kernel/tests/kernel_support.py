"""Helpers for the kernel tests: tokens, a hazard service in-process, health, bus reads."""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

import grpc
import nats
import nats.errors
from grpc_health.v1 import health_pb2, health_pb2_grpc
from nats.js.api import DeliverPolicy

from anjian.hazard.v1 import hazard_pb2, hazard_pb2_grpc
from anjian_hazard.main import HazardSettings, build
from anjian_kernel.auth import Principal, Role, issue_token
from anjian_kernel.clock import CHINA_STANDARD_TIME
from anjian_kernel.identifiers import compose_credit_code
from anjian_kernel.server import ServiceHost

KUNMING = "530100"
KUNMING_COUNTY = "530102"
SECRET = "kernel-test-token-secret-of-32-bytes"
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=CHINA_STANDARD_TIME)

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


class FixedClock:
    """A domain clock that stands still, so reports are never "in the future"."""

    def now(self) -> datetime:
        """Always the same instant."""
        return NOW


def token(role: Role = Role.INSPECTOR, tenant: str = KUNMING, **scope: str) -> str:
    """A token signed with the tests' secret."""
    return issue_token(
        SECRET, Principal(subject="kernel-tester", tenant=tenant, role=role, **scope)
    )


def bearer(value: str) -> tuple[tuple[str, str], ...]:
    """Call metadata carrying `value` as the bearer token."""
    return (("authorization", f"Bearer {value}"),)


def hazard_settings(database_url: str, nats_url: str, **overrides: object) -> HazardSettings:
    """Settings of a hazard service for Kunming with fast health checks and relay polling."""
    values: dict[str, object] = {
        "database_url": database_url,
        "nats_url": nats_url,
        "tenants": [KUNMING],
        "token_secret": SECRET,
        "grpc_port": 0,
        "overdue_scan_interval_seconds": 3600,
        "relay_poll_interval_seconds": 0.2,
        "health_check_interval_seconds": 0.2,
        "shutdown_grace_seconds": 2,
    }
    return HazardSettings.model_validate(values | overrides)


@dataclass
class RunningHazard:
    """A hazard service host started in-process, and a channel to it."""

    host: ServiceHost
    channel: grpc.aio.Channel

    @property
    def hazards(self) -> hazard_pb2_grpc.HazardServiceStub:
        """A stub of the hazard service."""
        return hazard_pb2_grpc.HazardServiceStub(self.channel)

    async def report(self) -> hazard_pb2.Hazard:
        """Report a plausible hazard in Kunming as an inspector."""
        body = uuid.uuid4().hex[:8].upper().replace("I", "1").replace("O", "0")
        hazard = hazard_pb2.Hazard(
            enterprise_credit_code=compose_credit_code("91", KUNMING_COUNTY, body),
            enterprise_name="内核测试化工有限公司",
            county_code=KUNMING_COUNTY,
            title="储罐区静电接地失效",
            description="三号储罐静电接地线断开",
            location="储罐区",
            industry="chemicals",
        )
        return await self.hazards.ReportHazard(
            hazard_pb2.ReportHazardRequest(
                parent=f"prefectures/{KUNMING}", hazard=hazard, request_id=str(uuid.uuid4())
            ),
            metadata=bearer(token()),
        )


@contextlib.asynccontextmanager
async def running_hazard(settings: HazardSettings) -> AsyncIterator[RunningHazard]:
    """A started hazard service, SERVING before the block runs and stopped after it."""
    host = build(settings, FixedClock())
    await host.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{host.port}")
    try:
        await wait_for_health(channel, SERVING)
        yield RunningHazard(host, channel)
    finally:
        await channel.close()
        await host.stop()


async def health_status(channel: grpc.aio.Channel, service: str = "") -> int:
    """What the health service says now about `service` (the whole server by default)."""
    reply = await health_pb2_grpc.HealthStub(channel).Check(
        health_pb2.HealthCheckRequest(service=service), timeout=2
    )
    return reply.status


async def wait_for_health(channel: grpc.aio.Channel, wanted: int, timeout: float = 30) -> None:
    """Wait until the health service reports `wanted`, or fail after `timeout` seconds.

    A server that does not listen yet (UNAVAILABLE) counts as "not yet".
    """
    async with asyncio.timeout(timeout):
        while True:
            try:
                if await health_status(channel) == wanted:
                    return
            except grpc.aio.AioRpcError as error:
                if error.code() != grpc.StatusCode.UNAVAILABLE:
                    raise
            await asyncio.sleep(0.1)


@dataclass(frozen=True)
class StoredMessage:
    """One message as JetStream keeps it."""

    subject: str
    msg_id: str
    data: bytes


async def stored_messages(
    nats_url: str, subjects: str, *, at_least: int = 0, timeout: float = 15, settle: float = 1.0
) -> list[StoredMessage]:
    """Every message the stream holds on `subjects`, read with an ordered consumer.

    Waits up to `timeout` for `at_least` messages, then `settle` seconds for any more,
    so a test can tell "exactly n" from "at least n".
    """
    client = await nats.connect(nats_url)
    try:
        subscription = await client.jetstream().subscribe(
            subjects, ordered_consumer=True, deliver_policy=DeliverPolicy.ALL
        )
        found: list[StoredMessage] = []

        async def receive(wait: float) -> None:
            message = await subscription.next_msg(timeout=wait)
            msg_id = (message.headers or {}).get("Nats-Msg-Id", "")
            found.append(StoredMessage(message.subject, msg_id, message.data))

        async with asyncio.timeout(timeout):
            while len(found) < at_least:
                await receive(timeout)
        with contextlib.suppress(TimeoutError, nats.errors.TimeoutError):
            while True:
                await receive(settle)
        await subscription.unsubscribe()
        return found
    finally:
        await client.close()
