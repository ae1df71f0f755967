"""Where the deployment under test listens, and callers with tokens for it.

The suite runs against any deployment. `ANJIAN_E2E_ENDPOINTS` names it as JSON, one entry
per prefecture: `{"530100": {"hazard": "host:port", "credit": "host:port",
"gateway": "http://host:port"}, ...}`, and `ANJIAN_E2E_TOKEN_SECRET` is the secret its
services verify tokens with. `ANJIAN_E2E_CLOCK_RATE` says how fast its clock runs
(simulated seconds per real second); the journeys that wait for a deadline to pass need a
fast one and are skipped otherwise. Without these variables, `conftest.py` starts the
local stack and fills them in.
"""

import asyncio
import json
import os
import uuid
from dataclasses import dataclass, field
from datetime import date

import grpc
import httpx
from google.type.date_pb2 import Date
from grpc_health.v1 import health_pb2, health_pb2_grpc

from anjian.credit.v1 import credit_pb2_grpc
from anjian.hazard.v1 import hazard_pb2, hazard_pb2_grpc
from anjian_kernel.auth import Principal, Role, issue_token
from anjian_kernel.clock import china_date
from anjian_kernel.identifiers import compose_credit_code
from anjian_kernel.tenancy import counties

KUNMING = "530100"
QUJING = "530300"


@dataclass
class Deployment:
    """The endpoints of every prefecture under test, and how to sign tokens for them."""

    endpoints: dict[str, dict[str, str]]
    token_secret: str
    clock_rate: float
    channels: dict[str, grpc.aio.Channel] = field(default_factory=dict)

    @classmethod
    def from_environment(cls) -> "Deployment":
        """The deployment the environment names."""
        return cls(
            endpoints=json.loads(os.environ["ANJIAN_E2E_ENDPOINTS"]),
            token_secret=os.environ["ANJIAN_E2E_TOKEN_SECRET"],
            clock_rate=float(os.environ.get("ANJIAN_E2E_CLOCK_RATE", "1")),
        )

    def channel(self, address: str) -> grpc.aio.Channel:
        """One channel per address, reused by every test."""
        if address not in self.channels:
            self.channels[address] = grpc.aio.insecure_channel(address)
        return self.channels[address]

    def person(self, tenant: str, role: Role, **scope: str) -> "Person":
        """Someone of `tenant` with `role` (and an optional county or enterprise scope)."""
        principal = Principal(
            subject=f"e2e-{role.value}-{uuid.uuid4().hex[:6]}", tenant=tenant, role=role, **scope
        )
        return Person(self, tenant, issue_token(self.token_secret, principal))


@dataclass
class Person:
    """A caller of one prefecture's services, over gRPC and over HTTP."""

    deployment: Deployment
    tenant: str
    token: str

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.token}"),)

    def endpoint(self, service: str, tenant: str | None = None) -> str:
        return self.deployment.endpoints[tenant or self.tenant][service]

    @property
    def hazards(self) -> hazard_pb2_grpc.HazardServiceStub:
        return hazard_pb2_grpc.HazardServiceStub(self.deployment.channel(self.endpoint("hazard")))

    @property
    def credit(self) -> credit_pb2_grpc.CreditServiceStub:
        return credit_pb2_grpc.CreditServiceStub(self.deployment.channel(self.endpoint("credit")))

    def http(self, tenant: str | None = None) -> httpx.AsyncClient:
        """An HTTP client for a prefecture's gateway, sending this person's token."""
        return httpx.AsyncClient(
            base_url=self.endpoint("gateway", tenant),
            timeout=30,
            headers={"Authorization": f"Bearer {self.token}"},
        )

    async def report(self, **fields: object) -> hazard_pb2.Hazard:
        """Report a plausible hazard in this person's prefecture."""
        return await self.hazards.ReportHazard(
            hazard_pb2.ReportHazardRequest(
                parent=f"prefectures/{self.tenant}",
                request_id=str(uuid.uuid4()),
                hazard=hazard_pb2.Hazard(**new_hazard(self.tenant, **fields)),
            ),
            metadata=self.metadata,
        )


def new_hazard(tenant: str, **fields: object) -> dict[str, object]:
    """A hazard at a new enterprise in the prefecture's first county."""
    county = sorted(counties(tenant))[0]
    body = uuid.uuid4().hex[:8].upper().translate(str.maketrans("IOSVZ", "12345"))
    return {
        "enterprise_credit_code": compose_credit_code("91", county, body),
        "enterprise_name": "端到端测试化工有限公司",
        "county_code": county,
        "title": "储罐区可燃气体报警器失效",
        "description": "储罐区两台可燃气体报警器未投用",
        "location": "储罐区",
        "industry": "chemicals",
        **fields,
    }


def service_today(hazard: hazard_pb2.Hazard) -> date:
    """Today in China Standard Time by the service's own clock (from a fresh hazard)."""
    return china_date(hazard.create_time.ToDatetime().astimezone())


def as_date(day: date) -> Date:
    return Date(year=day.year, month=day.month, day=day.day)


async def wait_serving(address: str, seconds: float = 120) -> None:
    """Wait until a gRPC service's health says SERVING."""
    async with grpc.aio.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        async with asyncio.timeout(seconds):
            while True:
                reply = await stub.Check(health_pb2.HealthCheckRequest(), wait_for_ready=True)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
                await asyncio.sleep(0.5)
