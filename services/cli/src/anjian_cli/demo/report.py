"""The demo's closing report as rich tables."""

from collections import Counter

from rich.console import Console
from rich.table import Table

from anjian.events.v1.hazard_events_pb2 import HazardEvent
from anjian_cli.demo.driver import Activity
from anjian_cli.demo.events import kind_name
from anjian_cli.demo.plan import RETURN_MONTH, TENANT, MonthPlan
from anjian_cli.demo.summary import MonthSummary
from anjian_kernel.tenancy import counties, prefecture_name

STATES = {
    "REPORTED": "已登记 reported",
    "GRADED": "已定级 graded",
    "RECTIFYING": "整改中 rectifying",
    "AWAITING_REINSPECTION": "待复查 awaiting re-inspection",
    "AWAITING_ACCEPTANCE": "待验收 awaiting acceptance",
    "ACCEPTED": "已验收 accepted",
    "CLOSED": "已销号 closed",
    "DUPLICATE": "重复 duplicate",
}
GRADES = {"GENERAL": "一般 general", "MAJOR": "重大 major", "UNSPECIFIED": "未定级 not graded"}
OPEN_STATES = set(STATES) - {"CLOSED", "DUPLICATE"}


def print_report(
    console: Console, summary: MonthSummary, plan: MonthPlan, activity: Activity
) -> None:
    """Print the month: activity, states, counties, grades, the overdue list, events."""
    as_of = summary.as_of.strftime("%Y-%m-%d %H:%M")
    console.rule(f"November 2026 in {prefecture_name(TENANT)} ({TENANT}), as of {as_of} CST")
    console.print(_activity(plan, activity))
    console.print(_counts("Hazards by state", summary.by_state(), STATES))
    console.print(_counties(summary))
    grades = _counts("Hazards by grade", summary.by_grade(), GRADES)
    listed = sum(facts.listed for facts in summary.hazards.values())
    grades.caption = f"under listed supervision (挂牌督办): {listed}"
    console.print(grades)
    console.print(_overdue(summary))
    console.print(_events(summary))


def _activity(plan: MonthPlan, activity: Activity) -> Table:
    table = Table(title="Enterprises and self-inspection (一企一标准)", title_justify="left")
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("enterprises (valid credit codes)", str(len(plan.enterprises)))
    table.add_row("own checklists created", str(activity.checklists))
    table.add_row(f"monthly returns filed for {RETURN_MONTH}", str(activity.returns))
    table.add_row("hazards cited by those returns", str(activity.cited))
    table.add_row("hazards reported", str(activity.reported))
    table.add_row("duplicates the service flagged on report", str(activity.flagged_duplicates))
    table.add_row(
        "gRPC calls in the month (stale-etag retries)",
        f"{activity.month_calls} ({activity.retried})",
    )
    table.add_row("gRPC calls after it, for credit", str(activity.calls - activity.month_calls))
    return table


def _counts(title: str, counts: Counter[str], labels: dict[str, str]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("")
    table.add_column("hazards", justify="right")
    for key, label in labels.items():
        if counts[key]:
            table.add_row(label, str(counts[key]))
    table.add_row("total", str(counts.total()), style="bold")
    return table


def _counties(summary: MonthSummary) -> Table:
    names = counties(TENANT)
    table = Table(title="Hazards by county", title_justify="left")
    for column in ("county", "hazards", "major", "open", "closed", "overdue"):
        table.add_column(column, justify="left" if column == "county" else "right")
    for code, total in sorted(summary.by_county().items()):
        facts = [f for f in summary.hazards.values() if f.county == code]
        table.add_row(
            f"{names.get(code, code)} {code}",
            str(total),
            str(sum(f.grade == "MAJOR" for f in facts)),
            str(sum(f.state in OPEN_STATES for f in facts)),
            str(sum(f.state == "CLOSED" for f in facts)),
            str(sum(f.overdue for f in facts)),
        )
    return table


def _overdue(summary: MonthSummary) -> Table:
    names = counties(TENANT)
    table = Table(title="Overdue hazards (逾期未整改)", title_justify="left")
    for column in ("hazard", "title", "enterprise", "county", "deadline", "now"):
        table.add_column(column)
    for facts in summary.overdue():
        table.add_row(
            facts.name.rsplit("/", 1)[-1][:8],
            facts.title,
            facts.enterprise,
            names.get(facts.county, facts.county),
            str(facts.deadline),
            STATES[facts.state].split()[0],
        )
    return table


def _events(summary: MonthSummary) -> Table:
    table = Table(title="Events received by the consumer", title_justify="left")
    table.add_column("kind")
    table.add_column("events", justify="right")
    counts = summary.by_kind()
    for value in HazardEvent.Kind.values():
        name = kind_name(value)
        if counts[name]:
            table.add_row(name, str(counts[name]))
    table.add_row("total", str(counts.total()), style="bold")
    return table
