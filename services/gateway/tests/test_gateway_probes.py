"""Probes, the OpenAPI document, and what callers see when the hazard service is away."""

import asyncio
import socket

import httpx
from gateway_support import KUNMING, Gateway, bearer

from anjian_gateway.main import create_app
from anjian_gateway.settings import GatewaySettings


def _unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_probes_say_serving(gateway: Gateway) -> None:
    assert (await gateway.client.get("/healthz")).json() == {"status": "SERVING"}
    # Readiness follows the services' health, which a loaded machine can flap for a moment
    # (a database ping past its deadline), so it must settle on SERVING, not be it at once.
    for _ in range(50):
        ready = await gateway.client.get("/readyz")
        if ready.status_code == 200:
            break
        await asyncio.sleep(0.2)
    assert ready.status_code == 200
    assert ready.json() == {"status": "SERVING"}


async def test_without_the_hazard_service_calls_are_503_and_not_ready() -> None:
    settings = GatewaySettings(
        hazard_address=f"127.0.0.1:{_unused_port()}",
        call_deadline_seconds=1,
        readiness_deadline_seconds=1,
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client,
    ):
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/readyz")).status_code == 503
        response = await client.get(f"/v1/prefectures/{KUNMING}/hazards", headers=bearer())
        assert response.status_code == 503
        assert response.json()["status"] in {"UNAVAILABLE", "DEADLINE_EXCEEDED"}
        assert "127.0.0.1" not in response.json()["detail"]


async def test_openapi_documents_every_method_with_tags(gateway: Gateway) -> None:
    spec = (await gateway.client.get("/openapi.json")).json()
    operations = {op["operationId"]: op for path in spec["paths"].values() for op in path.values()}
    assert {
        "ReportHazard",
        "GetHazard",
        "ListHazards",
        "GradeHazard",
        "AssignRectification",
        "SubmitRectification",
        "ReinspectHazard",
        "AcceptHazard",
        "CloseHazard",
        "SendBackHazard",
        "MarkDuplicateHazard",
        "PlaceUnderListedSupervision",
        "ListHazardAuditRecords",
        "DetectOverdueHazards",
        "ListMajorHazardStandards",
        "CreateChecklist",
        "GetChecklist",
        "SubmitSelfInspectionReturn",
        "ListSelfInspectionReturns",
    } <= set(operations)
    assert operations["GradeHazard"]["tags"] == ["hazards"]
    assert "挂牌督办" in operations["PlaceUnderListedSupervision"]["summary"]
    draft = spec["components"]["schemas"]["HazardDraft"]
    assert draft["properties"]["title"]["maxLength"] == 200
