"""`anjian demo` end to end, small: hazards get closed, overdue events arrive, the credit service
records them, one enterprise is listed and one repaired, and the check passes."""

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

DEMO_TIMEOUT = 420


def run_anjian(*args: str) -> tuple[int, str]:
    """Run the `anjian` console script; on timeout, SIGTERM it so it stops its stack."""
    script = Path(sys.executable).parent / "anjian"
    process = subprocess.Popen(
        [str(script), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "160"},
    )
    try:
        output, _ = process.communicate(timeout=DEMO_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
        pytest.fail(f"anjian {' '.join(args)} did not finish in {DEMO_TIMEOUT}s:\n{output}")
    return process.returncode, output


def count(output: str, label: str) -> int:
    """The number in the table row that starts with `label`, 0 if there is no such row."""
    found = re.search(rf"│ {re.escape(label)}\s+│\s+(\d+) │", output)
    return int(found.group(1)) if found else 0


@pytest.mark.slow
@pytest.mark.timeout(DEMO_TIMEOUT + 90)
def test_small_demo_closes_hazards_and_matches_the_database(tmp_path: Path) -> None:
    data_dir = tmp_path / "demo"
    args = ["--enterprises", "30", "--minutes", "0.5", "--data-dir", str(data_dir)]

    code, output = run_anjian("demo", *args)

    assert code == 0, output
    assert "summary matches the database" in output
    assert count(output, "已销号 closed") > 0
    assert count(output, "overdue") > 0
    assert count(output, "reported") == count(output, "hazards reported") > 0
    assert count(output, "monthly returns filed for 2026-10") == 30

    # The progress bar stops with the month; the report counts the month's calls alike, and
    # the credit steps' calls after it on a row of their own.
    in_month = re.search(r"│ gRPC calls in the month \(stale-etag retries\)\s+│\s+(\d+) \(", output)
    assert in_month, output
    assert re.findall(r"(\d+) calls in the month ·", output)[-1] == in_month.group(1)
    assert count(output, "gRPC calls after it, for credit") > 0

    # Every event the rule table names got its record (the check compares them per rule).
    recorded = re.search(r"credit matches the database: (\d+) credit records", output)
    assert recorded, output
    assert int(recorded.group(1)) > 0
    assert re.search(r"│ 按倍数罚款 multiple fine +│ 昆应急罚〔2026〕\d+号 .*│ ACTIVE +│", output)
    assert re.search(
        r"│ 瞒报事故 concealed accident +│ 昆应急罚〔2025〕\d+号 .*│ REPAIRED │", output
    )
    assert "the bureau's review: APPROVED" in output
    assert "refused as expected (FAILED_PRECONDITION: credit repair may be applied for" in output
    assert "is flagged for closer inspection: yes" in output
    assert re.search(r"│ 9\w{17} │ yes +│ 2026-12-\d\d ACTIVE", output)

    assert not (data_dir / "postgres" / "postmaster.pid").exists()
