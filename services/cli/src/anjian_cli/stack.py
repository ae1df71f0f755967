"""The local stack: PostgreSQL and NATS from their wheels, the services as child processes.

`anjian up` and `anjian demo` both run it. The servers keep their data under the data
directory; each service logs to `<data-dir>/logs/<name>.log`. Children run in sessions
of their own, so Ctrl-C reaches only the CLI, which then stops them in order: services
first (SIGTERM, so they drain), then NATS and PostgreSQL.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from anjian_cli.embedded import (
    LOCALHOST,
    EmbeddedNats,
    EmbeddedPostgres,
    EmbeddedServerError,
    _log_tail,
    _stop_process,
    _wait_until_ready,
    free_port,
)
from anjian_cli.secret import PERSON_KEY_SALT, load_or_create_secret
from anjian_kernel.auth import Principal, Role, issue_token

SERVICE_START_TIMEOUT = 120.0
STATE_FILE = "stack.json"
DATABASE_TEMPLATE = "anjian_{tenant}"
PUBLIC_TOKEN_LIFETIME = timedelta(days=30)
"""Minted afresh at every start, so a long-running stack must restart within this."""


@dataclass(frozen=True)
class SimulatedTime:
    """A simulated clock for the services: `start` at launch plus `lead` real seconds.

    The lead gives the services time to start before simulated time reaches `start`, so
    the first simulated morning is not spent waiting for them.
    """

    start: datetime
    rate: float
    lead: float


@dataclass
class StackOptions:
    """What to run and where."""

    data_dir: Path
    tenants: list[str]
    fast: bool = False
    """PostgreSQL without fsync: for throwaway demo data only."""
    simulated_time: SimulatedTime | None = None
    overdue_scan_interval: float | None = None
    grpc_port: int | None = None
    credit_port: int | None = None
    http_port: int | None = None


def console_script(name: str) -> Path:
    """A workspace console script, found beside this interpreter or on PATH."""
    beside_python = Path(sys.executable).parent / name
    if beside_python.exists():
        return beside_python
    found = shutil.which(name)
    if found is None:
        raise EmbeddedServerError(f"{name} not found; run `uv sync --all-packages`")
    return Path(found)


class ChildService:
    """One Anjian service, run by its console script `anjian-<name>`, logging to a file."""

    def __init__(
        self, name: str, env: dict[str, str], logs_dir: Path, probe: Callable[[], bool]
    ) -> None:
        """Prepare, without starting, the service `name`; `probe` tells when it is ready."""
        self.name = name
        self.env = env
        self.log_path = logs_dir / f"{name}.log"
        self.probe = probe
        self.process: subprocess.Popen[bytes] | None = None

    def launch(self) -> None:
        """Start the process; `wait_ready` then waits for it to report ready."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own console script
                [str(console_script(f"anjian-{self.name}"))],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                start_new_session=True,
            )

    def wait_ready(self) -> None:
        """Wait until the probe passes; fail with the log's tail if the process exits."""
        assert self.process is not None
        _wait_until_ready(self.process, self.probe, self.name, self.log_path, SERVICE_START_TIMEOUT)

    @property
    def exit_code(self) -> int | None:
        """The exit code if the process has ended, else None."""
        return None if self.process is None else self.process.poll()

    def log_tail(self) -> str:
        """The end of the service's log."""
        return _log_tail(self.log_path)

    def stop(self) -> None:
        """SIGTERM, so the service drains; killed if it outlasts the stop timeout."""
        if self.process is not None:
            _stop_process(self.process, signal.SIGTERM)
            self.process = None


def grpc_serving(address: str) -> Callable[[], bool]:
    """A probe: whether gRPC health at `address` answers SERVING for the whole server."""

    def probe() -> bool:
        with grpc.insecure_channel(address) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            try:
                # types-grpcio-health-checking declares no methods on `HealthStub`.
                reply: health_pb2.HealthCheckResponse = stub.Check(  # type: ignore[attr-defined]
                    health_pb2.HealthCheckRequest(), timeout=1
                )
            except grpc.RpcError:
                return False
        return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)

    return probe


def http_ready(url: str) -> Callable[[], bool]:
    """A probe: whether GET `url` answers 200."""

    def probe() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our http URL
                return bool(response.status == 200)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    return probe


class Stack:
    """PostgreSQL, NATS, the hazard service and (when installed) the gateway."""

    def __init__(self, options: StackOptions) -> None:
        """Prepare, without starting, a stack over `options.data_dir`."""
        self.options = options
        self.data_dir = options.data_dir.absolute()
        self.logs_dir = self.data_dir / "logs"
        self.postgres = EmbeddedPostgres(self.data_dir / "postgres", fast=options.fast)
        self.postgres.log_path = self.logs_dir / "postgres.log"
        self.nats = EmbeddedNats(self.data_dir / "nats")
        self.nats.log_path = self.logs_dir / "nats.log"
        self.grpc_port = options.grpc_port or free_port()
        self.credit_port = options.credit_port or free_port()
        self.http_port = options.http_port or free_port()
        self.secret = ""
        self.clock_anchor: float | None = None
        self.services: list[ChildService] = []

    @property
    def hazard_address(self) -> str:
        """host:port of the hazard service's gRPC server."""
        return f"{LOCALHOST}:{self.grpc_port}"

    @property
    def credit_address(self) -> str:
        """host:port of the credit service's gRPC server."""
        return f"{LOCALHOST}:{self.credit_port}"

    @property
    def gateway_url(self) -> str:
        """Base URL of the gateway."""
        return f"http://{LOCALHOST}:{self.http_port}"

    def tenant_dsn(self, tenant: str) -> str:
        """libpq DSN of a tenant's database, for asyncpg."""
        database = DATABASE_TEMPLATE.format(tenant=tenant)
        return f"postgresql://postgres@{self.postgres.host}:{self.postgres.port}/{database}"

    def start(self, step: Callable[[str], None] = lambda _: None) -> None:
        """Start everything and wait until each part is ready; `step` hears what starts.

        The services are launched first: loading Python takes them longer than the servers
        take to start, and until the servers answer they retry on their own.
        """
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        try:
            self.secret = load_or_create_secret(self.data_dir)
            self._launch_services()
            step("PostgreSQL")
            self.postgres.start()
            step("NATS JetStream")
            self.nats.start()
            for service in self.services:
                step(f"the {service.name} service")
                service.wait_ready()
        except BaseException:
            self.stop()
            raise
        self._write_state()

    def _launch_services(self) -> None:
        """Start the services side by side: together they start faster than in turn."""
        env = self._service_env()
        credit_env = env | {
            "ANJIAN_GRPC_PORT": str(self.credit_port),
            "ANJIAN_PERSON_KEY_SALT": PERSON_KEY_SALT.load_or_create(self.data_dir),
        }
        gateway_env = env | {
            "ANJIAN_HTTP_PORT": str(self.http_port),
            "ANJIAN_HAZARD_ADDRESS": self.hazard_address,
            "ANJIAN_CREDIT_ADDRESS": self.credit_address,
            "ANJIAN_PUBLIC_TOKENS": json.dumps(self._public_tokens()),
        }
        self.services = [
            ChildService("hazard", env, self.logs_dir, grpc_serving(self.hazard_address)),
            ChildService("credit", credit_env, self.logs_dir, grpc_serving(self.credit_address)),
            ChildService(
                "gateway",
                gateway_env,
                self.logs_dir,
                http_ready(f"http://{LOCALHOST}:{self.http_port}/readyz"),
            ),
        ]
        for service in self.services:
            service.launch()

    def _public_tokens(self) -> dict[str, str]:
        """A partner token per tenant for the gateway's anonymous public credit page."""
        return {
            tenant: issue_token(
                self.secret,
                Principal(subject="public-credit-page", tenant=tenant, role=Role.PARTNER),
                ttl=PUBLIC_TOKEN_LIFETIME,
            )
            for tenant in self.options.tenants
        }

    def _service_env(self) -> dict[str, str]:
        """The environment every service gets: ours, with what the stack decides on top.

        Other `ANJIAN_*` variables (log level, telemetry) pass through from the caller.
        A simulated clock is anchored here, just before the services launch.
        """
        env = dict(os.environ) | {
            "ANJIAN_DATABASE_URL": self.postgres.url_for(DATABASE_TEMPLATE),
            "ANJIAN_NATS_URL": self.nats.url,
            "ANJIAN_TENANTS": ",".join(self.options.tenants),
            "ANJIAN_TOKEN_SECRET": self.secret,
            "ANJIAN_GRPC_PORT": str(self.grpc_port),
            "ANJIAN_LOG_FORMAT": "json",
            # Logs go to files; unbuffered, they are there when someone looks.
            "PYTHONUNBUFFERED": "1",
        }
        simulated = self.options.simulated_time
        if simulated is not None:
            # Every service computes the same clock from these; so does the demo driver.
            self.clock_anchor = time.time() + simulated.lead
            env |= {
                "ANJIAN_CLOCK_START": simulated.start.isoformat(),
                "ANJIAN_CLOCK_ANCHOR": repr(self.clock_anchor),
                "ANJIAN_CLOCK_RATE": repr(simulated.rate),
            }
        if self.options.overdue_scan_interval is not None:
            env["ANJIAN_OVERDUE_SCAN_INTERVAL_SECONDS"] = repr(self.options.overdue_scan_interval)
        return env

    def exited_service(self) -> ChildService | None:
        """A service that has ended although nobody stopped it, if any."""
        return next((s for s in self.services if s.exit_code is not None), None)

    def stop(self) -> None:
        """Stop the services (draining), then NATS, then PostgreSQL."""
        for service in reversed(self.services):
            service.stop()
        self.nats.stop()
        self.postgres.stop()
        (self.data_dir / STATE_FILE).unlink(missing_ok=True)

    def endpoints(self) -> dict[str, Any]:
        """Where each part listens, as written to `<data-dir>/stack.json`."""
        return {
            "postgres": self.postgres.dsn,
            "database_url": self.postgres.url_for(DATABASE_TEMPLATE),
            "nats": self.nats.url,
            "nats_monitor": self.nats.monitor_url,
            "hazard_grpc": self.hazard_address,
            "credit_grpc": self.credit_address,
            "gateway_http": self.gateway_url,
            "tenants": self.options.tenants,
            "logs": str(self.logs_dir),
        }

    def _write_state(self) -> None:
        """Record the endpoints, so scripts and the e2e suite can find a running stack."""
        path = self.data_dir / STATE_FILE
        path.write_text(json.dumps(self.endpoints(), indent=2) + "\n")
