"""The credit part of the demo's check: the credit tables against what the month should give.

Read in one REPEATABLE READ snapshot of the tenant's database: the credit records that
came from events, the hazard service's committed events, and the listings. Records are
compared with the month's events only (those of the hazard snapshot): events committed
since, in simulated December, may have records of their own by now.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import date

import asyncpg

from anjian.credit.v1 import credit_pb2
from anjian_cli.demo.credit import CreditOutcome

# Listing states as `credit.listings` stores them.
ACTIVE = credit_pb2.ListingState.Name(credit_pb2.LISTING_STATE_ACTIVE).removeprefix(
    "LISTING_STATE_"
)
REPAIRED = credit_pb2.ListingState.Name(credit_pb2.LISTING_STATE_REPAIRED).removeprefix(
    "LISTING_STATE_"
)


@dataclass(frozen=True)
class StoredListing:
    """A row of `credit.listings`."""

    credit_code: str
    state: str
    start_date: date


@dataclass(frozen=True)
class CreditSnapshot:
    """The credit tables at one instant, with the hazard events committed by then."""

    record_rules: dict[str, tuple[str, str]]
    """Rule and rule version of each record that came from an event, by event id."""
    hazard_event_ids: set[str]
    listings: dict[str, StoredListing]
    """By listing id."""


async def read_credit_database(dsn: str) -> CreditSnapshot:
    """Event-sourced records, hazard event ids and listings in one snapshot."""
    connection = await asyncpg.connect(dsn)
    try:
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            records = await connection.fetch(
                "SELECT event_id, rule, rule_version FROM credit.credit_records"
                " WHERE event_id IS NOT NULL"
            )
            event_ids = await connection.fetch("SELECT event_id FROM hazard.outbox")
            listings = await connection.fetch(
                "SELECT id, credit_code, state, start_date FROM credit.listings"
            )
    finally:
        await connection.close()
    return CreditSnapshot(
        record_rules={str(row["event_id"]): (row["rule"], row["rule_version"]) for row in records},
        hazard_event_ids={str(row["event_id"]) for row in event_ids},
        listings={
            str(row["id"]): StoredListing(row["credit_code"], row["state"], row["start_date"])
            for row in listings
        },
    )


def rules_given(outcome: CreditOutcome) -> Counter[str]:
    """How many of the month's events each event rule turns into a record."""
    return Counter(expected.rule.rule for expected in outcome.expected.values())


def verify_credit(
    outcome: CreditOutcome, snapshot: CreditSnapshot, month_event_ids: set[str]
) -> list[str]:
    """Every way the credit tables disagree with the month's events and the credit steps."""
    problems: list[str] = []
    month = {i: rule for i, rule in snapshot.record_rules.items() if i in month_event_ids}
    stored = Counter(rule for rule, _ in month.values())
    if stored != rules_given(outcome):
        problems.append(
            f"credit records of the month's events by rule: the rules give "
            f"{dict(rules_given(outcome))}, credit.credit_records holds {dict(stored)}"
        )
    astray = [
        event_id
        for event_id, expected in outcome.expected.items()
        if month.get(event_id, ("", ""))[0] != expected.rule.rule
    ]
    if astray:
        problems.append(f"{len(astray)} events have no record under the rule that names them")
    unnamed = month.keys() - outcome.expected.keys()
    if unnamed:
        problems.append(f"{len(unnamed)} events have a record although no rule names them")
    versions = {version for _, version in month.values()} - {r.version for r in outcome.rules}
    if versions:
        problems.append(f"records under event-rule versions the demo did not apply: {versions}")
    misnamed = [
        record.name
        for records in outcome.records.values()
        for record in records
        if record.source_document != outcome.expected[record.event_id].event.hazard.name
    ]
    if misnamed:
        problems.append(f"{len(misnamed)} records do not name their hazard as source document")
    orphans = snapshot.record_rules.keys() - snapshot.hazard_event_ids
    if orphans:
        problems.append(
            f"{len(orphans)} credit records name an event the hazard service never made"
        )

    problems += _verify_listings(outcome, snapshot)
    return problems


def _verify_listings(outcome: CreditOutcome, snapshot: CreditSnapshot) -> list[str]:
    """The listing and the repair as stored, and the effects the demo saw."""
    problems = []
    wanted = [(outcome.listing, ACTIVE), (outcome.past_listing, REPAIRED)]
    for listing, state in wanted:
        if listing is None:
            continue
        row = snapshot.listings.get(listing.name.rsplit("/", 1)[-1])
        start = date(listing.start_date.year, listing.start_date.month, listing.start_date.day)
        if row != StoredListing(listing.credit_code, state, start):
            problems.append(
                f"{listing.name}: expected {listing.credit_code} {state} from {start} in "
                f"credit.listings, found {row}"
            )
    if outcome.listing is not None:
        if outcome.early_refusal is None:
            problems.append("the newly listed enterprise's repair application was not refused")
        if outcome.flagged is not None and not outcome.flagged.closer_inspection:
            problems.append(
                f"{outcome.flagged.name}: the listed enterprise's new hazard is not flagged "
                "for closer inspection"
            )
    return problems
