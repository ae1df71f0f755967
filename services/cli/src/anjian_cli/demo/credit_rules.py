"""Which of the month's hazard events the credit service should turn into credit records.

The demo does not know the rules itself: it reads the event-rule table the credit service
serves (`ListCreditRules`) and applies it as the table says, to the events as the credit
service sees them: the first row whose subject and field-path equalities an event meets
gives the event's record.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from google.protobuf.json_format import MessageToDict

from anjian.credit.v1 import credit_pb2
from anjian.events.v1.hazard_events_pb2 import HazardEvent
from anjian_cli.demo.events import kind_name

EVENT_TABLE = "event"
DOMAIN = "hazard"


@dataclass(frozen=True)
class EventRule:
    """A row of the event-rule table: an event that leads to a credit record, and its points."""

    rule: str
    version: str
    description: str
    subject: str
    when: dict[str, Any]
    points: int

    def matches(self, subject: str, event: dict[str, Any]) -> bool:
        """Whether an event (as a dict) on `subject` (`domain.event`) meets this row."""
        return self.subject == subject and all(
            field_at(event, path) == value for path, value in self.when.items()
        )


@dataclass(frozen=True)
class ExpectedRecord:
    """A month's event and the rule that should turn it into a credit record."""

    event: HazardEvent
    rule: EventRule

    @property
    def credit_code(self) -> str:
        """The enterprise the record is about."""
        return self.event.hazard.enterprise_credit_code


def event_rules(reply: credit_pb2.ListCreditRulesResponse) -> list[EventRule]:
    """The rows of the newest event-rule table, in the order the service tries them."""
    # Limitation: ListCreditRules does not say from when a table is in force, so the demo
    # applies the newest version; the check confirms that the records carry that version.
    rows = [rule for rule in reply.rules if rule.table == EVENT_TABLE]
    newest = max((rule.version for rule in rows), default="")
    rules = []
    for row in rows:
        if row.version != newest:
            continue
        definition = json.loads(row.definition)
        rules.append(
            EventRule(
                rule=row.rule,
                version=row.version,
                description=row.description,
                subject=definition["subject"],
                when=definition["when"],
                points=int(definition["points"]),
            )
        )
    return rules


def field_at(data: dict[str, Any], path: str) -> Any:
    """The value at a dotted path of a nested dict, or None where the path ends early."""
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def expected_records(
    events: Iterable[HazardEvent], rules: list[EventRule]
) -> dict[str, ExpectedRecord]:
    """The record each event should lead to, by event id; events no rule names are left out."""
    expected = {}
    for event in events:
        subject = f"{DOMAIN}.{kind_name(event.kind)}"
        # The credit service matches on this very form: field names as in the proto, enums
        # by name, fields at their default value absent.
        data = MessageToDict(event, preserving_proto_field_name=True)
        rule = next((rule for rule in rules if rule.matches(subject, data)), None)
        if rule is not None:
            expected[event.metadata.event_id] = ExpectedRecord(event, rule)
    return expected
