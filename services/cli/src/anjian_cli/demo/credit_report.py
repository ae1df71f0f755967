"""The credit part of the closing report: records, scores, the list, repair, the public view."""

from collections import Counter
from datetime import UTC

from google.type.date_pb2 import Date
from rich.console import Console
from rich.table import Table

from anjian.credit.v1 import credit_pb2
from anjian.events.v1.hazard_events_pb2 import HazardEvent
from anjian_cli.demo.credit import CreditOutcome, Standing
from anjian_cli.demo.credit_check import rules_given
from anjian_cli.demo.plan import TENANT, MonthPlan
from anjian_kernel.clock import china_date
from anjian_kernel.tenancy import counties

REASONS = {
    credit_pb2.LISTING_REASON_MULTIPLE_FINE: "按倍数罚款 multiple fine",
    credit_pb2.LISTING_REASON_CONCEALED_ACCIDENT: "瞒报事故 concealed accident",
}
SCORES_SHOWN = 10


def print_credit_report(console: Console, credit: CreditOutcome, plan: MonthPlan) -> None:
    """Print what the credit service made of the month, and the listing and repair stories."""
    names = {enterprise.credit_code: enterprise.name for enterprise in plan.enterprises}
    console.rule("Credit (信用) after the month")
    console.print(_records_by_rule(credit))
    console.print(_overdue_major(credit))
    console.print(_standings(credit))
    worst = credit.worst()
    if worst is not None:
        console.print(_explained(worst))
    console.print(_listings(credit, names))
    for line in _repair(credit, names) + _closer_inspection(credit):
        # Sentences, not tables: the terminal wraps them, so they stay whole when copied.
        console.print(line, highlight=False, soft_wrap=True)
    console.print(_public(credit))


def _records_by_rule(credit: CreditOutcome) -> Table:
    version = credit.rules[0].version if credit.rules else "?"
    table = Table(
        title=f"Credit records from the month's events (event rules {version})",
        title_justify="left",
    )
    for column in ("rule", "description", "points", "events", "records"):
        table.add_column(column, justify="left" if column in ("rule", "description") else "right")
    given = rules_given(credit)
    made = Counter(record.rule for records in credit.records.values() for record in records)
    for rule in credit.rules:
        if given[rule.rule] or made[rule.rule]:
            table.add_row(
                rule.rule,
                rule.description,
                f"{rule.points:+d}",
                str(given[rule.rule]),
                str(made[rule.rule]),
            )
    table.add_row("total", "", "", str(given.total()), str(made.total()), style="bold")
    table.caption = "events: of the month's hazard events, those the rule names; records: found"
    if credit.unrecorded:
        table.caption += f"; [red]{len(credit.unrecorded)} events still without a record[/]"
    return table


def _overdue_major(credit: CreditOutcome) -> Table:
    table = Table(
        title="Overdue major hazards (重大事故隐患逾期未整改) in the credit register",
        title_justify="left",
    )
    for column in ("hazard", "enterprise", "overdue on", "record", "points", "score"):
        table.add_column(column, justify="right" if column in ("points", "score") else "left")
    for standing in credit.standings:
        by_event = {record.event_id: record for record in standing.records}
        for event in standing.overdue_major:
            record = by_event.get(event.metadata.event_id)
            table.add_row(
                event.hazard.name.rsplit("/", 1)[-1][:8],
                standing.enterprise.name,
                _day(event),
                record.rule if record else "[red]none[/]",
                f"{record.points:+d}" if record else "",
                str(standing.score.score),
            )
    return table


def _standings(credit: CreditOutcome) -> Table:
    names = counties(TENANT)
    table = Table(
        title=f"Credit scores of enterprises with overdue hazards (worst {SCORES_SHOWN})",
        title_justify="left",
    )
    for column in ("enterprise", "county", "overdue major", "overdue", "records", "score"):
        table.add_column(column, justify="left" if column in ("enterprise", "county") else "right")
    for standing in credit.standings[:SCORES_SHOWN]:
        enterprise = standing.enterprise
        table.add_row(
            enterprise.name,
            names.get(enterprise.county, enterprise.county),
            str(len(standing.overdue_major)),
            str(len(standing.overdue)),
            str(len(standing.records)),
            str(standing.score.score),
        )
    table.caption = f"{len(credit.standings)} enterprises; the first is listed below"
    return table


def _explained(worst: Standing) -> Table:
    score = worst.score
    table = Table(
        title=(
            f"Score of {worst.enterprise.name} as of {_iso(score.as_of)}: {score.score} "
            f"(scoring {score.rule_version}, base {score.base})"
        ),
        title_justify="left",
    )
    table.add_column("points", justify="right")
    table.add_column("why")
    for item in score.items:
        table.add_row(f"{item.points:+d}", item.explanation)
    return table


def _listings(credit: CreditOutcome, names: dict[str, str]) -> Table:
    table = Table(title="Serious-dishonesty list (严重失信主体名单)", title_justify="left")
    for column in ("enterprise", "reason", "penalty decision", "from", "until", "repair from"):
        table.add_column(column)
    table.add_column("state")
    for listing in (credit.listing, credit.past_listing):
        if listing is None:
            continue
        table.add_row(
            names[listing.credit_code],
            REASONS.get(listing.reason, credit_pb2.ListingReason.Name(listing.reason)),
            f"{listing.penalty_document} {listing.deciding_department}",
            _iso(listing.start_date),
            _iso(listing.end_date),
            _iso(listing.repair_allowed_from),
            _state(listing),
        )
    table.caption = f"rules {credit.listing.rule_version}" if credit.listing else ""
    return table


def _repair(credit: CreditOutcome, names: dict[str, str]) -> list[str]:
    lines = []
    application, listing = credit.application, credit.past_listing
    if application is not None and listing is not None:
        review = credit_pb2.RepairApplication.State.Name(application.state).removeprefix("STATE_")
        lines.append(
            f"Credit repair (信用修复): {names[listing.credit_code]}, listed from "
            f"{_iso(listing.start_date)} and allowed to apply from "
            f"{_iso(listing.repair_allowed_from)}, applied; the bureau's review: {review} "
            f"({application.review_reason}); the listing is now {_state(listing)}"
        )
    if credit.early_refusal is not None:
        lines.append(
            "Credit repair applied for on the listing's first day: refused as expected "
            f"(FAILED_PRECONDITION: {credit.early_refusal})"
        )
    return lines


def _closer_inspection(credit: CreditOutcome) -> list[str]:
    hazard = credit.flagged
    if hazard is None:
        return []
    heard = (
        f"the hazard service heard `credit.listed` (waited {credit.heard_after:.1f} s)"
        if credit.heard_after is not None
        else "[red]the hazard service had not heard of the listing[/]"
    )
    flagged = "yes" if hazard.closer_inspection else "[red]no[/]"
    return [
        f"Effect of the listing: {heard}; the next hazard reported for "
        f"{hazard.enterprise_name} ({hazard.name.rsplit('/', 1)[-1][:8]}, {hazard.title}) "
        f"is flagged for closer inspection: {flagged}"
    ]


def _public(credit: CreditOutcome) -> Table:
    table = Table(title="Public credit query (信用查询), by name", title_justify="left")
    for column in ("enterprise", "credit code", "listed", "listings", "public records"):
        table.add_column(column)
    for found in credit.public:
        listings = ", ".join(
            f"{_iso(listing.start_date)} {_state(listing)}" for listing in found.listings
        )
        records = "; ".join(
            f"{record.source_document} {record.points:+d}" for record in found.public_records
        )
        table.add_row(
            found.display_name,
            found.credit_code,
            "yes" if found.listed else "no",
            listings,
            records,
        )
    return table


def _day(event: HazardEvent) -> str:
    """The day (China Standard Time) of an event."""
    return china_date(event.metadata.occur_time.ToDatetime(tzinfo=UTC)).isoformat()


def _iso(day: Date) -> str:
    return f"{day.year:04d}-{day.month:02d}-{day.day:02d}"


def _state(listing: credit_pb2.Listing) -> str:
    return credit_pb2.ListingState.Name(listing.state).removeprefix("LISTING_STATE_")
