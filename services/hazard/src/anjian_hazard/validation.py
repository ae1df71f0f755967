"""Field rules of the hazard API. Each rule names the field and the reason it failed."""

from datetime import UTC, datetime, timedelta

from anjian.hazard.v1 import hazard_pb2
from anjian_kernel.errors import Violations
from anjian_kernel.identifiers import CreditCodeError, validate_credit_code
from anjian_kernel.tenancy import prefecture_of_county

INDUSTRIES = frozenset(
    {"industry-trade", "chemicals", "mines", "construction", "transport", "fireworks", "other"}
)
TEXT_LIMITS = {
    "title": 200,
    "description": 4000,
    "location": 500,
    "enterprise_name": 200,
    "reason": 2000,
    "measures": 4000,
    "responsible_person": 100,
    "report": 4000,
    "notes": 2000,
    "authority": 200,
    "document_number": 100,
    "request_id": 100,
}
CLOCK_SKEW = timedelta(minutes=5)
MAX_REPORT_DELAY = timedelta(days=366)
MAX_DEADLINE_AHEAD = timedelta(days=366)
"""Rectification is ordered within a year; a later date is a typing error."""


def check_text(violations: Violations, field: str, value: str, *, required: bool) -> None:
    """Required-ness and length of a text field (the limit comes from its last path part)."""
    limit = TEXT_LIMITS[field.rsplit(".", 1)[-1]]
    if required and not value.strip():
        violations.add(field, "required")
    elif len(value) > limit:
        violations.add(field, f"at most {limit} characters, got {len(value)}")


def check_credit_code(violations: Violations, field: str, value: str) -> str:
    """The normalised credit code, or a violation naming why it fails GB 32100."""
    try:
        return validate_credit_code(value)
    except CreditCodeError as error:
        violations.add(field, f"not a valid unified social credit code: {error}")
        return value


def check_report(
    request: hazard_pb2.ReportHazardRequest, tenant: str, now: datetime
) -> tuple[Violations, str]:
    """Violations of a report request, and the normalised credit code."""
    violations = Violations()
    hazard = request.hazard
    code = check_credit_code(
        violations, "hazard.enterprise_credit_code", hazard.enterprise_credit_code
    )
    check_text(violations, "hazard.enterprise_name", hazard.enterprise_name, required=True)
    check_text(violations, "hazard.title", hazard.title, required=True)
    check_text(violations, "hazard.description", hazard.description, required=True)
    check_text(violations, "hazard.location", hazard.location, required=True)
    check_text(violations, "request_id", request.request_id, required=False)
    if not hazard.county_code:
        violations.add("hazard.county_code", "required")
    elif prefecture_of_county(hazard.county_code) is None:
        violations.add("hazard.county_code", "not a Yunnan county code under GB/T 2260")
    elif prefecture_of_county(hazard.county_code) != tenant:
        violations.add("hazard.county_code", f"not a county of prefecture {tenant}")
    if hazard.industry not in INDUSTRIES:
        violations.add("hazard.industry", f"must be one of {', '.join(sorted(INDUSTRIES))}")
    if hazard.HasField("find_time"):
        check_find_time(violations, hazard, now)
    return violations, code


def check_find_time(violations: Violations, hazard: hazard_pb2.Hazard, now: datetime) -> None:
    """When a hazard was found: not in the future, and not so long ago it is a new finding."""
    try:
        found = hazard.find_time.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError):
        violations.add("hazard.find_time", "not a representable time")
        return
    if found > now + CLOCK_SKEW:
        violations.add("hazard.find_time", "is in the future")
    elif found < now - MAX_REPORT_DELAY:
        violations.add("hazard.find_time", "more than a year ago; report it as a new finding")
