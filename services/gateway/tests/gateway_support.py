"""Helpers for the gateway tests: tokens, credit codes, hazards to report, a served gateway."""

import itertools
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from anjian_kernel.auth import Principal, Role, issue_token
from anjian_kernel.clock import CHINA_STANDARD_TIME
from anjian_kernel.identifiers import compose_credit_code

KUNMING = "530100"
QUJING = "530300"
SECRET = "gateway-test-token-secret-of-32-bytes-or-more"
COUNTY = {KUNMING: "530102", QUJING: "530302"}
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
