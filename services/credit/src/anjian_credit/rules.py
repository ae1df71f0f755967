"""The credit rule tables: versioned data files in `rules/`, loaded once at start.

- `event-rules-<version>.json`: which event of another service leads to which record.
- `direct-entry-rules-<version>.json`: records officials enter (penalties, findings, praise).
- `scoring-<version>.json`: base score, bounds, and how long each category counts.
- `listing-rules.json`: term, repair period and allowed reasons per listing rule version.

A new rule or version is a new file or row, not a code change.
"""

import calendar
import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from anjian.credit.v1 import credit_pb2

RULES = Path(__file__).parent / "rules"


@dataclass(frozen=True)
class RecordRule:
    """A row of an event or direct-entry table: what record a fact leads to."""

    table: str
    version: str
    rule: str
    kind: str
    category: str
    points: int
    public: bool
    description: str
    definition: dict[str, Any]

    def matches(self, subject: str, event: dict[str, Any]) -> bool:
        """Whether an event (as a dict) on `subject` (`domain.event`) meets this row."""
        if self.definition.get("subject") != subject:
            return False
        return all(
            field_at(event, path) == value for path, value in self.definition["when"].items()
        )


@dataclass(frozen=True)
class RecordTable:
    """One version of the event or direct-entry table."""

    table: str
    version: str
    in_force_from: date
    rules: tuple[RecordRule, ...]


@dataclass(frozen=True)
class Scoring:
    """One version of the scoring rules."""

    version: str
    in_force_from: date
    base: int
    minimum: int
    maximum: int
    default_months: int
    months: dict[str, int]
    description: str

    def months_for(self, category: str) -> int:
        """How many months a record of `category` counts."""
        return self.months.get(category, self.default_months)


@dataclass(frozen=True)
class ListingTerms:
    """One version of the listing rules."""

    version: str
    basis: str
    in_force_from: date
    term_months: int
    repair_after_months: int
    reasons: frozenset[int]
    definition: dict[str, Any]

    def end_date(self, start: date) -> date:
        """The last day on the list: start plus the term, less one day."""
        return date.fromordinal(add_months(start, self.term_months).toordinal() - 1)

    def repair_allowed_from(self, start: date) -> date:
        """The first day a repair application is allowed."""
        return add_months(start, self.repair_after_months)


Versioned = TypeVar("Versioned", RecordTable, Scoring, ListingTerms)


@dataclass(frozen=True)
class RuleBook:
    """Every version of every table shipped."""

    event_tables: tuple[RecordTable, ...]
    direct_tables: tuple[RecordTable, ...]
    scorings: tuple[Scoring, ...]
    listing_terms: tuple[ListingTerms, ...]

    def event_table(self, day: date) -> RecordTable | None:
        """The event table in force on `day`."""
        return in_force(self.event_tables, day)

    def direct_table(self, day: date) -> RecordTable | None:
        """The direct-entry table in force on `day`."""
        return in_force(self.direct_tables, day)

    def scoring(self, day: date) -> Scoring:
        """The scoring version in force on `day` (the oldest one before any)."""
        found = in_force(self.scorings, day)
        return found or min(self.scorings, key=lambda s: s.in_force_from)

    def listing(self, version: str) -> ListingTerms | None:
        """The listing rules of a version."""
        return next((terms for terms in self.listing_terms if terms.version == version), None)

    def listing_in_force(self, day: date) -> ListingTerms | None:
        """The listing rules in force on `day`."""
        return in_force(self.listing_terms, day)


def in_force(versions: tuple[Versioned, ...], day: date) -> Versioned | None:
    """The latest version in force on `day`, or None before the first."""
    candidates = [version for version in versions if version.in_force_from <= day]
    return max(candidates, key=lambda version: version.in_force_from, default=None)


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has no such day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def field_at(data: dict[str, Any], path: str) -> Any:
    """The value at a dotted path of a nested dict, or None where the path ends early."""
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _record_table(path: Path) -> RecordTable:
    data = json.loads(path.read_text(encoding="utf-8"))
    rules = tuple(
        RecordRule(
            table=data["table"],
            version=data["version"],
            rule=row["rule"],
            kind=row["kind"],
            category=row["category"],
            points=int(row["points"]),
            public=bool(row["public"]),
            description=row["description"],
            definition=row,
        )
        for row in data["rules"]
    )
    return RecordTable(
        data["table"], data["version"], date.fromisoformat(data["in_force_from"]), rules
    )


def _scoring(path: Path) -> Scoring:
    data = json.loads(path.read_text(encoding="utf-8"))
    return Scoring(
        version=data["version"],
        in_force_from=date.fromisoformat(data["in_force_from"]),
        base=int(data["base"]),
        minimum=int(data["minimum"]),
        maximum=int(data["maximum"]),
        default_months=int(data["default_months"]),
        months={category: int(months) for category, months in data["months"].items()},
        description=data["description"],
    )


def _listing_terms(row: dict[str, Any]) -> ListingTerms:
    return ListingTerms(
        version=row["version"],
        basis=row["basis"],
        in_force_from=date.fromisoformat(row["in_force_from"]),
        term_months=int(row["term_months"]),
        repair_after_months=int(row["repair_after_months"]),
        reasons=frozenset(credit_pb2.ListingReason.Value(name) for name in row["reasons"]),
        definition=row,
    )


@cache
def load_rules(folder: Path = RULES) -> RuleBook:
    """Read every rule file in `folder` (ValueError on a malformed one, at start-up)."""
    listing = json.loads((folder / "listing-rules.json").read_text(encoding="utf-8"))
    book = RuleBook(
        event_tables=tuple(_record_table(p) for p in sorted(folder.glob("event-rules-*.json"))),
        direct_tables=tuple(
            _record_table(p) for p in sorted(folder.glob("direct-entry-rules-*.json"))
        ),
        scorings=tuple(_scoring(p) for p in sorted(folder.glob("scoring-*.json"))),
        listing_terms=tuple(_listing_terms(row) for row in listing["versions"]),
    )
    if not (book.event_tables and book.direct_tables and book.scorings and book.listing_terms):
        raise ValueError(f"rule tables missing in {folder}")
    return book


def to_proto(book: RuleBook) -> list[credit_pb2.CreditRule]:
    """Every rule of every version, for ListCreditRules."""
    rules: list[credit_pb2.CreditRule] = []
    for table in (*book.event_tables, *book.direct_tables):
        rules.extend(
            credit_pb2.CreditRule(
                table=table.table,
                rule=rule.rule,
                version=table.version,
                description=rule.description,
                definition=json.dumps(rule.definition, ensure_ascii=False),
            )
            for rule in table.rules
        )
    for scoring in book.scorings:
        rules.append(
            credit_pb2.CreditRule(
                table="scoring",
                rule=f"scoring-{scoring.version}",
                version=scoring.version,
                description=scoring.description,
                definition=json.dumps(
                    {
                        "in_force_from": scoring.in_force_from.isoformat(),
                        "base": scoring.base,
                        "minimum": scoring.minimum,
                        "maximum": scoring.maximum,
                        "default_months": scoring.default_months,
                        "months": scoring.months,
                    },
                    ensure_ascii=False,
                ),
            )
        )
    rules.extend(
        credit_pb2.CreditRule(
            table="listing",
            rule=f"listing-{terms.version}",
            version=terms.version,
            description=terms.basis,
            definition=json.dumps(terms.definition, ensure_ascii=False),
        )
        for terms in book.listing_terms
    )
    return rules
