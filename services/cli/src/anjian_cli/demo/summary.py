"""The month in numbers, built from the events the consumer received, checked against the database.

The summary's source is the event stream (each event carries the hazard as it stood after
the change); the check reads PostgreSQL directly. Both are taken at one consistent point:
the database is read in one REPEATABLE READ snapshot that also lists the ids of every
event committed so far, and the summary uses exactly those events.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import asyncpg

from anjian.events.v1.hazard_events_pb2 import HazardEvent
from anjian.hazard.v1 import hazard_pb2
from anjian_cli.demo.driver import Activity
from anjian_cli.demo.events import EventConsumer, kind_name
from anjian_cli.demo.plan import RETURN_MONTH, TENANT

REPORTED = kind_name(HazardEvent.KIND_REPORTED)
OVERDUE = kind_name(HazardEvent.KIND_OVERDUE)
MOST_PROBLEMS_SHOWN = 20


@dataclass(frozen=True)
class HazardFacts:
    """What the summary says about one hazard; events and rows must agree on all of it."""

    name: str
    title: str
    enterprise: str
    county: str
    state: str
    grade: str
    overdue: bool
    deadline: date | None
    listed: bool
    version: int


def facts_of_event(hazard: hazard_pb2.Hazard) -> HazardFacts:
    """The facts in an event's snapshot of a hazard."""
    deadline = None
    if hazard.HasField("rectification"):
        given = hazard.rectification.deadline
        deadline = date(given.year, given.month, given.day)
    return HazardFacts(
        name=hazard.name,
        title=hazard.title,
        enterprise=hazard.enterprise_name,
        county=hazard.county_code,
        state=hazard_pb2.HazardState.Name(hazard.state).removeprefix("HAZARD_STATE_"),
        grade=hazard_pb2.HazardGrade.Name(hazard.grade).removeprefix("HAZARD_GRADE_"),
        overdue=hazard.overdue,
        deadline=deadline,
        listed=hazard.HasField("listed_supervision"),
        version=hazard.version,
    )


@dataclass(frozen=True)
class DatabaseSnapshot:
    """The tenant's hazard tables at one instant."""

    hazards: dict[str, HazardFacts]
    event_ids: set[str]
    checklists: int
    returns: int
    cited: int


async def read_database(dsn: str) -> DatabaseSnapshot:
    """Read hazards, committed event ids and self-inspection counts in one snapshot."""
    connection = await asyncpg.connect(dsn)
    try:
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            rows = await connection.fetch(
                "SELECT id, title, enterprise_name, county_code, state, grade, overdue,"
                " deadline, listed_at IS NOT NULL AS listed, version FROM hazard.hazards"
            )
            event_ids = await connection.fetch("SELECT event_id FROM hazard.outbox")
            checklists = await connection.fetchval(
                "SELECT count(DISTINCT enterprise_credit_code) FROM hazard.checklists"
            )
            returns = await connection.fetchrow(
                "SELECT count(*) AS filed,"
                " coalesce(sum(jsonb_array_length(hazards)), 0) AS cited"
                " FROM hazard.self_inspection_returns WHERE month = $1",
                RETURN_MONTH,
            )
    finally:
        await connection.close()
    assert returns is not None  # an aggregate without GROUP BY always yields one row
    hazards = {}
    for row in rows:
        name = f"prefectures/{TENANT}/hazards/{row['id']}"
        hazards[name] = HazardFacts(
            name=name,
            title=row["title"],
            enterprise=row["enterprise_name"],
            county=row["county_code"],
            state=row["state"],
            grade=row["grade"],
            overdue=row["overdue"],
            deadline=row["deadline"],
            listed=row["listed"],
            version=row["version"],
        )
    return DatabaseSnapshot(
        hazards=hazards,
        event_ids={str(row["event_id"]) for row in event_ids},
        checklists=checklists,
        returns=returns["filed"],
        cited=returns["cited"],
    )


@dataclass
class MonthSummary:
    """The month as the event stream tells it."""

    hazards: dict[str, HazardFacts]
    events: list[HazardEvent]
    as_of: datetime

    @classmethod
    def from_events(cls, events: Iterable[HazardEvent], as_of: datetime) -> "MonthSummary":
        """Each hazard as its latest event shows it."""
        chosen = list(events)
        latest: dict[str, HazardEvent] = {}
        for event in chosen:
            known = latest.get(event.hazard.name)
            if known is None or event.metadata.resource_version > known.metadata.resource_version:
                latest[event.hazard.name] = event
        hazards = {name: facts_of_event(event.hazard) for name, event in latest.items()}
        return cls(hazards, chosen, as_of)

    def by_state(self) -> Counter[str]:
        """Hazards by state."""
        return Counter(facts.state for facts in self.hazards.values())

    def by_county(self) -> Counter[str]:
        """Hazards by county code."""
        return Counter(facts.county for facts in self.hazards.values())

    def by_grade(self) -> Counter[str]:
        """Hazards by grade (UNSPECIFIED: not graded yet)."""
        return Counter(facts.grade for facts in self.hazards.values())

    def by_kind(self) -> Counter[str]:
        """Events by kind."""
        return Counter(kind_name(event.kind) for event in self.events)

    def overdue(self) -> list[HazardFacts]:
        """Overdue hazards, earliest deadline first."""
        found = [facts for facts in self.hazards.values() if facts.overdue]
        return sorted(found, key=lambda facts: (facts.deadline or date.max, facts.name))

    def per_hazard(self, kind: str) -> Counter[str]:
        """How many events of `kind` each hazard has."""
        return Counter(event.hazard.name for event in self.events if kind_name(event.kind) == kind)


def verify(
    summary: MonthSummary,
    snapshot: DatabaseSnapshot,
    consumer: EventConsumer,
    activity: Activity,
) -> list[str]:
    """Every way the summary, the events and the driver's own count disagree with the database."""
    problems: list[str] = []
    missing = consumer.missing(snapshot.event_ids)
    if missing:
        problems.append(f"the consumer never received {len(missing)} committed events")

    database = snapshot.hazards
    only_events = summary.hazards.keys() - database.keys()
    only_database = database.keys() - summary.hazards.keys()
    if only_events:
        problems.append(f"{len(only_events)} hazards are in the events but not the database")
    if only_database:
        problems.append(f"{len(only_database)} hazards are in the database but in no event")
    for name in sorted(summary.hazards.keys() & database.keys()):
        if summary.hazards[name] != database[name]:
            problems.append(
                f"{name}: events say {summary.hazards[name]}, database {database[name]}"
            )

    rows = database.values()
    counts = {
        "state": (summary.by_state(), Counter(row.state for row in rows)),
        "county": (summary.by_county(), Counter(row.county for row in rows)),
        "grade": (summary.by_grade(), Counter(row.grade for row in rows)),
    }
    for what, (printed, stored) in counts.items():
        if printed != stored:
            problems.append(f"counts by {what} differ: summary {printed}, database {stored}")

    reported = summary.per_hazard(REPORTED)
    overdue = summary.per_hazard(OVERDUE)
    for name, row in database.items():
        if reported[name] != 1:
            problems.append(f"{name}: {reported[name]} `reported` events, expected exactly 1")
        if overdue[name] != int(row.overdue):
            problems.append(f"{name}: {overdue[name]} `overdue` events, overdue={row.overdue}")

    driver_counts = {
        "hazards reported": (activity.reported, len(database)),
        "checklists created": (activity.checklists, snapshot.checklists),
        f"returns filed for {RETURN_MONTH}": (activity.returns, snapshot.returns),
        "hazards cited by returns": (activity.cited, snapshot.cited),
    }
    for what, (done, held) in driver_counts.items():
        if done != held:
            problems.append(f"{what}: the driver counted {done}, the database holds {held}")
    return problems[:MOST_PROBLEMS_SHOWN] + (
        [f"... and {len(problems) - MOST_PROBLEMS_SHOWN} more"]
        if len(problems) > MOST_PROBLEMS_SHOWN
        else []
    )
