"""Telling a retry from a request id reused for a different request.

Each create call that takes a request id stores a fingerprint of the request beside it
(anjian_kernel.identifiers.request_fingerprint). A retry carries the same fingerprint and
gets the first result back; a different request under the same id is refused, so the
caller never mistakes the first request's result for its own.
"""

from anjian_kernel.errors import FieldViolation, InvalidArgument

REUSED = "was already used for a different request; use a new request id"


def reused_request_id() -> InvalidArgument:
    """The refusal of a request id already used for a different request."""
    return InvalidArgument([FieldViolation("request_id", REUSED)])


def check_replay(stored: str | None, fingerprint: str) -> None:
    """Refuse the replay unless the stored fingerprint is this request's.

    Rows written before fingerprints were kept have none: they are taken for a retry,
    since nothing tells them apart.
    """
    if stored is not None and stored != fingerprint:
        raise reused_request_id()
