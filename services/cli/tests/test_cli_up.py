"""`anjian up` runs until stopped, by Ctrl-C too when its shell started it with SIGINT ignored."""

import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

START_TIMEOUT = 120.0


@pytest.mark.slow
def test_up_stops_on_sigint_although_it_was_started_ignoring_it(tmp_path: Path) -> None:
    data_dir = tmp_path / "stack"
    command = [str(Path(sys.executable).parent / "anjian"), "up", "--data-dir", str(data_dir)]
    # A shell without job control starts background jobs (`make up &`) this way.
    shell = f"trap '' INT; exec {shlex.join([*command, '--tenants', '530100'])}"
    process = subprocess.Popen(
        ["/bin/sh", "-c", shell],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "160"},
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not (data_dir / "stack.json").exists():
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() < deadline, "the stack did not come up"
            time.sleep(0.5)

        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.communicate(timeout=60)

    # 0 once it serves; 130, as for any command stopped by Ctrl-C, while it still starts.
    assert process.returncode in (0, 130), output
    assert "stopping…" in output
    assert not (data_dir / "stack.json").exists()
