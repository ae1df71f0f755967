"""The `anjian` command: run the local stack, issue tokens, play the demo month."""

import signal
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from anjian_cli.demo.run import DemoError, DemoOptions, demo_stack, prepare_data_dir, run_month
from anjian_cli.embedded import EmbeddedServerError
from anjian_cli.listing import (
    DEFAULT_DATA_DIR,
    endpoint_table,
    fetch_standards,
    reference_data,
    reference_table,
    stack_console,
    usage,
)
from anjian_cli.secret import SecretError, load_secret
from anjian_cli.stack import Stack, StackOptions
from anjian_kernel.auth import Principal, Role, issue_token
from anjian_kernel.identifiers import CreditCodeError, validate_credit_code
from anjian_kernel.tenancy import YUNNAN_PREFECTURES, prefecture_of_county

app = typer.Typer(
    help="Anjian (安监) work-safety supervision: the local stack, tokens and the demo month.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
TOKEN_HOURS_AT_MOST = 10 * 366 * 24
"""Ten years: more than any deployment should allow (services refuse 90 days by default)."""
INTERRUPTED = 130
"""The shell's exit code for a command stopped by Ctrl-C."""

DataDir = Annotated[
    Path, typer.Option(help="Where PostgreSQL, NATS, logs and the token secret live.")
]


def _run(stack: Stack, console: Console, body: Callable[[], int]) -> int:
    """Start the stack, run `body` and stop the stack whatever happens; the exit code.

    Meanwhile SIGTERM unwinds like Ctrl-C, and neither may interrupt the stopping, which
    would leave servers running with nobody to stop them. Ctrl-C is taken even when the
    shell started this with SIGINT ignored, as shells without job control do with `&`.
    """
    previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.default_int_handler)
    try:
        with console.status("starting…") as status:
            stack.start(lambda part: status.update(f"starting {part}…"))
        return body()
    except KeyboardInterrupt:
        console.print("stopping…")
        return INTERRUPTED
    except EmbeddedServerError as error:
        console.print(f"[bold red]could not start:[/] {error}", highlight=False)
        return 1
    finally:
        for sig in STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
        stack.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _serve(stack: Stack, console: Console) -> int:
    """Wait for Ctrl-C or SIGTERM (exit 0), or for a service to die (exit 1)."""
    try:
        while (ended := stack.exited_service()) is None:
            time.sleep(0.5)
    except KeyboardInterrupt:
        console.print("stopping…")
        return 0
    console.print(f"[bold red]{ended.name} exited with code {ended.exit_code}[/]")
    console.print(ended.log_tail(), markup=False, highlight=False)
    return 1


def _tenant_list(value: str) -> list[str]:
    tenants = [code.strip() for code in value.split(",") if code.strip()]
    unknown = [code for code in tenants if code not in YUNNAN_PREFECTURES]
    if unknown or not tenants:
        raise typer.BadParameter(f"not Yunnan prefecture codes: {', '.join(unknown) or value!r}")
    return tenants


@app.command()
def up(
    data_dir: DataDir = DEFAULT_DATA_DIR,
    tenants: Annotated[
        str, typer.Option(help="Comma-separated prefecture codes to serve (default: all 16).")
    ] = ",".join(sorted(YUNNAN_PREFECTURES)),
    grpc_port: Annotated[int, typer.Option(help="Hazard gRPC port; 0 picks a free one.")] = 0,
    http_port: Annotated[int, typer.Option(help="Gateway HTTP port; 0 picks a free one.")] = 0,
) -> None:
    """Start PostgreSQL, NATS, the hazard and credit services and the gateway; run until Ctrl-C."""
    console = stack_console()
    options = StackOptions(
        data_dir=data_dir,
        tenants=_tenant_list(tenants),
        grpc_port=grpc_port or None,
        http_port=http_port or None,
    )
    stack = Stack(options)

    def serve() -> int:
        console.print(endpoint_table(stack))
        console.print(reference_table(reference_data(stack, fetch_standards(stack))))
        console.print(usage(stack))
        return _serve(stack, console)

    raise typer.Exit(_run(stack, console, serve))


@app.command()
def token(
    tenant: Annotated[str, typer.Option(help="Prefecture code (GB/T 2260).")] = "530100",
    role: Annotated[Role, typer.Option(help="What the caller may do.")] = Role.INSPECTOR,
    county: Annotated[
        str | None, typer.Option(help="Limit the caller to one county of the tenant.")
    ] = None,
    enterprise: Annotated[
        str | None, typer.Option(help="Credit code of the enterprise (role enterprise).")
    ] = None,
    subject: Annotated[str | None, typer.Option(help="Who the caller is.")] = None,
    hours: Annotated[
        int,
        typer.Option(
            min=1,
            max=TOKEN_HOURS_AT_MOST,
            help="How long the token is valid; services refuse tokens valid for longer than "
            "their ANJIAN_TOKEN_MAX_LIFETIME_HOURS (2160, 90 days, unless set).",
        ),
    ] = 12,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Print a token signed with the local stack's secret (or ANJIAN_TOKEN_SECRET)."""
    if tenant not in YUNNAN_PREFECTURES:
        raise typer.BadParameter(f"{tenant} is not a Yunnan prefecture code", param_hint="--tenant")
    if county is not None and prefecture_of_county(county) != tenant:
        raise typer.BadParameter(f"{county} is not a county of {tenant}", param_hint="--county")
    if enterprise is not None:
        try:
            enterprise = validate_credit_code(enterprise)
        except CreditCodeError as error:
            raise typer.BadParameter(str(error), param_hint="--enterprise") from error
    if role is Role.ENTERPRISE and enterprise is None:
        raise typer.BadParameter(
            "an enterprise token must name its enterprise", param_hint="--enterprise"
        )
    try:
        secret = load_secret(data_dir)
    except SecretError as error:
        typer.echo(f"anjian token: {error}", err=True)
        raise typer.Exit(1) from error
    principal = Principal(
        subject=subject or f"local-{role.value}",
        tenant=tenant,
        role=role,
        county=county,
        enterprise=enterprise,
    )
    typer.echo(issue_token(secret, principal, ttl=timedelta(hours=hours)))


@app.command()
def demo(
    enterprises: Annotated[int, typer.Option(min=1, max=5000, help="How many enterprises.")] = 300,
    data_dir: Annotated[
        Path, typer.Option(help="Demo data, emptied at the start of every run.")
    ] = DEFAULT_DATA_DIR / "demo",
    minutes: Annotated[
        float, typer.Option(min=0.1, help="Real minutes for the simulated November.")
    ] = 2.0,
    seed: Annotated[int, typer.Option(help="Same seed, same month.")] = 2026,
    concurrency: Annotated[int, typer.Option(min=1, help="gRPC calls in flight at most.")] = 8,
    keep_running: Annotated[
        bool, typer.Option(help="Keep the stack running after the report, until Ctrl-C.")
    ] = False,
) -> None:
    """Play a simulated November in Kunming (530100) and check the summary against the database."""
    console = Console()
    options = DemoOptions(enterprises, data_dir, minutes, seed, concurrency)
    try:
        prepare_data_dir(data_dir)
    except DemoError as error:
        console.print(f"[bold red]{error}[/]", highlight=False)
        raise typer.Exit(2) from error
    started = time.monotonic()
    stack = demo_stack(options)

    def play() -> int:
        ready = time.monotonic() - started
        outcome = run_month(stack, options, console)
        console.print(
            f"took {time.monotonic() - started:.0f} s: stack ready in {ready:.0f} s, "
            f"month and check in {outcome.seconds:.0f} s",
            highlight=False,
        )
        code = 0 if outcome.ok else 1
        if keep_running:
            console.print(endpoint_table(stack))
            console.print(usage(stack))
            console.print("The simulated clock runs on: December passes as fast as November.")
            code = max(code, _serve(stack, console))
        return code

    raise typer.Exit(_run(stack, console, play))
