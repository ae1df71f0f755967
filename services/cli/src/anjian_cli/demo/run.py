"""`anjian demo` from start to finish: a fresh stack, the month, credit, the report, the check."""

import asyncio
import contextlib
import os
import shutil
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import grpc
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from anjian_cli.demo.credit import CreditOutcome, CreditPhase
from anjian_cli.demo.credit_check import (
    ACTIVE,
    REPAIRED,
    read_credit_database,
    rules_given,
    verify_credit,
)
from anjian_cli.demo.credit_report import print_credit_report
from anjian_cli.demo.driver import Activity, Driver
from anjian_cli.demo.events import EventConsumer
from anjian_cli.demo.plan import (
    MONTH_END,
    MONTH_START,
    TENANT,
    MonthPlan,
    criteria_by_kind,
    plan_month,
)
from anjian_cli.demo.report import print_report
from anjian_cli.demo.simtime import DemoClock
from anjian_cli.demo.summary import MonthSummary, read_database, verify
from anjian_cli.listing import fetch_standards, reference_data, reference_table
from anjian_cli.stack import SimulatedTime, Stack, StackOptions

MARKER = ".anjian-demo"
# Real seconds the services get to start before simulated November begins.
# Limitation: the services read their clock once at launch, so a start slower than this
# lead runs November's first steps in a burst (the demo warns when it happens).
STARTUP_LEAD = 20.0
LATE_START_WARNING = timedelta(hours=1)
# Overdue detection runs this often in simulated time (but at most five times a second).
SCAN_EVERY = timedelta(hours=4)
SHORTEST_SCAN_INTERVAL = 0.2
CATCH_UP_TIMEOUT = 60.0
FAILURES_SHOWN = 10


class DemoError(RuntimeError):
    """The demo cannot run as asked; the message says why."""


@dataclass(frozen=True)
class DemoOptions:
    """What `anjian demo` was asked to do."""

    enterprises: int
    data_dir: Path
    minutes: float
    seed: int
    concurrency: int


@dataclass
class Outcome:
    """What the month produced and whether it checked out."""

    summary: MonthSummary
    credit: CreditOutcome
    activity: Activity
    problems: list[str]
    seconds: float
    """Real seconds from the first call to the end of the check."""
    credit_seconds: float
    """Of those, real seconds of the credit steps after the month and their check."""

    @property
    def ok(self) -> bool:
        """Whether every call went through and the summary matches the database."""
        return not self.problems and not self.activity.failures


def prepare_data_dir(path: Path) -> None:
    """Empty the demo's data directory for a fresh run, refusing one that is not the demo's."""
    if path.exists():
        if any(path.iterdir()) and not (path / MARKER).exists():
            raise DemoError(f"{path} holds something other than demo data; choose another path")
        pid_file = path / "postgres" / "postmaster.pid"
        if pid_file.exists() and _alive(int(pid_file.read_text().split()[0])):
            raise DemoError(f"a demo stack still runs from {path}; stop it first")
        shutil.rmtree(path)
    path.mkdir(parents=True)
    (path / MARKER).write_text("anjian demo data: `anjian demo` empties this directory each run\n")


def _alive(pid: int) -> bool:
    """Whether a process with this id exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clock_rate(minutes: float) -> float:
    """Simulated seconds per real second for the month to pass in `minutes` minutes."""
    return (MONTH_END - MONTH_START).total_seconds() / (minutes * 60)


def scan_interval(rate: float) -> float:
    """Real seconds between overdue scans."""
    return max(SHORTEST_SCAN_INTERVAL, SCAN_EVERY.total_seconds() / rate)


def demo_stack(options: DemoOptions) -> Stack:
    """The stack for a demo: Kunming only, throwaway PostgreSQL, simulated November."""
    rate = clock_rate(options.minutes)
    return Stack(
        StackOptions(
            data_dir=options.data_dir,
            tenants=[TENANT],
            fast=True,
            simulated_time=SimulatedTime(MONTH_START, rate, STARTUP_LEAD),
            overdue_scan_interval=scan_interval(rate),
        )
    )


def run_month(stack: Stack, options: DemoOptions, console: Console) -> Outcome:
    """Plan the month on the served criteria, play it, report it and check it."""
    standards = fetch_standards(stack)
    console.print(reference_table(reference_data(stack, standards)))
    plan = plan_month(options.seed, options.enterprises, criteria_by_kind(standards))
    console.print(
        f"Planned {len(plan.enterprises)} enterprises and {len(plan.cases)} hazard cases; "
        f"November passes in about {options.minutes:g} minutes."
    )
    outcome = asyncio.run(_play(stack, plan, options, console))
    print_report(console, outcome.summary, plan, outcome.activity)
    print_credit_report(console, outcome.credit, plan)
    _print_failures(console, outcome.activity)
    if outcome.problems:
        console.print("[bold red]the summary does not match the database:[/]")
        for problem in outcome.problems:
            console.print(f"  - {problem}")
    else:
        hazards = len(outcome.summary.hazards)
        events = len(outcome.summary.events)
        overdue = len(outcome.summary.overdue())
        console.print(
            f"[bold green]summary matches the database[/]: {hazards} hazards, {events} events "
            f"(exactly one `reported` per hazard, one `overdue` for each of the {overdue} "
            "overdue hazards)"
        )
        console.print(_credit_matches(outcome.credit, plan), highlight=False, soft_wrap=True)
    console.print(f"credit steps after the month and their check: {outcome.credit_seconds:.0f} s")
    return outcome


def _credit_matches(credit: CreditOutcome, plan: MonthPlan) -> str:
    """The line saying what of the credit tables the check confirmed."""
    given = rules_given(credit)
    per_rule = ", ".join(f"{rule} {count}" for rule, count in sorted(given.items()))
    names = {enterprise.credit_code: enterprise.name for enterprise in plan.enterprises}
    states = [
        f"{names[listing.credit_code]} {state}"
        for listing, state in ((credit.listing, ACTIVE), (credit.past_listing, REPAIRED))
        if listing is not None
    ]
    return (
        f"[bold green]credit matches the database[/]: {given.total()} credit records with an "
        f"event source, one for each of the month's events the event rules turn into a record "
        f"({per_rule}); in credit.listings: {', '.join(states) or 'no listing'}"
    )


async def _play(stack: Stack, plan: MonthPlan, options: DemoOptions, console: Console) -> Outcome:
    """Drive the month while a consumer counts events, snapshot and verify; then credit."""
    assert stack.clock_anchor is not None
    clock = DemoClock(MONTH_START, stack.clock_anchor, clock_rate(options.minutes))
    late = clock.now() - MONTH_START
    if late > LATE_START_WARNING:
        console.print(
            f"[yellow]The services needed more than {STARTUP_LEAD:g} s to start: November "
            f"was {late.total_seconds() / 3600:.0f} simulated hours old at the first call, so "
            "the steps planned before then run at once.[/]"
        )
    consumer = EventConsumer(stack.nats.url, TENANT)
    stop = asyncio.Event()
    consuming = asyncio.create_task(consumer.run(stop))
    started = time.monotonic()
    async with (
        grpc.aio.insecure_channel(stack.hazard_address) as channel,
        grpc.aio.insecure_channel(stack.credit_address) as credit_channel,
    ):
        driver = Driver(
            channel,
            clock,
            stack.secret,
            plan,
            concurrency=options.concurrency,
            seed=options.seed,
        )
        with _progress(console) as progress:
            month = progress.add_task("", total=(MONTH_END - MONTH_START).total_seconds())
            calls = progress.add_task("", total=None)
            ticking = asyncio.create_task(_tick(progress, month, calls, clock, driver, consumer))
            await driver.run()
            # Past midnight on the last day, detection gets two scans to find the last overdue.
            after_month = timedelta(seconds=2 * scan_interval(clock.rate) * clock.rate)
            await clock.until(MONTH_END + after_month)
            ticking.cancel()
            driver.activity.month_calls = driver.activity.calls
            _update(progress, month, calls, clock, driver, consumer)

        as_of = clock.now()
        dsn = stack.tenant_dsn(TENANT)
        snapshot = await read_database(dsn)
        # The relay publishes after commit: give the consumer time to see every committed event.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(CATCH_UP_TIMEOUT):
                await consumer.wait_for(snapshot.event_ids)
        stop.set()
        await consuming
        summary = MonthSummary.from_events(consumer.among(snapshot.event_ids), as_of)
        problems = verify(summary, snapshot, consumer, driver.activity)

        credit_started = time.monotonic()
        with console.status("after the month: credit records, a listing, a repair…"):
            credit = await CreditPhase(driver, credit_channel, dsn).run(summary)
            tables = await read_credit_database(dsn)
    problems += verify_credit(credit, tables, snapshot.event_ids)
    finished = time.monotonic()
    return Outcome(
        summary,
        credit,
        driver.activity,
        problems,
        finished - started,
        finished - credit_started,
    )


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
    )


async def _tick(
    progress: Progress,
    month: TaskID,
    calls: TaskID,
    clock: DemoClock,
    driver: Driver,
    consumer: EventConsumer,
) -> None:
    while True:
        _update(progress, month, calls, clock, driver, consumer)
        await asyncio.sleep(0.25)


def _update(
    progress: Progress,
    month: TaskID,
    calls: TaskID,
    clock: DemoClock,
    driver: Driver,
    consumer: EventConsumer,
) -> None:
    now = clock.now()
    elapsed = min(
        max((now - MONTH_START).total_seconds(), 0), (MONTH_END - MONTH_START).total_seconds()
    )
    progress.update(month, completed=elapsed, description=f"simulated {now:%Y-%m-%d %a %H:%M}")
    activity = driver.activity
    progress.update(
        calls,
        description=(
            f"{activity.calls} calls in the month · {activity.reported} hazards · "
            f"{len(consumer.events)} events · {len(activity.failures)} failures"
        ),
    )


def _print_failures(console: Console, activity: Activity) -> None:
    if not activity.failures:
        return
    table = Table(title=f"{len(activity.failures)} calls failed", title_justify="left")
    for column in ("step", "subject", "code", "details"):
        table.add_column(column)
    for failure in activity.failures[:FAILURES_SHOWN]:
        table.add_row(failure.step, failure.subject, failure.code, failure.details)
    console.print(table)
