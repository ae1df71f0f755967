"""Helpers for the gateway tests: tokens, credit codes, hazards to report, a served gateway."""

import itertools
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import grpc
import httpx
from fastapi import FastAPI
from google.type.date_pb2 import Date

from anjian.credit.v1 import credit_pb2, credit_pb2_grpc
from anjian_kernel.auth import Principal, Role, issue_token
from anjian_kernel.clock import CHINA_STANDARD_TIME
from anjian_kernel.identifiers import compose_credit_code

KUNMING = "530100"
QUJING = "530300"
# The credit service behind the gateway serves prefectures no other suite's credit service
# does: each one's event consumer then reads a stream of its own on the shared NATS server.
YUXI = "530400"
BAOSHAN = "530500"
SECRET = "gateway-test-token-secret-of-32-bytes-or-more"
SALT = "gateway-test-person-key-salt"
COUNTY = {KUNMING: "530102", QUJING: "530302", YUXI: "530402", BAOSHAN: "530502"}
_sequence = itertools.count(1)


def new_credit_code(county: str = COUNTY[KUNMING]) -> str:
    """A fresh valid credit code, different every call."""
    return compose_credit_code("91", county, f"G{next(_sequence):07d}")


def token(
    tenant: str = KUNMING, role: Role = Role.INSPECTOR, *, enterprise: str | None = None
) -> str:
    """A signed token for a test caller."""
    principal = Principal(
        subject=f"{role.value}-tester", tenant=tenant, role=role, enterprise=enterprise
    )
    return issue_token(SECRET, principal)


def public_token(tenant: str) -> str:
    """The long-lived partner token a deployer gives the gateway for a public query."""
    principal = Principal(subject="public-credit-query", tenant=tenant, role=Role.PARTNER)
    return issue_token(SECRET, principal, ttl=timedelta(days=30))


def bearer(tenant: str = KUNMING, role: Role = Role.INSPECTOR, **claims: Any) -> dict[str, str]:
    """The Authorization header of a test caller."""
    return {"Authorization": f"Bearer {token(tenant, role, **claims)}"}


def hazard_body(tenant: str = KUNMING, **fields: Any) -> dict[str, Any]:
    """A ReportHazard body for a plausible hazard in `tenant`, overridden by `fields`."""
    hazard = {
        "enterprise_credit_code": new_credit_code(COUNTY[tenant]),
        "enterprise_name": "测试机械制造有限公司",
        "county_code": COUNTY[tenant],
        "title": "配电柜接地线松脱",
        "description": "二号车间配电柜接地线松脱，存在触电风险",
        "location": f"二号车间 {uuid.uuid4().hex[:6]}",
        "industry": "industry-trade",
    }
    return {"hazard": {**hazard, **fields}, "request_id": str(uuid.uuid4())}


def today() -> date:
    """Today in China Standard Time, the domain's clock."""
    return datetime.now(CHINA_STANDARD_TIME).date()


def days_from_today(days: int) -> str:
    """An ISO date `days` after today (China Standard Time)."""
    return (today() + timedelta(days=days)).isoformat()


@dataclass
class Gateway:
    """The gateway app under test and an HTTP client that calls it in-process."""

    app: FastAPI
    client: httpx.AsyncClient

    async def report(self, tenant: str = KUNMING, **fields: Any) -> dict[str, Any]:
        """Report a hazard as an inspector of `tenant`; the created hazard."""
        response = await self.client.post(
            f"/v1/prefectures/{tenant}/hazards",
            json=hazard_body(tenant, **fields),
            headers=bearer(tenant),
        )
        assert response.status_code == 200, response.text
        hazard: dict[str, Any] = response.json()
        return hazard

    async def act(
        self, hazard: dict[str, Any], verb: str, headers: dict[str, str], **body: Any
    ) -> httpx.Response:
        """Call a custom method (`:verb`) on `hazard` with its current etag."""
        return await self.client.post(
            f"/v1/{hazard['name']}:{verb}", json={"etag": hazard["etag"], **body}, headers=headers
        )


@dataclass
class CreditOfficial:
    """An inspector calling the credit service over gRPC, to set a scene for the gateway."""

    channel: grpc.aio.Channel
    tenant: str = YUXI

    @property
    def _stub(self) -> credit_pb2_grpc.CreditServiceStub:
        return credit_pb2_grpc.CreditServiceStub(self.channel)

    @property
    def _metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {token(self.tenant)}"),)

    async def register(self, display_name: str, principal: str) -> credit_pb2.Enterprise:
        """Register a new enterprise of the prefecture."""
        enterprise = credit_pb2.Enterprise(
            credit_code=new_credit_code(COUNTY[self.tenant]),
            display_name=display_name,
            county_code=COUNTY[self.tenant],
            industry="chemicals",
            size="medium",
            principal=principal,
        )
        request = credit_pb2.RegisterEnterpriseRequest(
            parent=f"prefectures/{self.tenant}", enterprise=enterprise
        )
        return await self._stub.RegisterEnterprise(request, metadata=self._metadata)

    async def list(self, code: str, days_ago: int = 10) -> credit_pb2.Listing:
        """Put an enterprise on the serious-dishonesty list for a major accident."""
        start = today() - timedelta(days=days_ago)
        listing = credit_pb2.Listing(
            credit_code=code,
            reason=credit_pb2.LISTING_REASON_MAJOR_ACCIDENT,
            penalty_document=f"玉应急罚〔2026〕{next(_sequence)}号",
            deciding_department="玉溪市应急管理局",
            facts_id=f"accident-{uuid.uuid4().hex[:8]}",
            start_date=Date(year=start.year, month=start.month, day=start.day),
        )
        request = credit_pb2.CreateListingRequest(
            parent=f"prefectures/{self.tenant}", listing=listing, request_id=str(uuid.uuid4())
        )
        return await self._stub.CreateListing(request, metadata=self._metadata)

    async def record(self, code: str, rule: str, description: str) -> credit_pb2.CreditRecord:
        """A direct entry under a direct-entry rule, dated a week ago."""
        conduct = today() - timedelta(days=7)
        record = credit_pb2.CreditRecord(
            rule=rule,
            source="玉溪市应急管理局",
            source_document=f"玉应急罚〔2026〕{next(_sequence)}号",
            description=description,
            conduct_date=Date(year=conduct.year, month=conduct.month, day=conduct.day),
        )
        request = credit_pb2.CreateCreditRecordRequest(
            parent=f"prefectures/{self.tenant}/enterprises/{code}",
            credit_record=record,
            request_id=str(uuid.uuid4()),
        )
        return await self._stub.CreateCreditRecord(request, metadata=self._metadata)
