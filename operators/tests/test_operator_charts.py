"""The Helm charts against the real API server: install with --wait, server-side dry runs of
every example, and the values checks that must fail loudly."""

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml
from operator_env import CHARTS, Cluster

from anjian_cli.embedded import free_port, nats_server_binary

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

SUITE = CHARTS / "anjian"
EXAMPLES = sorted((SUITE / "examples").glob("*.yaml"))
# Limitation: no Prometheus Operator CRDs on the test cluster, so ServiceMonitor is only rendered.
NO_SERVICE_MONITOR = ("--set", "serviceMonitor.enabled=false")


def render(cluster: Cluster, chart: str, *args: str) -> list[dict[str, Any]]:
    """`helm template` output as a list of objects."""
    out = cluster.helm("template", "anjian", chart, *args)
    return [doc for doc in yaml.safe_load_all(out) if doc]


def _key(doc: dict[str, Any]) -> tuple[str, str]:
    return doc["kind"], doc["metadata"]["name"]


def test_operator_command_serves_health_and_stops_on_sigterm(
    cluster: Cluster, operator: object
) -> None:
    # The packaged entry point, as the image runs it, with the chart's service account.
    # It runs while no Prefecture exists, so it has nothing to race the in-process operator for.
    port = free_port()
    env = os.environ | {"ANJIAN_OPERATOR_HEALTH_PORT": str(port), "ANJIAN_LOG_FORMAT": "console"}
    command = shutil.which("anjian-operator")
    assert command is not None
    process = subprocess.Popen([command], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                url = f"http://127.0.0.1:{port}/healthz"
                with urllib.request.urlopen(url, timeout=1) as reply:
                    assert reply.status == 200
                    break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        else:
            pytest.fail("anjian-operator never served /healthz")
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output.decode()


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_suite_examples_pass_server_side_dry_run(cluster: Cluster, example: Path) -> None:
    manifests = cluster.helm(
        "template", "anjian", str(SUITE), "-f", str(example), *NO_SERVICE_MONITOR,
        "--namespace", "default",
    )  # fmt: skip
    out = cluster.kubectl("apply", "--dry-run=server", "-n", "default", "-f", "-", input=manifests)
    assert "deployment.apps/anjian-hazard created (server dry run)" in out


def test_operator_chart_passes_server_side_dry_run(cluster: Cluster, operator: object) -> None:
    example = CHARTS / "anjian-operator" / "examples" / "in-cluster.yaml"
    manifests = cluster.helm(
        "template", "other-operator", str(CHARTS / "anjian-operator"), "-f", str(example),
        "--namespace", "anjian-system",
    )  # fmt: skip
    out = cluster.kubectl(
        "apply", "--dry-run=server", "-n", "anjian-system", "-f", "-", input=manifests
    )
    assert "clusterrole.rbac.authorization.k8s.io/other-operator-anjian-operator-tenant" in out


def test_suite_installs_and_becomes_ready(cluster: Cluster) -> None:
    cluster.kubectl("create", "namespace", "anjian-standalone")
    cluster.helm(
        "install", "anjian", str(SUITE), "--namespace", "anjian-standalone",
        "-f", str(SUITE / "examples" / "standalone.yaml"), *NO_SERVICE_MONITOR,
        "--wait", "--timeout", "120s",
    )  # fmt: skip
    status = json.loads(
        cluster.kubectl("-n", "anjian-standalone", "get", "deployments", "-o", "json")
    )
    ready = {d["metadata"]["name"]: d["status"].get("readyReplicas") for d in status["items"]}
    assert ready == {"anjian-credit": 1, "anjian-gateway": 2, "anjian-hazard": 2}
    cluster.helm("uninstall", "anjian", "--namespace", "anjian-standalone", "--wait")


def test_adding_a_service_is_one_values_entry(cluster: Cluster) -> None:
    occhealth = {
        "enabled": True,
        "command": ["anjian-occhealth"],
        "protocol": "grpc",
        "port": 50051,
        "grpcService": "anjian.occhealth.v1.OccupationalHealthService",
    }
    docs = render(
        cluster, str(SUITE), "-f", str(SUITE / "examples" / "operator-managed.yaml"),
        "--set-json", f"components.occhealth={json.dumps(occhealth)}",
    )  # fmt: skip
    kinds = {_key(d) for d in docs}
    assert ("Deployment", "anjian-occhealth") in kinds
    assert ("Service", "anjian-occhealth") in kinds
    assert ("PodDisruptionBudget", "anjian-occhealth") in kinds
    assert ("Pod", "anjian-occhealth-test") in kinds
    gateway: Any = next(d for d in docs if _key(d) == ("Deployment", "anjian-gateway"))
    container = gateway["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["ANJIAN_OCCHEALTH_ADDRESS"] == "anjian-occhealth:50051"
    assert env["ANJIAN_CREDIT_ADDRESS"] == "anjian-credit:50051"
    assert env["ANJIAN_HAZARD_ADDRESS"] == "anjian-hazard:50051"
    # The gateway holds no state: it gets no database URL, bus credentials or token key.
    assert not {"ANJIAN_DATABASE_URL", "ANJIAN_NATS_PASSWORD", "ANJIAN_TOKEN_SECRET"} & set(env)


def test_missing_values_are_reported_together(cluster: Cluster) -> None:
    with pytest.raises(AssertionError) as caught:
        cluster.helm("template", "anjian", str(SUITE), "--set", "otel.exporter=otlp")
    message = str(caught.value)
    assert "set database.existingSecret or database.url" in message
    assert "set auth.existingSecret or auth.tokenSecret" in message
    assert "otel.exporter is otlp: set otel.endpoint" in message


def test_schema_rejects_a_tenant_outside_yunnan(cluster: Cluster) -> None:
    example = SUITE / "examples" / "standalone.yaml"
    with pytest.raises(AssertionError, match="tenant"):
        cluster.helm("template", "anjian", str(SUITE), "-f", str(example), "--set", "tenant=110100")


def test_kind_manifests_pass_server_side_dry_run(cluster: Cluster, operator: object) -> None:
    kind = CHARTS.parent / "e2e" / "kind"
    for name in ("namespace.yaml", "infra.yaml", "prefectures.yaml"):
        out = cluster.kubectl("apply", "--dry-run=server", "-f", str(kind / name))
        assert "(server dry run)" in out


def test_kind_nats_config_is_accepted_by_nats_server(tmp_path: Path) -> None:
    infra = CHARTS.parent / "e2e" / "kind" / "infra.yaml"
    config_map = next(
        d for d in yaml.safe_load_all(infra.read_text()) if d and d["kind"] == "ConfigMap"
    )
    text = config_map["data"]["nats.conf"]
    accounts = tmp_path / "accounts.conf"
    accounts.write_text("")
    text = text.replace("/data", str(tmp_path / "js"))
    (tmp_path / "nats.conf").write_text(text)
    env = os.environ | {"POD_NAME": "nats-0", "NATS_SYSTEM_PASSWORD": "x"}
    result = subprocess.run(
        [str(nats_server_binary()), "-t", "-c", str(tmp_path / "nats.conf")],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
