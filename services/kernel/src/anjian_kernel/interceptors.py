"""The server's call wrapper: verify the caller, bind logging context, map errors to statuses.

Health and reflection answer without a token; every other method needs one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

import grpc
import structlog
from google.protobuf.message import Message
from google.rpc import code_pb2, status_pb2
from grpc_status import rpc_status

from anjian_kernel.auth import MAX_TOKEN_LIFETIME, TokenVerifier, bearer_token, bind_principal
from anjian_kernel.errors import (
    InvalidArgument,
    PermissionDenied,
    ServiceError,
    unprintable_character_violations,
)
from anjian_kernel.logs import get_logger
from anjian_kernel.messages import trim_strings
from anjian_kernel.telemetry import current_trace_id

log = get_logger(__name__)

# What a servicer method gets as `context`: generic in the type stubs only.
if TYPE_CHECKING:
    Handler = grpc.RpcMethodHandler[Any, Any]
    ServicerContext = grpc.aio.ServicerContext[Any, Any]
else:
    ServicerContext = grpc.aio.ServicerContext

_OPEN_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")


class KernelInterceptor(grpc.aio.ServerInterceptor):
    """Authenticates every call and turns exceptions into `google.rpc.Status` replies."""

    def __init__(
        self,
        token_secret: str,
        tenants: Collection[str],
        max_token_lifetime: timedelta = MAX_TOKEN_LIFETIME,
    ) -> None:
        self._tokens = TokenVerifier(token_secret, max_token_lifetime)
        self._tenants = frozenset(tenants)

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        """Wrap the method's handler unless it is health or reflection; refuse the rest."""
        handler = await continuation(details)
        method: str = details.method
        if handler is None or method.startswith(_OPEN_PREFIXES):
            return handler
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                self._unary(method, handler.unary_unary),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                self._streaming(
                    method, cast(Callable[..., AsyncIterator[Any]], handler.unary_stream)
                ),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        # Limitation: client-streaming methods are not wrapped, so they are refused
        # (UNIMPLEMENTED) rather than served without a verified caller.
        return None

    def _admit(self, request: Any, context: ServicerContext, method: str) -> None:
        """Before any handler: authenticate, refuse what no database stores, trim the strings.

        Refused before trimmed, since str.strip takes some control characters for spaces.
        """
        self._authenticate(context, method)
        if isinstance(request, Message):
            unprintable = unprintable_character_violations(request)
            if unprintable:
                raise InvalidArgument(unprintable)
            trim_strings(request)

    def _authenticate(self, context: ServicerContext, method: str) -> None:
        principal = self._tokens.verify(bearer_token(context.invocation_metadata()))
        if principal.tenant not in self._tenants:
            # A valid token of another deployment's prefecture: nothing of it is kept here.
            raise PermissionDenied(f"this deployment does not serve prefecture {principal.tenant}")
        bind_principal(principal)
        structlog.contextvars.bind_contextvars(tenant=principal.tenant, method=method)

    def _unary(self, method: str, inner: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
        async def call(request: Any, context: ServicerContext) -> Any:
            try:
                self._admit(request, context, method)
                return await inner(request, context)
            except Exception as error:
                await _abort(context, method, error)

        return call

    def _streaming(
        self, method: str, inner: Callable[..., AsyncIterator[Any]]
    ) -> Callable[..., Any]:
        async def call(request: Any, context: ServicerContext) -> AsyncIterator[Any]:
            try:
                self._admit(request, context, method)
                async for reply in inner(request, context):
                    yield reply
            except Exception as error:
                await _abort(context, method, error)

        return call


async def _abort(context: ServicerContext, method: str, error: Exception) -> None:
    if isinstance(error, grpc.aio.AbortError):
        raise error
    if isinstance(error, ServiceError):
        log.info(
            "call_refused", method=method, code=code_pb2.Code.Name(error.code), reason=error.message
        )
        status = error.to_status()
    else:
        log.error("call_failed", method=method, exc_info=error)
        status = status_pb2.Status(
            code=code_pb2.INTERNAL,
            message=f"internal error; quote trace id {current_trace_id() or 'n/a'} to support",
        )
    await context.abort_with_status(rpc_status.to_status(status))
