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


def test_operator_may_write_only_its_own_secrets_in_its_namespace(cluster: Cluster) -> None:
    # The record of person-key salts is named once, in values: the operator's setting and
    # its Role follow it.
    docs = render(
        cluster, str(CHARTS / "anjian-operator"),
        "-f", str(CHARTS / "anjian-operator" / "examples" / "in-cluster.yaml"),
        "--set", "personKeys.saltsSecret=salts-of-yunnan",
    )  # fmt: skip
    objects = {_key(doc): doc for doc in docs}
    operator = objects["Deployment", "anjian-anjian-operator"]
    env = {e["name"]: e for e in operator["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["ANJIAN_OPERATOR_PERSON_KEY_SALTS_SECRET"]["value"] == "salts-of-yunnan"
    role = objects["Role", "anjian-anjian-operator"]
    named = next(rule for rule in role["rules"] if rule.get("resourceNames"))
    assert named["resourceNames"] == ["anjian-token", "anjian-nats-accounts", "salts-of-yunnan"]
    assert set(named["verbs"]) == {"get", "patch", "update"}


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

    # The salt in the Secret the chart made may not be replaced by a later upgrade.
    with pytest.raises(AssertionError, match=r"personKey\.salt differs from the salt in Secret"):
        cluster.helm(
            "upgrade", "anjian", str(SUITE), "--namespace", "anjian-standalone",
            "-f", str(SUITE / "examples" / "standalone.yaml"), *NO_SERVICE_MONITOR,
            "--set", "personKey.salt=another-salt-of-16-chars",
        )  # fmt: skip
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
    assert "components.credit is enabled: set personKey.existingSecret or personKey.salt" in message


def _containers(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each Deployment's container by component name."""
    return {
        d["metadata"]["labels"]["app.kubernetes.io/component"]: d["spec"]["template"]["spec"][
            "containers"
        ][0]
        for d in docs
        if d["kind"] == "Deployment"
    }


def _secret_refs(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The container's variables that come from a Secret, with their secretKeyRef."""
    return {
        e["name"]: e["valueFrom"]["secretKeyRef"]
        for e in container["env"]
        if "secretKeyRef" in e.get("valueFrom", {})
    }


def _secrets(docs: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    return {d["metadata"]["name"]: d["stringData"] for d in docs if d["kind"] == "Secret"}


def test_salt_and_public_tokens_reach_only_their_component(cluster: Cluster) -> None:
    docs = render(cluster, str(SUITE), "-f", str(SUITE / "examples" / "standalone.yaml"))
    refs = {name: _secret_refs(c) for name, c in _containers(docs).items()}
    secrets = _secrets(docs)

    assert refs["credit"]["ANJIAN_PERSON_KEY_SALT"] == {"name": "anjian-person-key", "key": "salt"}
    assert secrets["anjian-person-key"] == {"salt": "change-me-to-a-random-salt"}
    tokens = refs["gateway"]["ANJIAN_PUBLIC_TOKENS"]
    assert tokens == {"name": "anjian-public-tokens", "key": "tokens", "optional": True}
    public = json.loads(secrets["anjian-public-tokens"]["tokens"])
    assert public == {"530100": "change-me-to-a-partner-token"}

    assert "ANJIAN_PUBLIC_TOKENS" not in refs["credit"]
    assert "ANJIAN_PERSON_KEY_SALT" not in refs["gateway"]
    assert not {"ANJIAN_PERSON_KEY_SALT", "ANJIAN_PUBLIC_TOKENS"} & set(refs["hazard"])


def test_existing_secrets_are_named_not_made(cluster: Cluster) -> None:
    docs = render(cluster, str(SUITE), "-f", str(SUITE / "examples" / "operator-managed.yaml"))
    refs = {name: _secret_refs(c) for name, c in _containers(docs).items()}
    assert refs["credit"]["ANJIAN_PERSON_KEY_SALT"]["name"] == "anjian-person-key"
    assert refs["gateway"]["ANJIAN_PUBLIC_TOKENS"]["name"] == "anjian-public-tokens"
    assert _secrets(docs) == {}


def test_without_public_tokens_the_gateway_gets_no_variable(cluster: Cluster) -> None:
    docs = render(
        cluster, str(SUITE), "-f", str(SUITE / "examples" / "standalone.yaml"),
        "--set-json", "publicQuery.tokens={}",
    )  # fmt: skip
    assert "ANJIAN_PUBLIC_TOKENS" not in _secret_refs(_containers(docs)["gateway"])
    assert "anjian-public-tokens" not in _secrets(docs)


def test_a_new_salt_rolls_the_pods(cluster: Cluster) -> None:
    def checksum(*args: str) -> str:
        docs = render(cluster, str(SUITE), "-f", str(SUITE / "examples" / "standalone.yaml"), *args)
        credit = next(d for d in docs if _key(d) == ("Deployment", "anjian-credit"))
        annotation: str = credit["spec"]["template"]["metadata"]["annotations"]["checksum/secrets"]
        return annotation

    assert checksum() != checksum("--set", "personKey.salt=another-salt-of-16-chars")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--set", "personKey.salt="), "set personKey.existingSecret or personKey.salt"),
        (("--set", "personKey.salt=fifteen-chars!!"), "personKey.salt is shorter than 16"),
        (
            ("--set-json", 'publicQuery.tokens={"530300": "abc"}'),
            "publicQuery.tokens: this release serves 530100 only; drop 530300",
        ),
    ],
    ids=["no-salt", "short-salt", "other-prefecture"],
)
def test_person_key_and_public_token_mistakes_fail(
    cluster: Cluster, args: tuple[str, ...], message: str
) -> None:
    example = SUITE / "examples" / "standalone.yaml"
    with pytest.raises(AssertionError, match="values need fixing") as caught:
        cluster.helm("template", "anjian", str(SUITE), "-f", str(example), *args)
    assert message in str(caught.value)


def test_without_credit_no_salt_is_needed(cluster: Cluster) -> None:
    docs = render(
        cluster, str(SUITE), "-f", str(SUITE / "examples" / "standalone.yaml"),
        "--set", "personKey.salt=", "--set", "components.credit.enabled=false",
    )  # fmt: skip
    assert "anjian-person-key" not in _secrets(docs)
    assert "credit" not in _containers(docs)


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
