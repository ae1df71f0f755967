"""The gateway's side of the services' gRPC APIs: a channel to each, its stubs, the calls.

Every call carries the caller's own bearer token as `authorization` metadata (the
service verifies it and decides), the trace context (through the OpenTelemetry client
interceptors), and the configured deadline.
"""

from collections.abc import Awaitable, Callable
from typing import TypeVar

import grpc
from grpc.aio import ClientInterceptor
from grpc_health.v1 import health_pb2, health_pb2_grpc
from opentelemetry.instrumentation.grpc import aio_client_interceptors

from anjian.credit.v1 import credit_pb2_grpc
from anjian.hazard.v1 import hazard_pb2_grpc
from anjian_gateway.errors import Origin, refusal_of
from anjian_kernel.logs import get_logger

log = get_logger(__name__)
Reply = TypeVar("Reply")
Metadata = tuple[tuple[str, str], ...]
# A refusal's field violations travel in the `grpc-status-details-bin` trailer; a request
# with hundreds of bad items outgrows gRPC's default 8/16 KiB metadata limits, which would
# turn the service's INVALID_ARGUMENT into a RESOURCE_EXHAUSTED with no details.
_CHANNEL_OPTIONS = [
    ("grpc.max_metadata_size", 1 << 20),
    ("grpc.absolute_max_metadata_size", 1 << 20),
]


class Upstream:
    """A channel to one service; made when the app starts, closed when it stops.

    Made inside the running event loop, because a `grpc.aio` channel belongs to the loop
    that created it. It connects lazily and reconnects on its own.
    """

    def __init__(self, service: str, address: str, deadline_seconds: float) -> None:
        self.service = service
        self._deadline = deadline_seconds
        # opentelemetry-instrumentation-grpc leaves this factory unannotated.
        tracing: list[ClientInterceptor] = aio_client_interceptors()  # type: ignore[no-untyped-call]
        # Limitation: plaintext gRPC; in-cluster confidentiality rests on the network policy.
        self._channel = grpc.aio.insecure_channel(
            address, options=_CHANNEL_OPTIONS, interceptors=tracing
        )
        self._health = health_pb2_grpc.HealthStub(self._channel)

    async def close(self) -> None:
        """Close the channel, cancelling calls still in flight."""
        await self._channel.close()

    async def call(
        self,
        method: Callable[..., Awaitable[Reply]],
        request: object,
        metadata: Metadata,
        origin: Origin,
    ) -> Reply:
        """Make one call; a failure becomes the `Refusal` the client is answered with."""
        try:
            return await method(request, metadata=metadata, timeout=self._deadline)
        except grpc.aio.AioRpcError as error:
            refusal = refusal_of(error, origin, self.service)
            if refusal.status_code >= 500:
                # The caller did nothing wrong: operators need to hear of it.
                log.warning(
                    "upstream_failed",
                    service=self.service,
                    code=error.code().name,
                    status=refusal.status_code,
                    reason=error.details(),
                )
            raise refusal from error

    async def serving(self, services: list[str], deadline_seconds: float) -> bool:
        """Whether the service's gRPC health says SERVING for every one of `services`."""
        for service in services:
            try:
                # types-grpcio-health-checking declares no methods on `HealthStub`.
                reply: health_pb2.HealthCheckResponse = await self._health.Check(  # type: ignore[attr-defined]
                    health_pb2.HealthCheckRequest(service=service), timeout=deadline_seconds
                )
            except grpc.aio.AioRpcError:
                return False
            if reply.status != health_pb2.HealthCheckResponse.SERVING:
                return False
        return True


class HazardUpstream(Upstream):
    """The hazard service: hazards and self-inspection."""

    def __init__(self, address: str, deadline_seconds: float) -> None:
        super().__init__("hazard", address, deadline_seconds)
        self.hazards = hazard_pb2_grpc.HazardServiceStub(self._channel)
        self.self_inspection = hazard_pb2_grpc.SelfInspectionServiceStub(self._channel)


class CreditUpstream(Upstream):
    """The credit service: the officials' API and the public one."""

    def __init__(self, address: str, deadline_seconds: float) -> None:
        super().__init__("credit", address, deadline_seconds)
        self.credit = credit_pb2_grpc.CreditServiceStub(self._channel)
        self.public = credit_pb2_grpc.PublicCreditServiceStub(self._channel)
