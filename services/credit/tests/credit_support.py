"""Helpers for the credit service tests: callers, tokens, credit codes, the clock, events."""

import asyncio
import contextlib
import itertools
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import grpc
import nats
import nats.errors
from google.type.date_pb2 import Date
from grpc_health.v1 import health_pb2, health_pb2_grpc
from nats.js.api import DeliverPolicy

from anjian.credit.v1 import credit_pb2, credit_pb2_grpc
from anjian.events.v1.credit_events_pb2 import CreditEvent
from anjian_cli.embedded import EmbeddedNats, EmbeddedPostgres
from anjian_kernel.auth import Principal, Role, issue_token
from anjian_kernel.clock import CHINA_STANDARD_TIME
from anjian_kernel.identifiers import compose_credit_code
from anjian_kernel.server import ServiceHost

KUNMING = "530100"
QUJING = "530300"
SECRET = "test-token-secret-of-at-least-32-bytes"
SALT = "test-person-key-salt-0123456789"
START = datetime(2026, 11, 2, 9, 0, tzinfo=CHINA_STANDARD_TIME)
COUNTY = {KUNMING: "530102", QUJING: "530302"}
_sequence = itertools.count(1)


class SettableClock:
    """The domain clock for tests: it moves only when a test moves it."""

    def __init__(self, instant: datetime) -> None:
        self.instant = instant

    def now(self) -> datetime:
        return self.instant

    def advance(self, delta: timedelta) -> None:
        self.instant += delta


def cst(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    """An instant in China Standard Time."""
    return datetime(year, month, day, hour, minute, tzinfo=CHINA_STANDARD_TIME)


def new_credit_code(division: str = "530102") -> str:
    """A fresh valid credit code, different every call (and from the hazard tests' codes)."""
    return compose_credit_code("91", division, f"C{uuid.uuid4().int % 10**7:07d}")


def day(value: date) -> Date:
    """A google.type.Date."""
    return Date(year=value.year, month=value.month, day=value.day)


def token(
    tenant: str = KUNMING,
    role: Role = Role.INSPECTOR,
    *,
    enterprise: str | None = None,
    subject: str = "tester",
) -> str:
    """A signed token for a test caller."""
    principal = Principal(subject=subject, tenant=tenant, role=role, enterprise=enterprise)
    return issue_token(SECRET, principal)


@dataclass
class Caller:
    """Stubs that send one caller's token."""

    channel: grpc.aio.Channel
    bearer: str
    tenant: str = KUNMING

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.bearer}"),)

    @property
    def parent(self) -> str:
        return f"prefectures/{self.tenant}"

    @property
    def credit(self) -> credit_pb2_grpc.CreditServiceStub:
        return credit_pb2_grpc.CreditServiceStub(self.channel)

    @property
    def public(self) -> credit_pb2_grpc.PublicCreditServiceStub:
        return credit_pb2_grpc.PublicCreditServiceStub(self.channel)

    async def register(self, code: str | None = None, **fields: object) -> credit_pb2.Enterprise:
        """Register an enterprise with sensible defaults for every field not given."""
        values: dict[str, object] = {
            "credit_code": code or new_credit_code(COUNTY[self.tenant]),
            "display_name": "测试化工有限公司",
            "county_code": COUNTY[self.tenant],
            "industry": "chemicals",
            "size": "small",
            "principal": "李四",
        }
        values.update(fields)
        return await self.credit.RegisterEnterprise(
            credit_pb2.RegisterEnterpriseRequest(
                parent=self.parent, enterprise=credit_pb2.Enterprise(**values)
            ),
            metadata=self.metadata,
        )

    async def list_enterprise(
        self, code: str, start: date, *, request_id: str | None = None, **fields: object
    ) -> credit_pb2.Listing:
        """Put an enterprise on the list with sensible defaults."""
        values: dict[str, object] = {
            "credit_code": code,
            "reason": credit_pb2.LISTING_REASON_MAJOR_ACCIDENT,
            "penalty_document": "昆应急罚〔2026〕12号",
            "deciding_department": "昆明市应急管理局",
            "facts_id": f"case-{uuid.uuid4().hex[:8]}",
            "start_date": day(start),
        }
        values.update(fields)
        return await self.credit.CreateListing(
            credit_pb2.CreateListingRequest(
                parent=self.parent,
                listing=credit_pb2.Listing(**values),
                request_id=request_id or str(uuid.uuid4()),
            ),
            metadata=self.metadata,
        )

    async def record(
        self, code: str, rule: str, conduct: date, **fields: object
    ) -> credit_pb2.CreditRecord:
        """A direct entry under a direct-entry rule."""
        values: dict[str, object] = {
            "rule": rule,
            "source": "昆明市应急管理局",
            "source_document": f"昆应急罚〔2026〕{next(_sequence)}号",
            "conduct_date": day(conduct),
            "evidence": ["现场检查笔录"],
        }
        values.update(fields)
        return await self.credit.CreateCreditRecord(
            credit_pb2.CreateCreditRecordRequest(
                parent=f"{self.parent}/enterprises/{code}",
                credit_record=credit_pb2.CreditRecord(**values),
                request_id=str(uuid.uuid4()),
            ),
            metadata=self.metadata,
        )


@dataclass
class CreditStack:
    """The running service and what tests need to reach it."""

    host: ServiceHost
    clock: SettableClock
    channel: grpc.aio.Channel
    nats: EmbeddedNats
    postgres: EmbeddedPostgres

    def caller(self, bearer: str, tenant: str = KUNMING) -> Caller:
        return Caller(self.channel, bearer, tenant)


async def wait_serving(channel: grpc.aio.Channel, timeout: float = 30) -> None:
    """Wait until the health service says SERVING."""
    stub = health_pb2_grpc.HealthStub(channel)
    async with asyncio.timeout(timeout):
        while True:
            reply = await stub.Check(health_pb2.HealthCheckRequest(), wait_for_ready=True)
            if reply.status == health_pb2.HealthCheckResponse.SERVING:
                return
            await asyncio.sleep(0.1)


async def credit_events(
    nats_url: str,
    tenant: str,
    wanted: Callable[[CreditEvent], bool],
    count: int,
    timeout: float = 15,
    settle: float = 0.7,
) -> list[CreditEvent]:
    """Credit events on the bus that `wanted` picks, in order: `count` of them, plus any
    more that arrive within `settle` seconds, so a test can tell exactly from at least."""
    client = await nats.connect(nats_url)
    try:
        found: list[CreditEvent] = []
        subscription = await client.jetstream().subscribe(
            f"anjian.{tenant}.credit.>", ordered_consumer=True, deliver_policy=DeliverPolicy.ALL
        )
        async with asyncio.timeout(timeout):
            while len(found) < count:
                event = CreditEvent.FromString((await subscription.next_msg(timeout=timeout)).data)
                if wanted(event):
                    found.append(event)
        with contextlib.suppress(TimeoutError, nats.errors.TimeoutError):
            while True:
                event = CreditEvent.FromString((await subscription.next_msg(timeout=settle)).data)
                if wanted(event):
                    found.append(event)
        await subscription.unsubscribe()
        return found
    finally:
        await client.close()


async def eventually(
    probe: Callable[[], Awaitable[Any]], timeout: float = 20, interval: float = 0.1
) -> Any:
    """Poll `probe` until it returns something truthy, and return that."""
    async with asyncio.timeout(timeout):
        while True:
            found = await probe()
            if found:
                return found
            await asyncio.sleep(interval)
