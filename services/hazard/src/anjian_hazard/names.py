"""Resource names of the hazard API and their checks against the caller's tenant."""

import uuid

from anjian_kernel.auth import Principal
from anjian_kernel.errors import FieldViolation, InvalidArgument, NotFound


def hazard_name(tenant: str, hazard_id: uuid.UUID) -> str:
    """`prefectures/{tenant}/hazards/{id}`."""
    return f"prefectures/{tenant}/hazards/{hazard_id}"


def parse_resource(principal: Principal, name: str, collection: str, field: str) -> uuid.UUID:
    """The id in `prefectures/{tenant}/{collection}/{id}`.

    A well-formed name in another prefecture is NOT_FOUND, the same answer as for
    an id that does not exist, so no caller learns what another tenant holds.
    """
    parts = name.split("/")
    if len(parts) != 4 or parts[0] != "prefectures" or parts[2] != collection:
        raise InvalidArgument(
            [FieldViolation(field, f"must look like prefectures/530100/{collection}/<id>")]
        )
    try:
        resource_id = uuid.UUID(parts[3])
    except ValueError as error:
        raise InvalidArgument([FieldViolation(field, "the id is not a UUID")]) from error
    if parts[1] != principal.tenant:
        raise NotFound(f"{collection[:-1]} not found")
    return resource_id
