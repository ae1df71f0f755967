"""The endpoint table `anjian up` prints keeps every address whole, in a log file too."""

import io
from pathlib import Path

from rich.console import Console

from anjian_cli.listing import endpoint_table
from anjian_cli.stack import Stack, StackOptions


def _rendered(stack: Stack, width: int) -> str:
    out = io.StringIO()
    console = Console(file=out, width=width)
    assert not console.is_terminal
    console.print(endpoint_table(stack))
    return out.getvalue()


def test_a_log_file_gets_every_address_in_full(tmp_path: Path) -> None:
    stack = Stack(StackOptions(data_dir=tmp_path / "stack", tenants=["530100", "530300"]))

    # 80 columns: what rich assumes for output that is no terminal (`make up > log`).
    output = _rendered(stack, 80)

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
    assert "…" not in output
    assert max(len(line) for line in lines) <= 80
