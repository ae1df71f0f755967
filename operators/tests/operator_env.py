"""Test environment for the operator: a real Kubernetes control plane (kwok), a NATS
server with accounts, and the operator.

The control plane is kube-apiserver, kube-controller-manager, kube-scheduler and etcd
built from source by scripts/k8s-build-control-plane.sh; kwok simulates the nodes, so
Deployments become ready though no container runs. The operator runs in this process,
logged in as the service account that its own chart creates, so its RBAC is tested too.
"""

import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from kopf.testing import KopfRunner

from anjian_cli.embedded import EmbeddedPostgres, free_port, nats_server_binary

REPO = Path(__file__).resolve().parents[2]
CHARTS = REPO / "charts"
BUILD_SCRIPT = REPO / "scripts" / "k8s-build-control-plane.sh"
SYSTEM_NAMESPACE = "anjian-system"
OPERATOR_RELEASE = "anjian-operator"
NATS_SYSTEM_USER = "anjian-operator"
NATS_SYSTEM_PASSWORD = "system-test-password"
TOKEN_SECRET = "test-token-secret-0123456789abcdef"
START_TIMEOUT = 60.0


def _bin_dir() -> Path:
    out = subprocess.run(
        [str(BUILD_SCRIPT), "--print-bin-dir"], check=True, capture_output=True, text=True
    )
    return Path(out.stdout.strip())


@pytest.fixture(scope="session")
def k8s_bin() -> Path:
    """The cached control-plane binaries; skip (or fail in CI) when they were never built."""
    bin_dir = _bin_dir()
    needed = ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd"]
    needed += ["kwok", "kwokctl", "kubectl", "helm"]
    missing = [name for name in needed if not (bin_dir / name).exists()]
    if missing:
        message = f"control plane not built ({', '.join(missing)}): run {BUILD_SCRIPT}"
        if os.environ.get("ANJIAN_REQUIRE_K8S"):
            pytest.fail(message)
        pytest.skip(message)
    return bin_dir


@dataclass
class Cluster:
    """A running kwok cluster and the tools to talk to it."""

    name: str
    bin_dir: Path
    kubeconfig: Path

    def run(self, tool: str, *args: str, kubeconfig: Path | None = None, **kw: object) -> str:
        """Run kubectl, helm or kwokctl against this cluster; raise with output on failure."""
        env = os.environ | {"KUBECONFIG": str(kubeconfig or self.kubeconfig)}
        result = subprocess.run(
            [str(self.bin_dir / tool), *args],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            **kw,  # type: ignore[arg-type]
        )
        if result.returncode != 0:
            raise AssertionError(f"{tool} {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        return result.stdout

    def kubectl(self, *args: str, **kw: object) -> str:
        """kubectl as cluster admin."""
        return self.run("kubectl", *args, **kw)

    def helm(self, *args: str) -> str:
        """helm as cluster admin."""
        return self.run("helm", *args)


KUBE_VERSION = "v1.37.2"


def _kwokctl_config(bin_dir: Path) -> dict[str, object]:
    """Binaries from our cache and free ports for every component, so two test sessions on
    one machine never collide and nothing is downloaded."""
    b = str(bin_dir)
    options: dict[str, object] = {
        "runtime": "binary",
        "kubeVersion": KUBE_VERSION,
        "bindAddress": "127.0.0.1",
        "kubeApiserverBinary": f"{b}/kube-apiserver",
        "kubeControllerManagerBinary": f"{b}/kube-controller-manager",
        "kubeSchedulerBinary": f"{b}/kube-scheduler",
        "kubectlBinary": f"{b}/kubectl",
        "etcdBinary": f"{b}/etcd",
        "kwokControllerBinary": f"{b}/kwok",
    }
    ports = (
        "etcdPort",
        "etcdPeerPort",
        "kubeApiserverPort",
        "kubeControllerManagerPort",
        "kubeSchedulerPort",
        "kwokControllerPort",
    )
    options |= {port: free_port() for port in ports}
    return {
        "apiVersion": "config.kwok.x-k8s.io/v1alpha1",
        "kind": "KwokctlConfiguration",
        "options": options,
    }


@pytest.fixture(scope="session")
def cluster(k8s_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A fresh kwok cluster with two simulated nodes, deleted at the end of the session."""
    name = f"anjian-test-{os.getpid()}"
    kwok_home = tmp_path_factory.mktemp("kwok")
    config = kwok_home / "kwokctl.yaml"
    config.write_text(yaml.safe_dump(_kwokctl_config(k8s_bin)))
    env = os.environ | {"KWOK_WORKDIR": str(kwok_home)}
    kwokctl = [str(k8s_bin / "kwokctl"), "--config", str(config), "--name", name]
    create = [*kwokctl, "create", "cluster", "--wait", "60s"]
    create += ["--kubeconfig", str(kwok_home / "merged-kubeconfig")]
    subprocess.run(create, check=True, env=env, capture_output=True)
    kubeconfig = kwok_home / "clusters" / name / "kubeconfig.yaml"
    try:
        scale = [*kwokctl, "scale", "node", "--replicas", "2"]
        subprocess.run(scale, check=True, env=env, capture_output=True)
        ready = Cluster(name, k8s_bin, kubeconfig)
        # Pods need the namespace's default service account, which a controller adds later.
        ready.kubectl("-n", "default", "wait", "--for=create", "serviceaccount/default")
        yield ready
    finally:
        delete = [*kwokctl, "delete", "cluster"]
        subprocess.run(delete, check=False, env=env, capture_output=True)


@dataclass
class AccountsNats:
    """nats-server with a system account and an included, operator-written accounts file."""

    directory: Path
    port: int
    monitor_port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Client URL."""
        return f"nats://127.0.0.1:{self.port}"

    @property
    def accounts_file(self) -> Path:
        """The file the operator writes and the server includes."""
        return self.directory / "accounts.conf"

    def start(self) -> None:
        """Start on the same ports and store as before, and wait for /healthz."""
        config = self.directory / "nats.conf"
        if not self.accounts_file.exists():
            self.accounts_file.write_text("")
        config.write_text(
            f"listen: 127.0.0.1:{self.port}\n"
            f"http: 127.0.0.1:{self.monitor_port}\n"
            f"jetstream {{ store_dir: {json.dumps(str(self.directory / 'js'))} }}\n"
            "accounts {\n"
            f"  SYS {{ users: [{{user: {NATS_SYSTEM_USER}, password: {NATS_SYSTEM_PASSWORD}}}] }}\n"
            "  include ./accounts.conf\n"
            "}\n"
            "system_account: SYS\n"
        )
        log = (self.directory / "nats.log").open("ab")
        self.process = subprocess.Popen(
            [str(nats_server_binary()), "-c", str(config)], stdout=log, stderr=log
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            try:
                url = f"http://127.0.0.1:{self.monitor_port}/healthz"
                with urllib.request.urlopen(url, timeout=1):
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        raise RuntimeError(f"nats-server did not start; see {self.directory / 'nats.log'}")

    def stop(self) -> None:
        """Graceful shutdown."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None


@pytest.fixture(scope="session")
def nats_accounts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AccountsNats]:
    """A NATS server whose tenant accounts the operator manages."""
    server = AccountsNats(tmp_path_factory.mktemp("nats-accounts"), free_port(), free_port())
    server.start()
    yield server
    server.stop()


def _service_account_kubeconfig(cluster: Cluster, account: str, target: Path) -> Path:
    """A kubeconfig that authenticates as `account` with a short-lived token."""
    admin = yaml.safe_load(cluster.kubeconfig.read_text())
    token = cluster.kubectl(
        "-n", SYSTEM_NAMESPACE, "create", "token", account, "--duration", "2h"
    ).strip()
    admin_cluster = admin["clusters"][0]
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [admin_cluster],
        "users": [{"name": account, "user": {"token": token}}],
        "contexts": [
            {"name": account, "context": {"cluster": admin_cluster["name"], "user": account}}
        ],
        "current-context": account,
    }
    target.write_text(yaml.safe_dump(config))
    return target


@pytest.fixture(scope="session")
def operator(
    cluster: Cluster,
    postgres: EmbeddedPostgres,
    nats_accounts: AccountsNats,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[KopfRunner]:
    """The operator chart installed with `helm install --wait` (CRD, RBAC, Secrets), and the
    operator itself running here as the chart's service account."""
    cluster.kubectl("create", "namespace", SYSTEM_NAMESPACE)
    cluster.helm(
        "install", OPERATOR_RELEASE, str(CHARTS / "anjian-operator"),
        "--namespace", SYSTEM_NAMESPACE, "--wait", "--timeout", "120s",
        "--set", f"database.adminUrl={postgres.dsn}",
        "--set", f"nats.url={nats_accounts.url}",
        "--set", f"nats.systemPassword={NATS_SYSTEM_PASSWORD}",
        "--set", f"auth.tokenSecret={TOKEN_SECRET}",
        "--set", "image.pullPolicy=Never",
    )  # fmt: skip
    cluster.kubectl(
        "wait", "--for=condition=Established", "crd/prefectures.anjian.io", "--timeout=60s"
    )
    home = tmp_path_factory.mktemp("operator-home")
    kubeconfig = _service_account_kubeconfig(cluster, OPERATOR_RELEASE, home / "kubeconfig")
    settings = {
        "KUBECONFIG": str(kubeconfig),
        "ANJIAN_OPERATOR_NAMESPACE": SYSTEM_NAMESPACE,
        "ANJIAN_OPERATOR_SERVICE_ACCOUNT": OPERATOR_RELEASE,
        "ANJIAN_OPERATOR_TENANT_CLUSTER_ROLE": f"{OPERATOR_RELEASE}-tenant",
        "ANJIAN_OPERATOR_DATABASE_ADMIN_URL": postgres.dsn,
        "ANJIAN_OPERATOR_NATS_URL": nats_accounts.url,
        "ANJIAN_OPERATOR_NATS_SYSTEM_USER": NATS_SYSTEM_USER,
        "ANJIAN_OPERATOR_NATS_SYSTEM_PASSWORD": NATS_SYSTEM_PASSWORD,
        "ANJIAN_OPERATOR_NATS_ACCOUNTS_FILE": str(nats_accounts.accounts_file),
        "ANJIAN_OPERATOR_NATS_RELOAD_TIMEOUT_SECONDS": "10",
        "ANJIAN_OPERATOR_HELM_BINARY": str(cluster.bin_dir / "helm"),
        "ANJIAN_OPERATOR_CHART": str(CHARTS / "anjian"),
        "ANJIAN_OPERATOR_IMAGE_TAG": "test",
        "ANJIAN_OPERATOR_RETRY_DELAY_SECONDS": "2",
    }
    saved = {key: os.environ.get(key) for key in settings}
    os.environ.update(settings)
    runner = KopfRunner(
        ["run", "--standalone", "--all-namespaces", "-m", "anjian_operator.handlers"],
        timeout=60,
    )
    try:
        with runner:
            yield runner
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    shutil.rmtree(home, ignore_errors=True)
