"""Schemathesis against the gateway's own OpenAPI document: no request earns a 5xx.

The gateway is served by uvicorn on a free port in this process's event loop (so the
in-process hazard and credit services keep answering), and the schemathesis CLI runs
beside it as a child process. Its generated values are steered towards real ones (the
tenant of the token, hazards, enterprises and listings that exist, current etags) so the
fuzzing reaches the services' rules rather than stopping at 403s and 404s.
"""

import asyncio
import json
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
import uvicorn
from gateway_support import COUNTY, KUNMING, YUXI, CreditOfficial, Gateway, new_credit_code, token

from anjian_gateway.main import create_app
from anjian_gateway.settings import GatewaySettings
from anjian_kernel.auth import Role

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
async def served_gateway(gateway_settings: GatewaySettings) -> AsyncIterator[str]:
    """The base URL of the gateway served over real HTTP by uvicorn."""
    app = create_app(gateway_settings)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    # Bound and listening before uvicorn starts, so the port is known now and an early
    # connection waits in the backlog instead of being refused.
    with socket.create_server(("127.0.0.1", 0)) as listener:
        serving = asyncio.create_task(server.serve(sockets=[listener]))
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
        server.should_exit = True
        await serving


def _config(
    tmp_path: Path,
    hazard_ids: list[str],
    credit_codes: list[str],
    enterprises: list[str],
    listing_ids: list[str],
) -> Path:
    """A schemathesis.toml that sends an administrator's token and favours real values.

    The hazard routes are called in Kunming, the credit and public ones in Yuxi: the test
    services serve those prefectures.
    """
    bearer = token(KUNMING, Role.ADMIN)
    credit_bearer = token(YUXI, Role.ADMIN)
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
        "[dictionaries.enterprises]",
        f"values = {json.dumps(enterprises)}",
        "[dictionaries.listings]",
        f"values = {json.dumps(listing_ids)}",
        "[dictionaries.credit_counties]",
        f'values = ["{COUNTY[YUXI]}", "530403"]',
        "[[operations]]",
        'include-tag-regex = "^(credit|public)$"',
        f'headers = {{ Authorization = "Bearer {credit_bearer}" }}',
        "[operations.parameters]",
        f'"path.prefecture" = "{YUXI}"',
        '"path.credit_code" = { dictionary = "enterprises", probability = 0.8 }',
        '"path.listing_id" = { dictionary = "listings", probability = 0.8 }',
        '"query.credit_code" = { dictionary = "enterprises", probability = 0.5 }',
        '"body.listing.credit_code" = { dictionary = "enterprises", probability = 0.8 }',
        '"body.enterprise.county_code" = { dictionary = "credit_counties", probability = 0.8 }',
    ]
    path = tmp_path / "schemathesis.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.slow
@pytest.mark.timeout(600)
async def test_fuzzed_requests_never_get_a_server_error(
    gateway: Gateway, served_gateway: str, credit_channel: grpc.aio.Channel, tmp_path: Path
) -> None:
    credit_codes = [new_credit_code() for _ in range(2)]
    hazards = [await gateway.report(enterprise_credit_code=code) for code in credit_codes]
    hazard_ids = [hazard["name"].rsplit("/", 1)[-1] for hazard in hazards]
    official = CreditOfficial(credit_channel)
    enterprises = [(await official.register("模糊测试企业", "测试")).credit_code for _ in range(2)]
    listing = await official.list(enterprises[0], days_ago=400)
    config = _config(
        tmp_path, hazard_ids, credit_codes, enterprises, [listing.name.rsplit("/", 1)[-1]]
    )

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
