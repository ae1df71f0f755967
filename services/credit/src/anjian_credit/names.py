"""Resource names of the credit API and their checks against the caller's tenant.

A well-formed name in another prefecture is NOT_FOUND, the same answer as for a
resource that does not exist, so no caller learns what another tenant holds.
"""

import uuid

from anjian_kernel.auth import Principal
from anjian_kernel.errors import FieldViolation, InvalidArgument, NotFound
from anjian_kernel.identifiers import normalise_credit_code


def enterprise_name(tenant: str, credit_code: str) -> str:
    """`prefectures/{tenant}/enterprises/{credit_code}`."""
    return f"prefectures/{tenant}/enterprises/{credit_code}"


def record_name(tenant: str, credit_code: str, record_id: uuid.UUID) -> str:
    """`prefectures/{tenant}/enterprises/{credit_code}/creditRecords/{id}`."""
    return f"{enterprise_name(tenant, credit_code)}/creditRecords/{record_id}"


def listing_name(tenant: str, listing_id: uuid.UUID) -> str:
    """`prefectures/{tenant}/listings/{id}`."""
    return f"prefectures/{tenant}/listings/{listing_id}"


def application_name(tenant: str, listing_id: uuid.UUID, application_id: uuid.UUID) -> str:
    """`prefectures/{tenant}/listings/{listing}/repairApplications/{id}`."""
    return f"{listing_name(tenant, listing_id)}/repairApplications/{application_id}"


def ban_name(tenant: str, ban_id: uuid.UUID) -> str:
    """`prefectures/{tenant}/bans/{id}`."""
    return f"prefectures/{tenant}/bans/{ban_id}"


def _invalid(field: str, shape: str) -> InvalidArgument:
    return InvalidArgument([FieldViolation(field, f"must look like {shape}")])


def _uuid(field: str, value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as error:
        raise InvalidArgument([FieldViolation(field, "the id is not a UUID")]) from error


def parse_enterprise(principal: Principal, name: str, field: str) -> str:
    """The normalised credit code in `prefectures/{tenant}/enterprises/{code}`."""
    parts = name.split("/")
    if len(parts) != 4 or parts[0] != "prefectures" or parts[2] != "enterprises" or not parts[3]:
        raise _invalid(field, "prefectures/530100/enterprises/<credit code>")
    if parts[1] != principal.tenant:
        raise NotFound("enterprise not found")
    return normalise_credit_code(parts[3])


def parse_listing(principal: Principal, name: str, field: str) -> uuid.UUID:
    """The id in `prefectures/{tenant}/listings/{id}`."""
    parts = name.split("/")
    if len(parts) != 4 or parts[0] != "prefectures" or parts[2] != "listings":
        raise _invalid(field, "prefectures/530100/listings/<id>")
    listing_id = _uuid(field, parts[3])
    if parts[1] != principal.tenant:
        raise NotFound("listing not found")
    return listing_id


def parse_application(principal: Principal, name: str, field: str) -> tuple[uuid.UUID, uuid.UUID]:
    """The listing id and application id in a repair application's name."""
    parts = name.split("/")
    if (
        len(parts) != 6
        or parts[0] != "prefectures"
        or parts[2] != "listings"
        or parts[4] != "repairApplications"
    ):
        raise _invalid(field, "prefectures/530100/listings/<id>/repairApplications/<id>")
    listing_id, application_id = _uuid(field, parts[3]), _uuid(field, parts[5])
    if parts[1] != principal.tenant:
        raise NotFound("repair application not found")
    return listing_id, application_id
