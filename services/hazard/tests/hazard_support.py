"""Helpers for the hazard service tests: callers, tokens, credit codes, the clock, events."""

import asyncio
import contextlib
import itertools
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import grpc
import nats
import nats.errors
from grpc_health.v1 import health_pb2, health_pb2_grpc
from nats.js.api import DeliverPolicy

from anjian.events.v1.hazard_events_pb2 import HazardEvent
from anjian.hazard.v1 import hazard_pb2, hazard_pb2_grpc
from anjian_cli.embedded import EmbeddedNats, EmbeddedPostgres
from anjian_kernel.auth import Principal, Role, issue_token
from anjian_kernel.clock import CHINA_STANDARD_TIME
from anjian_kernel.identifiers import compose_credit_code
from anjian_kernel.server import ServiceHost

KUNMING = "530100"
QUJING = "530300"
SECRET = "test-token-secret-of-at-least-32-bytes"
START = datetime(2026, 11, 2, 9, 0, tzinfo=CHINA_STANDARD_TIME)
_sequence = itertools.count(1)


class SettableClock:
    """The domain clock for tests: it moves only when a test moves it."""

    def __init__(self, instant: datetime) -> None:
        self.instant = instant

    def now(self) -> datetime:
        return self.instant

    def advance(self, delta: timedelta) -> None:
        self.instant += delta


def new_credit_code(division: str = "530102") -> str:
    """A fresh valid credit code, different every call."""
    return compose_credit_code("91", division, f"T{next(_sequence):07d}")


def token(
    tenant: str = KUNMING,
    role: Role = Role.INSPECTOR,
    *,
    county: str | None = None,
    enterprise: str | None = None,
    subject: str = "tester",
) -> str:
    """A signed token for a test caller."""
    principal = Principal(
        subject=subject, tenant=tenant, role=role, county=county, enterprise=enterprise
    )
    return issue_token(SECRET, principal)


@dataclass
class Caller:
    """Stubs that send one caller's token."""

    channel: grpc.aio.Channel
    bearer: str

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.bearer}"),)

    @property
    def hazards(self) -> hazard_pb2_grpc.HazardServiceStub:
        return hazard_pb2_grpc.HazardServiceStub(self.channel)

    @property
    def self_inspection(self) -> hazard_pb2_grpc.SelfInspectionServiceStub:
        return hazard_pb2_grpc.SelfInspectionServiceStub(self.channel)

    async def report(self, tenant: str = KUNMING, **fields: object) -> hazard_pb2.Hazard:
        """Report a hazard with sensible defaults for every field not given."""
        request_id = str(fields.pop("request_id", uuid.uuid4()))
        hazard = hazard_pb2.Hazard(**hazard_fields(tenant, **fields))
        return await self.hazards.ReportHazard(
            hazard_pb2.ReportHazardRequest(
                parent=f"prefectures/{tenant}", hazard=hazard, request_id=request_id
            ),
            metadata=self.metadata,
        )


def hazard_fields(tenant: str = KUNMING, **fields: object) -> dict[str, object]:
    """Fields of a plausible hazard in `tenant`."""
    county = {KUNMING: "530102", QUJING: "530302"}[tenant]
    defaults: dict[str, object] = {
        "enterprise_credit_code": new_credit_code(county),
        "enterprise_name": "测试机械制造有限公司",
        "county_code": county,
        "title": "配电柜接地线松脱",
        "description": "二号车间配电柜接地线松脱，存在触电风险",
        "location": "二号车间",
        "industry": "industry-trade",
    }
    return {**defaults, **fields}


@dataclass
class HazardStack:
    """The running service and what tests need to reach it."""

    host: ServiceHost
    clock: SettableClock
    channel: grpc.aio.Channel
    nats: EmbeddedNats
    postgres: EmbeddedPostgres

    def caller(self, bearer: str) -> Caller:
        return Caller(self.channel, bearer)


async def wait_serving(channel: grpc.aio.Channel, timeout: float = 30) -> None:
    """Wait until the health service says SERVING."""
    stub = health_pb2_grpc.HealthStub(channel)
    async with asyncio.timeout(timeout):
        while True:
            reply = await stub.Check(health_pb2.HealthCheckRequest(), wait_for_ready=True)
            if reply.status == health_pb2.HealthCheckResponse.SERVING:
                return
            await asyncio.sleep(0.1)


async def hazard_events(
    nats_url: str, tenant: str, name: str, count: int, timeout: float = 10, settle: float = 0.7
) -> list[HazardEvent]:
    """Every event of one hazard on the bus, in order.

    Waits up to `timeout` for `count` of them, then `settle` seconds more for any extra,
    so a test can tell "exactly `count`" from "at least `count`".
    """
    client = await nats.connect(nats_url)
    try:
        found: list[HazardEvent] = []
        subscription = await client.jetstream().subscribe(
            f"anjian.{tenant}.hazard.>",
            ordered_consumer=True,
            deliver_policy=DeliverPolicy.ALL,
        )
        async with asyncio.timeout(timeout):
            while len(found) < count:
                message = await subscription.next_msg(timeout=timeout)
                event = HazardEvent.FromString(message.data)
                if event.hazard.name == name:
                    found.append(event)
        with contextlib.suppress(TimeoutError, nats.errors.TimeoutError):
            while True:
                message = await subscription.next_msg(timeout=settle)
                event = HazardEvent.FromString(message.data)
                if event.hazard.name == name:
                    found.append(event)
        await subscription.unsubscribe()
        return found
    finally:
        await client.close()
