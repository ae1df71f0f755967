"""The part of every resource name that names the tenant: `prefectures/{prefecture}`."""

from anjian_kernel.auth import Principal
from anjian_kernel.errors import FieldViolation, InvalidArgument, PermissionDenied


def parent_name(tenant: str) -> str:
    """`prefectures/{tenant}`."""
    return f"prefectures/{tenant}"


def check_parent(principal: Principal, parent: str, field: str = "parent") -> None:
    """Refuse a parent that is not the caller's own prefecture."""
    if not parent:
        raise InvalidArgument([FieldViolation(field, "required, e.g. prefectures/530100")])
    if parent != parent_name(principal.tenant):
        raise PermissionDenied(
            f"{field} must be {parent_name(principal.tenant)}, the tenant of your token"
        )
