"""Case events-order-after-fast-change: reported then graded, once each, across a hard kill."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from hazard_support import KUNMING, SECRET, Caller, hazard_events, token, wait_serving

from anjian.events.v1.hazard_events_pb2 import HazardEvent
from anjian.hazard.v1 import hazard_pb2
from anjian_cli.embedded import EmbeddedNats, EmbeddedPostgres, free_port


class ServiceProcess:
    """The real `anjian-hazard` program, started and killed like an operating system would."""

    def __init__(self, postgres: EmbeddedPostgres, nats: EmbeddedNats, log: Path) -> None:
        self.port = free_port()
        self.log = log
        self.env = {
            **os.environ,
            "ANJIAN_DATABASE_URL": postgres.url_for("anjian_fastchange_{tenant}"),
            "ANJIAN_NATS_URL": nats.url,
            "ANJIAN_TENANTS": KUNMING,
            "ANJIAN_TOKEN_SECRET": SECRET,
            "ANJIAN_GRPC_PORT": str(self.port),
            "ANJIAN_RELAY_POLL_INTERVAL_SECONDS": "0.2",
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        program = Path(sys.executable).with_name("anjian-hazard")
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(
                [str(program)], env=self.env, stdout=sink, stderr=subprocess.STDOUT
            )

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture
def service(
    postgres: EmbeddedPostgres, nats_server: EmbeddedNats, tmp_path: Path
) -> Iterator[ServiceProcess]:
    process = ServiceProcess(postgres, nats_server, tmp_path / "hazard.log")
    yield process
    if process.process and process.process.poll() is None:
        process.process.terminate()
        process.process.wait(timeout=30)


async def test_events_order_after_fast_change(
    service: ServiceProcess, nats_server: EmbeddedNats
) -> None:
    service.start()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
        await wait_serving(channel, timeout=60)
        inspector = Caller(channel, token(KUNMING))
        reported = await inspector.report()
    service.kill()

    service.start()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
        await wait_serving(channel, timeout=60)
        inspector = Caller(channel, token(KUNMING))
        await inspector.hazards.GradeHazard(
            hazard_pb2.GradeHazardRequest(
                name=reported.name, etag=reported.etag, grade=hazard_pb2.HAZARD_GRADE_GENERAL
            ),
            metadata=inspector.metadata,
        )

    events = await hazard_events(nats_server.url, KUNMING, reported.name, 2, settle=1.5)
    assert [e.kind for e in events] == [
        HazardEvent.Kind.KIND_REPORTED,
        HazardEvent.Kind.KIND_GRADED,
    ]
