"""The endpoint table `anjian up` prints keeps every address whole, in a log file too."""

import io
from pathlib import Path

from anjian_cli.listing import LOG_WIDTH, endpoint_table, stack_console
from anjian_cli.stack import Stack, StackOptions
from anjian_kernel.tenancy import YUNNAN_PREFECTURES


def _rendered(stack: Stack) -> str:
    """The table as `anjian up` prints it into a log file."""
    out = io.StringIO()
    console = stack_console(out)
    assert not console.is_terminal
    console.print(endpoint_table(stack))
    return out.getvalue()


def test_a_log_file_gets_every_address_in_full(tmp_path: Path) -> None:
    tenants = sorted(YUNNAN_PREFECTURES)
    stack = Stack(StackOptions(data_dir=tmp_path / "stack", tenants=tenants))

    output = _rendered(stack)

    postgres = stack.postgres.url_for("anjian_<tenant>").replace("+asyncpg", "")
    addresses = [
        postgres,
        stack.nats.url,
        stack.nats.monitor_url,
        stack.hazard_address,
        stack.credit_address,
        f"{stack.gateway_url}/openapi.json",
        f"{stack.gateway_url}/docs",
        f"{stack.gateway_url}/public/credit",
        str(stack.data_dir),
        str(stack.logs_dir),
    ]
    lines = output.splitlines()
    for address in addresses:
        assert any(address in line for line in lines), f"{address} not whole in:\n{output}"
    for part, address in [
        ("hazard gRPC", stack.hazard_address),
        ("credit gRPC", stack.credit_address),
    ]:
        assert any(part in line and address in line for line in lines), output
    assert all(code in output for code in tenants)
    assert "…" not in output
    assert max(len(line) for line in lines) <= LOG_WIDTH
