"""The `helm test` hook's health checks, run here against real gRPC and HTTP servers.

Containers do not run on the test cluster, so the scripts the hook pods execute are taken
from the rendered chart and run with this Python, which has the image's packages.
"""

import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import grpc
import pytest
import yaml
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from operator_env import CHARTS, Cluster

from anjian_cli.embedded import free_port

pytestmark = pytest.mark.timeout(120)

SUITE = CHARTS / "anjian"
HAZARD = "anjian.hazard.v1.HazardService"


def hook_command(cluster: Cluster, component: str) -> list[str]:
    """The command of one component's test pod, as rendered."""
    out = cluster.helm(
        "template", "anjian", str(SUITE), "-f", str(SUITE / "examples" / "standalone.yaml"),
        "--show-only", "templates/tests/test-health.yaml",
    )  # fmt: skip
    pods = [doc for doc in yaml.safe_load_all(out) if doc]
    pod: dict[str, Any] = next(
        p for p in pods if p["metadata"]["name"] == f"anjian-{component}-test"
    )
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    command: list[str] = pod["spec"]["containers"][0]["command"]
    return command


def run_hook(command: list[str], target: str) -> subprocess.CompletedProcess[str]:
    """Run a hook script with this interpreter, aimed at `target` instead of the Service."""
    assert command[:2] == ["python", "-c"]
    script, _service_address, *rest = command[2:]
    return subprocess.run(
        [sys.executable, "-c", script, target, *rest],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )


@pytest.fixture
def grpc_health_server() -> Iterator[tuple[str, health.HealthServicer]]:
    """A gRPC server with the standard health service, in a thread of its own."""
    servicer = health.HealthServicer()
    server = grpc.server(ThreadPoolExecutor(max_workers=2))
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = free_port()
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    yield f"127.0.0.1:{port}", servicer
    server.stop(grace=None)


def test_grpc_hook_passes_only_when_the_service_is_serving(
    cluster: Cluster, grpc_health_server: tuple[str, health.HealthServicer]
) -> None:
    address, servicer = grpc_health_server
    command = hook_command(cluster, "hazard")

    servicer.set(HAZARD, health_pb2.HealthCheckResponse.SERVING)
    passed = run_hook(command, address)
    assert passed.returncode == 0, passed.stderr
    assert f"{HAZARD} SERVING" in passed.stdout

    servicer.set(HAZARD, health_pb2.HealthCheckResponse.NOT_SERVING)
    assert run_hook(command, address).returncode != 0


class _Ready(BaseHTTPRequestHandler):
    ready = True

    def do_GET(self) -> None:
        ok = self.path == "/readyz" and self.ready
        self.send_response(200 if ok else 503)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        """Quiet: the test reads the hook's output, not the server's."""


def test_http_hook_checks_readyz(cluster: Cluster) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _Ready)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        command = hook_command(cluster, "gateway")
        assert command[3] == "http://anjian-gateway:8080/readyz"
        target = f"http://127.0.0.1:{server.server_port}/readyz"
        assert run_hook(command, target).returncode == 0
        _Ready.ready = False
        assert run_hook(command, target).returncode != 0
    finally:
        _Ready.ready = True
        server.shutdown()
