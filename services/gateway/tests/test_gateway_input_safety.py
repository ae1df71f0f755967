"""Input a caller should not send: it is refused with a 4xx, and never echoed or logged."""

import json
import subprocess
import sys
from collections.abc import AsyncIterator

import httpx
import pytest
from gateway_support import KUNMING, YUXI, Gateway, bearer, hazard_body

from anjian_gateway.main import create_app
from anjian_gateway.settings import GatewaySettings

HAZARDS = f"/v1/prefectures/{KUNMING}/hazards"
ENTERPRISES = f"/v1/prefectures/{YUXI}/enterprises"
JSON = {"Content-Type": "application/json"}


def _raw(body: dict[str, object], **escaped: str) -> bytes:
    """`body` as JSON with `escaped` spliced in verbatim (as JSON escapes httpx cannot send)."""
    text = json.dumps(body, ensure_ascii=False)
    for key, value in escaped.items():
        text = text.replace(f'"@{key}@"', f'"{value}"')
    return text.encode()


async def test_a_lone_surrogate_is_422_naming_the_field(gateway: Gateway) -> None:
    body = _raw(hazard_body(title="@title@"), title="a\\ud800b")
    response = await gateway.client.post(HAZARDS, content=body, headers={**bearer(), **JSON})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "hazard", "title"]
    assert error["type"] == "string_unicode"

    enterprise = {
        "credit_code": "91530402MA6K00014A",
        "display_name": "@name@",
        "county_code": "530402",
    }
    body = _raw({"enterprise": enterprise}, name="张某\\ud800")
    response = await gateway.client.post(
        ENTERPRISES, content=body, headers={**bearer(YUXI), **JSON}
    )
    assert response.status_code == 422
    assert ["body", "enterprise", "display_name"] in [e["loc"] for e in response.json()["detail"]]


async def test_a_lone_surrogate_in_a_field_name_is_422(gateway: Gateway) -> None:
    body = _raw(hazard_body(), request_id="x").replace(b'"request_id"', b'"\\udfff"')
    response = await gateway.client.post(HAZARDS, content=body, headers={**bearer(), **JSON})
    assert response.status_code == 422
    assert [e["type"] for e in response.json()["detail"]] == ["string_unicode"]


@pytest.mark.parametrize("bad", ["\x01", "\x1b[31m", "\x7f", "\u202e", "\u2066"])
async def test_control_characters_are_422_naming_the_field(gateway: Gateway, bad: str) -> None:
    response = await gateway.client.post(
        HAZARDS, json=hazard_body(location=f"二号车间{bad}"), headers=bearer()
    )
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "hazard", "location"]
    assert "control characters" in error["msg"]


async def test_tabs_and_line_breaks_are_text(gateway: Gateway) -> None:
    body = hazard_body(description="第一行\r\n第二行\t（续）")
    response = await gateway.client.post(HAZARDS, json=body, headers=bearer())
    assert response.status_code == 200, response.text


async def test_a_422_echoes_no_input_and_logs_none(
    gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    id_number = 110105194912310021
    response = await gateway.client.post(
        f"/v1/prefectures/{YUXI}/bans",
        json={"ban": {}, "id_number": id_number},
        headers=bearer(YUXI),
    )
    assert response.status_code == 422
    for error in response.json()["detail"]:
        assert set(error) == {"loc", "msg", "type"}
    assert ["body", "id_number"] in [e["loc"] for e in response.json()["detail"]]
    assert str(id_number) not in response.text
    assert str(id_number) not in caplog.text


@pytest.fixture
async def small_gateway(gateway_settings: GatewaySettings) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway whose body limit is 1000 bytes."""
    app = create_app(gateway_settings.model_copy(update={"max_body_bytes": 1000}))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway.test"
        ) as client,
    ):
        yield client


async def test_an_oversize_body_is_413(small_gateway: httpx.AsyncClient) -> None:
    body = hazard_body(description="隐" * 1000)
    response = await small_gateway.post(HAZARDS, json=body, headers=bearer())
    assert response.status_code == 413
    assert response.json() == {"detail": "the request body is larger than 1000 bytes"}

    response = await small_gateway.post(HAZARDS, json=hazard_body(), headers=bearer())
    assert response.status_code == 200, response.text


async def test_an_oversize_chunked_body_is_413(small_gateway: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"hazard": {"description": "'
        for _ in range(100):
            yield b"x" * 100
        yield b'"}}'

    response = await small_gateway.post(HAZARDS, content=chunks(), headers={**bearer(), **JSON})
    assert response.status_code == 413
    assert "1000 bytes" in response.json()["detail"]


def test_uvicorn_logs_are_json_events() -> None:
    script = (
        "import logging\n"
        "from anjian_gateway.main import _uvicorn_logs_through_structlog\n"
        "from anjian_kernel.logs import setup_logging\n"
        "setup_logging('info', 'json', 'gateway')\n"
        "_uvicorn_logs_through_structlog('info')\n"
        "logging.getLogger('uvicorn.error').info('Started server process [%d]', 42)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    event = json.loads(run.stderr.strip().splitlines()[-1])
    assert event["event"] == "Started server process [42]"
    assert event["service"] == "gateway"
    assert event["level"] == "info"
    assert event["logger"] == "uvicorn.error"
