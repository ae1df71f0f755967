"""The services' gRPC statuses as HTTP responses a browser or script can act on.

Bad input (INVALID_ARGUMENT) becomes a 422 in exactly the shape of FastAPI's own
validation errors, each field violation located in the HTTP request (path, query or
body) rather than in the gRPC request the gateway built. Every other refusal becomes
`{"detail": <the service's message>, "status": <gRPC code name>}` with the HTTP status
a client expects; the service's message never names another tenant's data.

FastAPI's own 422s are rebuilt without the `input` and `ctx` it would echo: a reply (and
any log of it) must not carry what the caller sent, which may be personal data, may be
megabytes long, or may not be encodable at all (a lone surrogate in a JSON string).
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import grpc
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

HTTP_STATUS: Mapping[grpc.StatusCode, int] = {
    grpc.StatusCode.INVALID_ARGUMENT: 422,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 503,
    # The gateway gave up on the call (the client went away or the app is stopping).
    grpc.StatusCode.CANCELLED: 503,
}
# INTERNAL, UNKNOWN and DATA_LOSS: the service failed, not the gateway and not the caller.
UPSTREAM_FAILURE = 502
# These come from the gRPC transport, not the service; their text names internal addresses.
_TRANSPORT_MESSAGES = {
    grpc.StatusCode.UNAVAILABLE: "the {service} service is unavailable; try again shortly",
    grpc.StatusCode.DEADLINE_EXCEEDED: "the {service} service did not answer in time",
    grpc.StatusCode.CANCELLED: "the call to the {service} service was cancelled",
}

DetailT = TypeVar("DetailT", error_details_pb2.BadRequest, error_details_pb2.PreconditionFailure)
_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


@dataclass(frozen=True)
class Origin:
    """Where a gRPC request's fields came from in the HTTP request, to locate violations.

    `path` maps a top-level request field to the path parameter it was built from
    (`name` → `hazard_id`); every other field came from `default` (`body` or `query`),
    under its own name unless `renamed` gives the HTTP one (`query` → `q`).
    """

    default: str
    path: Mapping[str, str] = field(default_factory=dict)
    renamed: Mapping[str, str] = field(default_factory=dict)

    def locate(self, field_path: str) -> list[str | int]:
        """The FastAPI-style `loc` of a violation's field path, e.g. `items[0].code`."""
        parts: list[str | int] = [
            name or int(index) for name, index in _PATH_PART.findall(field_path)
        ]
        if parts and parts[0] in self.path:
            # A resource name was composed from path parameters; the id is what was bad.
            return ["path", self.path[str(parts[0])]]
        if parts and parts[0] in self.renamed:
            return [self.default, self.renamed[str(parts[0])], *parts[1:]]
        return [self.default, *parts]


class Refusal(Exception):
    """An HTTP error response the gateway answers instead of a resource."""

    def __init__(
        self, status_code: int, body: dict[str, Any], headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(body.get("detail"))
        self.status_code = status_code
        self.body = body
        self.headers = dict(headers or {})


def unauthenticated(message: str) -> Refusal:
    """A 401 that tells the client to send a bearer token."""
    return Refusal(
        401,
        {"detail": message, "status": grpc.StatusCode.UNAUTHENTICATED.name},
        {"WWW-Authenticate": "Bearer"},
    )


def refusal_of(error: grpc.aio.AioRpcError, origin: Origin, service: str) -> Refusal:
    """The HTTP response for a failed gRPC call to `service` (`hazard`, `credit`)."""
    code = error.code()
    transport = _TRANSPORT_MESSAGES.get(code)
    message = transport.format(service=service) if transport else error.details() or code.name
    status = _rich_status(error)
    if code is grpc.StatusCode.INVALID_ARGUMENT:
        return Refusal(422, {"detail": _field_errors(status, message, origin)})
    if code is grpc.StatusCode.UNAUTHENTICATED:
        return unauthenticated(message)

    body: dict[str, Any] = {"detail": message, "status": code.name}
    precondition = _detail(status, error_details_pb2.PreconditionFailure)
    if precondition is not None:
        body["violations"] = [
            {"type": v.type, "subject": v.subject, "description": v.description}
            for v in precondition.violations
        ]
    return Refusal(HTTP_STATUS.get(code, UPSTREAM_FAILURE), body)


async def refusal_response(_: Request, refusal: Exception) -> JSONResponse:
    """The app's handler for `Refusal`."""
    assert isinstance(refusal, Refusal)
    return JSONResponse(refusal.body, status_code=refusal.status_code, headers=refusal.headers)


async def validation_response(_: Request, error: Exception) -> JSONResponse:
    """The app's handler for FastAPI's `RequestValidationError`: where and what, never values."""
    assert isinstance(error, RequestValidationError)
    detail = [
        {
            "loc": [part if isinstance(part, int) else _printable(str(part)) for part in e["loc"]],
            "msg": _printable(str(e["msg"])),
            "type": str(e["type"]),
        }
        for e in error.errors()
    ]
    return JSONResponse({"detail": detail}, status_code=422)


def _printable(text: str, limit: int = 200) -> str:
    """`text` bounded and safe to encode: lone surrogates become `\\udXXX` escapes."""
    return text[:limit].encode("utf-8", "backslashreplace").decode("utf-8")


def _rich_status(error: grpc.aio.AioRpcError) -> status_pb2.Status | None:
    """The `google.rpc.Status` in the trailers, or None when the service sent none."""
    try:
        # types-grpcio-status types `from_call` for a sync `grpc.Call`; it reads only the
        # code, details and trailers, which an `AioRpcError` has too.
        return rpc_status.from_call(error)  # type: ignore[arg-type]
    except ValueError:
        # The trailer disagrees with the call's own code or message: trust the call.
        return None


def _detail(status: status_pb2.Status | None, kind: type[DetailT]) -> DetailT | None:
    """The first detail of `kind` in `status`, if any."""
    for packed in status.details if status is not None else ():
        if packed.Is(kind.DESCRIPTOR):
            detail = kind()
            packed.Unpack(detail)
            return detail
    return None


def _field_errors(
    status: status_pb2.Status | None, message: str, origin: Origin
) -> list[dict[str, Any]]:
    """FastAPI's 422 `detail` list built from the service's field violations."""
    bad_request = _detail(status, error_details_pb2.BadRequest)
    if bad_request is None or not bad_request.field_violations:
        return [{"loc": [origin.default], "msg": message, "type": "value_error"}]
    return [
        {"loc": origin.locate(v.field), "msg": v.description, "type": "value_error"}
        for v in bad_request.field_violations
    ]
