"""AIP-158 pagination: page sizes and opaque page tokens bound to the query that made them.

A token is bound to the caller's scope too (tenant, role, county, enterprise): the same
filters list other rows for another scope, so a token carried across is refused.
"""

import base64
import hashlib
import json
from dataclasses import dataclass

from anjian_kernel.auth import current_principal
from anjian_kernel.errors import FieldViolation, InvalidArgument

MAX_OFFSET = 10_000_000
"""No listing pages this far; a larger offset is a forged token."""


@dataclass(frozen=True)
class Page:
    """Where a page starts and how long it is."""

    size: int
    offset: int


def page_of(page_size: int, page_token: str, query: object, *, default: int, maximum: int) -> Page:
    """Resolve a request's page size and token; a token of another query or scope is refused."""
    if page_size < 0:
        raise InvalidArgument([FieldViolation("page_size", "must not be negative")])
    size = min(page_size or default, maximum)
    if not page_token:
        return Page(size, 0)
    try:
        decoded = json.loads(base64.urlsafe_b64decode(page_token.encode()))
    except (ValueError, RecursionError) as error:
        raise InvalidArgument(
            [FieldViolation("page_token", "not a token this API issued")]
        ) from error
    offset = decoded.get("o") if isinstance(decoded, dict) else None
    fingerprint = decoded.get("q") if isinstance(decoded, dict) else None
    if type(offset) is not int or not isinstance(fingerprint, str):
        raise InvalidArgument([FieldViolation("page_token", "not a token this API issued")])
    if fingerprint != _fingerprint(query) or not 0 <= offset <= MAX_OFFSET:
        raise InvalidArgument(
            [FieldViolation("page_token", "belongs to another query or another caller's scope")]
        )
    return Page(size, offset)


def next_token(page: Page, returned: int, total: int, query: object) -> str:
    """The token for the page after this one, or empty when this was the last."""
    following = page.offset + returned
    if returned < page.size or following >= total:
        return ""
    payload = json.dumps({"o": following, "q": _fingerprint(query)}).encode()
    return base64.urlsafe_b64encode(payload).decode()


def _fingerprint(query: object) -> str:
    """A digest of the query and of the scope of the caller who runs it."""
    caller = current_principal()
    scope = (caller.tenant, caller.role.value, caller.county, caller.enterprise)
    return hashlib.sha256(repr((scope, query)).encode()).hexdigest()[:16]
