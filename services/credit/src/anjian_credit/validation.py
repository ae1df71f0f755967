"""Field rules of the credit API. Each rule names the field and the reason it failed."""

from datetime import date

from google.type.date_pb2 import Date

from anjian_kernel.errors import Violations
from anjian_kernel.messages import from_date
from anjian_kernel.tenancy import prefecture_of_county

INDUSTRIES = frozenset(
    {"industry-trade", "chemicals", "mines", "construction", "transport", "fireworks", "other"}
)
SIZES = frozenset({"large", "medium", "small", "micro"})
TEXT_LIMITS = {
    "display_name": 200,
    "principal": 100,
    "source": 200,
    "description": 2000,
    "source_document": 200,
    "evidence": 500,
    "penalty_document": 200,
    "deciding_department": 200,
    "facts_id": 200,
    "statement": 4000,
    "reason": 2000,
    "scope": 200,
    "decision_document": 200,
    "request_id": 100,
    "rule": 80,
}


def check_text(violations: Violations, field: str, value: str, *, required: bool) -> None:
    """Required-ness and length of a text field (the limit comes from its last path part)."""
    limit = TEXT_LIMITS[field.rsplit(".", 1)[-1].split("[", 1)[0]]
    if required and not value.strip():
        violations.add(field, "required")
    elif len(value) > limit:
        violations.add(field, f"at most {limit} characters, got {len(value)}")


def check_county(violations: Violations, field: str, county: str, tenant: str) -> None:
    """A county code of the tenant's prefecture."""
    if not county:
        violations.add(field, "required")
    elif prefecture_of_county(county) is None:
        violations.add(field, "not a Yunnan county code under GB/T 2260")
    elif prefecture_of_county(county) != tenant:
        violations.add(field, f"not a county of prefecture {tenant}")


def check_day(
    violations: Violations,
    field: str,
    message: Date,
    *,
    today: date,
    required: bool = True,
    past_only: bool = True,
) -> date | None:
    """A calendar date from the request, not after today (China Standard Time) if asked."""
    if message.year == 0 and message.month == 0 and message.day == 0:
        if required:
            violations.add(field, "required")
        return None
    try:
        day = from_date(message)
    except ValueError:
        violations.add(field, "not a calendar date")
        return None
    if past_only and day > today:
        violations.add(field, f"{day} is in the future (today is {today}, CST)")
        return None
    return day
