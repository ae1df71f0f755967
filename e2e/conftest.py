"""The deployment under test: the one the environment names, or the local stack started here.

The local stack runs every service as a process on PostgreSQL and NATS from their wheels,
with a clock that runs two simulated hours per real second so deadlines pass during a test.
"""

import json
import os
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from e2e_support import KUNMING, QUJING, Deployment, wait_serving

from anjian_cli.stack import SimulatedTime, Stack, StackOptions
from anjian_kernel.clock import CHINA_STANDARD_TIME

CLOCK_RATE = 7200.0


@pytest.fixture(scope="session")
def deployment_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Make sure ANJIAN_E2E_* name a deployment, starting the local stack if they don't."""
    if "ANJIAN_E2E_ENDPOINTS" in os.environ:
        yield
        return
    stack = Stack(
        StackOptions(
            data_dir=Path(tmp_path_factory.mktemp("e2e-stack")),
            tenants=[KUNMING, QUJING],
            fast=True,
            overdue_scan_interval=1.0,
            simulated_time=SimulatedTime(
                start=datetime(2026, 11, 2, 8, 0, tzinfo=CHINA_STANDARD_TIME),
                rate=CLOCK_RATE,
                lead=0.0,
            ),
        )
    )
    stack.start()
    endpoints = stack.endpoints()
    per_tenant = {
        tenant: {
            "hazard": endpoints["hazard_grpc"],
            "credit": endpoints["credit_grpc"],
            "gateway": endpoints["gateway_http"],
        }
        for tenant in (KUNMING, QUJING)
    }
    os.environ |= {
        "ANJIAN_E2E_ENDPOINTS": json.dumps(per_tenant),
        "ANJIAN_E2E_TOKEN_SECRET": stack.secret,
        "ANJIAN_E2E_CLOCK_RATE": str(CLOCK_RATE),
    }
    try:
        yield
    finally:
        stack.stop()
        for name in ("ANJIAN_E2E_ENDPOINTS", "ANJIAN_E2E_TOKEN_SECRET", "ANJIAN_E2E_CLOCK_RATE"):
            os.environ.pop(name, None)


@pytest.fixture(scope="session")
async def deployment(deployment_environment: None) -> AsyncIterator[Deployment]:
    """The deployment under test, once every gRPC service says SERVING."""
    under_test = Deployment.from_environment()
    for services in under_test.endpoints.values():
        for service, address in services.items():
            if service != "gateway":
                await wait_serving(address)
    yield under_test
    for channel in under_test.channels.values():
        await channel.close()
