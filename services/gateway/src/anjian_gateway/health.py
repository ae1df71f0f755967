"""Liveness and readiness probes of the gateway process."""

from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from anjian.hazard.v1 import hazard_pb2
from anjian_gateway.dependencies import Service

router = APIRouter(tags=["health"])

# Ready when the hazard service would answer. The credit service is left out: its outage
# should cost only the credit routes (they answer 503), not every route, as it would if
# the gateway stopped being ready.
UPSTREAM_SERVICES = [s.full_name for s in hazard_pb2.DESCRIPTOR.services_by_name.values()]


class Health(BaseModel):
    """A probe's answer."""

    status: Literal["SERVING", "NOT_SERVING"]


@router.get("/healthz", response_model=Health, summary="Liveness: the process answers")
async def healthz() -> Health:
    """SERVING whenever the process can answer HTTP at all."""
    return Health(status="SERVING")


@router.get(
    "/readyz",
    response_model=Health,
    summary="Readiness: the hazard service is SERVING",
    responses={503: {"model": Health, "description": "The hazard service is not SERVING."}},
)
async def readyz(request: Request, response: Response, service: Service) -> Health:
    """SERVING when the hazard service's gRPC health says SERVING, else 503."""
    deadline = request.app.state.settings.readiness_deadline_seconds
    if await service.serving(UPSTREAM_SERVICES, deadline):
        return Health(status="SERVING")
    response.status_code = 503
    return Health(status="NOT_SERVING")
