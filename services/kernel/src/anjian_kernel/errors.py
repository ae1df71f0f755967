"""Errors a service raises for callers' mistakes, and their `google.rpc.Status` form.

A handler raises one of these; the server's error interceptor turns it into a
gRPC status with details (field violations for bad input), so callers can act
on it. Anything else becomes INTERNAL with a trace id and no internals.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from google.protobuf import any_pb2
from google.protobuf.message import Message
from google.rpc import code_pb2, error_details_pb2, status_pb2


@dataclass(frozen=True)
class FieldViolation:
    """One bad field: its path in the request (e.g. `hazard.county_code`) and why."""

    field: str
    description: str


class ServiceError(Exception):
    """A failure to report to the caller with a gRPC status code."""

    code: int = code_pb2.UNKNOWN

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def details(self) -> list[any_pb2.Any]:
        """Detail messages for the status; none by default."""
        return []

    def to_status(self) -> status_pb2.Status:
        """The `google.rpc.Status` for this error."""
        return status_pb2.Status(code=self.code, message=self.message, details=self.details())


MAX_REPORTED_VIOLATIONS = 20
"""Status details travel in gRPC trailers, whose default limit is 8 KiB: report this many."""


class InvalidArgument(ServiceError):
    """Bad input: one or more fields fail their rules."""

    code = code_pb2.INVALID_ARGUMENT

    def __init__(self, violations: Iterable[FieldViolation]) -> None:
        found = list(violations)
        self.violations = found[:MAX_REPORTED_VIOLATIONS]
        summary = "; ".join(f"{v.field}: {v.description}" for v in self.violations[:5])
        if len(found) > 5:
            summary += f"; and {len(found) - 5} more"
        super().__init__(f"invalid request: {summary}")

    def details(self) -> list[any_pb2.Any]:
        """A `google.rpc.BadRequest` listing the violations (the first 20 of them)."""
        bad_request = error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(
                    field=v.field, description=v.description
                )
                for v in self.violations
            ]
        )
        packed = any_pb2.Any()
        packed.Pack(bad_request)
        return [packed]


class NotFound(ServiceError):
    """No such resource for this caller (also said when it exists in another tenant)."""

    code = code_pb2.NOT_FOUND


class FailedPrecondition(ServiceError):
    """The resource is not in a state that allows the step."""

    code = code_pb2.FAILED_PRECONDITION

    def __init__(self, message: str, *, subject: str = "", kind: str = "STATE") -> None:
        super().__init__(message)
        self.subject = subject
        self.kind = kind

    def details(self) -> list[any_pb2.Any]:
        """A `google.rpc.PreconditionFailure` naming what failed."""
        failure = error_details_pb2.PreconditionFailure(
            violations=[
                error_details_pb2.PreconditionFailure.Violation(
                    type=self.kind, subject=self.subject, description=self.message
                )
            ]
        )
        packed = any_pb2.Any()
        packed.Pack(failure)
        return [packed]


class Aborted(ServiceError):
    """A concurrency conflict: the caller's version is stale. Re-read and retry."""

    code = code_pb2.ABORTED


class AlreadyExists(ServiceError):
    """A resource with the same identity exists."""

    code = code_pb2.ALREADY_EXISTS


class PermissionDenied(ServiceError):
    """The caller is known but may not do this."""

    code = code_pb2.PERMISSION_DENIED


class Unauthenticated(ServiceError):
    """The call carries no valid token."""

    code = code_pb2.UNAUTHENTICATED


class Violations:
    """Collects field violations so one error reports every bad field at once."""

    def __init__(self) -> None:
        self._items: list[FieldViolation] = []

    def add(self, field: str, description: str) -> None:
        """Record that `field` is bad because of `description`."""
        self._items.append(FieldViolation(field, description))

    def check(self, ok: bool, field: str, description: str) -> bool:
        """Record a violation unless `ok`; returns `ok`."""
        if not ok:
            self.add(field, description)
        return ok

    def __bool__(self) -> bool:
        return bool(self._items)

    def raise_if_any(self) -> None:
        """Raise InvalidArgument if anything was recorded."""
        if self._items:
            raise InvalidArgument(self._items)


_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
"""Control characters (tab, newline and carriage return allowed) and bidirectional overrides:
no record needs them, NUL breaks PostgreSQL, and the rest can disguise text in reports."""


def is_unprintable(text: str) -> bool:
    """Whether `text` holds a control character (but tab and line breaks) or a bidi override."""
    return _UNPRINTABLE.search(text) is not None


def unprintable_character_violations(message: Message, prefix: str = "") -> list[FieldViolation]:
    """Every string field of a request that holds a control character or a bidi override."""
    found: list[FieldViolation] = []
    for field, value in message.ListFields():
        path = f"{prefix}{field.name}"
        values = list(value) if field.is_repeated else [value]
        if field.type == field.TYPE_STRING:
            reason = "contains a control character"
            found += [FieldViolation(path, reason) for text in values if is_unprintable(text)]
        elif field.message_type is not None and not field.message_type.GetOptions().map_entry:
            for index, item in enumerate(values):
                suffix = f"[{index}]" if field.is_repeated else ""
                found += unprintable_character_violations(item, f"{path}{suffix}.")
    return found
