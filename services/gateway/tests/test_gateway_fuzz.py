"""Schemathesis against the gateway's own OpenAPI document: no request earns a 5xx.

The gateway is served by uvicorn on a free port in this process's event loop (so the
in-process hazard service keeps answering), and the schemathesis CLI runs beside it as a
child process. Its generated values are steered towards real ones (the tenant of the
token, hazards and credit codes that exist, current etags) so the fuzzing reaches the
hazard service's rules rather than stopping at 403s and 404s.
"""

import asyncio
import json
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import uvicorn
from gateway_support import COUNTY, KUNMING, Gateway, new_credit_code, token

from anjian_gateway.main import create_app
from anjian_gateway.settings import GatewaySettings
from anjian_kernel.auth import Role
from anjian_kernel.server import ServiceHost

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
EXAMPLES_PER_OPERATION = 20
# Besides "no 5xx": answers match the documented statuses and schemas, and invalid input is
# refused. Opaque page tokens defeat "schema-valid input is accepted", and Starlette's 405
# lists one route's methods in `Allow`, so those two checks are not run.
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
]


@pytest.fixture
async def served_gateway(hazard_host: ServiceHost) -> AsyncIterator[str]:
    """The base URL of the gateway served over real HTTP by uvicorn."""
    app = create_app(GatewaySettings(hazard_address=f"127.0.0.1:{hazard_host.port}"))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    # Bound and listening before uvicorn starts, so the port is known now and an early
    # connection waits in the backlog instead of being refused.
    with socket.create_server(("127.0.0.1", 0)) as listener:
        serving = asyncio.create_task(server.serve(sockets=[listener]))
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
        server.should_exit = True
        await serving


def _config(tmp_path: Path, hazard_ids: list[str], credit_codes: list[str]) -> Path:
    """A schemathesis.toml that sends an administrator's token and favours real values."""
    bearer = token(KUNMING, Role.ADMIN)
    lines = [
        f'headers = {{ Authorization = "Bearer {bearer}" }}',
        "[parameters]",
        f'"path.prefecture" = "{KUNMING}"',
        '"path.hazard_id" = { dictionary = "hazards", probability = 0.8 }',
        '"path.enterprise_credit_code" = { dictionary = "credit_codes", probability = 0.8 }',
        '"body.etag" = { dictionary = "etags", probability = 0.8 }',
        '"body.hazard.county_code" = { dictionary = "counties", probability = 0.8 }',
        '"body.hazard.enterprise_credit_code" = { dictionary = "credit_codes", probability = 0.8 }',
        "[dictionaries.hazards]",
        f"values = {json.dumps(hazard_ids)}",
        "[dictionaries.credit_codes]",
        f"values = {json.dumps(credit_codes)}",
        "[dictionaries.etags]",
        'values = ["1", "2", "3"]',
        "[dictionaries.counties]",
        f'values = ["{COUNTY[KUNMING]}", "530103"]',
    ]
    path = tmp_path / "schemathesis.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.slow
@pytest.mark.timeout(600)
async def test_fuzzed_requests_never_get_a_server_error(
    gateway: Gateway, served_gateway: str, tmp_path: Path
) -> None:
    credit_codes = [new_credit_code() for _ in range(2)]
    hazards = [await gateway.report(enterprise_credit_code=code) for code in credit_codes]
    hazard_ids = [hazard["name"].rsplit("/", 1)[-1] for hazard in hazards]
    config = _config(tmp_path, hazard_ids, credit_codes)

    process = await asyncio.create_subprocess_exec(
        str(SCHEMATHESIS),
        "--config-file",
        str(config),
        "run",
        f"{served_gateway}/openapi.json",
        "--wait-for-schema",
        "15",
        "--checks",
        ",".join(CHECKS),
        "--max-examples",
        str(EXAMPLES_PER_OPERATION),
        "--seed",
        "20261102",
        "--workers",
        "1",
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode(errors="replace")
