"""The real `anjian-hazard` process: SIGTERM drains and exits 0; bad settings exit 2."""

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from kernel_support import KUNMING, SECRET, SERVING, wait_for_health

from anjian_cli.embedded import EmbeddedNats, EmbeddedPostgres, free_port

pytestmark = pytest.mark.slow

PROGRAM = Path(sys.executable).parent / "anjian-hazard"
GRACE = 10.0


def service_environment(**settings: str) -> dict[str, str]:
    """This process's environment without any ANJIAN_ variable, plus `settings`."""
    inherited = {key: value for key, value in os.environ.items() if not key.startswith("ANJIAN_")}
    return inherited | {f"ANJIAN_{key.upper()}": value for key, value in settings.items()}


def logged_events(log: Path) -> list[str]:
    """The `event` of every JSON log line the process wrote, in order."""
    events = []
    for line in log.read_text().splitlines():
        if line.startswith("{"):
            events.append(json.loads(line)["event"])
    return events


async def test_sigterm_drains_and_exits_zero(
    tmp_path: Path, postgres: EmbeddedPostgres, nats_server: EmbeddedNats
) -> None:
    port = free_port()
    environment = service_environment(
        database_url=postgres.url_for("anjian_sig_{tenant}"),
        nats_url=nats_server.url,
        tenants=KUNMING,
        token_secret=SECRET,
        grpc_port=str(port),
        shutdown_grace_seconds=str(GRACE),
        health_check_interval_seconds="0.2",
    )
    log = tmp_path / "hazard.log"
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            PROGRAM, env=environment, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            await wait_for_health(channel, SERVING, timeout=90)

        process.send_signal(signal.SIGTERM)
        returncode = await asyncio.wait_for(process.wait(), GRACE)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    assert returncode == 0, log.read_text()
    events = logged_events(log)
    assert "service_started" in events
    draining = events.index("service_draining")
    assert "service_stopped" in events[draining + 1 :], events


@pytest.mark.parametrize(
    ("missing_or_wrong", "variable"),
    [
        ({}, "ANJIAN_TOKEN_SECRET"),
        ({"token_secret": SECRET, "tenants": "530100,110100"}, "ANJIAN_TENANTS"),
        ({"token_secret": SECRET, "grpc_port": "not-a-port"}, "ANJIAN_GRPC_PORT"),
        ({"token_secret": " " * 40}, "ANJIAN_TOKEN_SECRET: Value error, at least 32"),
        ({"token_secret": "short"}, "ANJIAN_TOKEN_SECRET: Value error, at least 32"),
        (
            {"token_secret": SECRET, "holiday_calendar": '{"2027": {"holidays": []}}'},
            "ANJIAN_HOLIDAY_CALENDAR: 2027.source: Field required",
        ),
    ],
    ids=[
        "no-token-secret",
        "tenant-outside-yunnan",
        "port-not-a-number",
        "blank-token-secret",
        "short-token-secret",
        "calendar-year-without-source",
    ],
)
def test_bad_settings_exit_2_naming_the_variable(
    missing_or_wrong: dict[str, str], variable: str
) -> None:
    finished = subprocess.run(
        [str(PROGRAM)],
        env=service_environment(**missing_or_wrong),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert finished.returncode == 2
    assert variable in finished.stderr
