"""Start-up and shutdown of one service process: gRPC server, health, reflection, background work.

Health tells the truth: NOT_SERVING until the bus and every tenant database are
reachable and migrated, whenever either goes away, and from the moment a
shutdown begins. On SIGTERM the host stops taking calls, lets calls in flight
finish within the grace period, stops background work, drains the bus and
closes the pools.
"""

import asyncio
import functools
import signal
import sys
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any, TypeVar

import grpc
import uvloop
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from grpc_reflection.v1alpha import reflection
from opentelemetry import trace
from opentelemetry.instrumentation.grpc import aio_server_interceptor
from pydantic import ValidationError
from tenacity import AsyncRetrying, retry_if_exception_type, wait_exponential

from anjian_kernel import periodic, workdays
from anjian_kernel.bus import Bus
from anjian_kernel.database import TenantDatabases
from anjian_kernel.interceptors import KernelInterceptor
from anjian_kernel.logs import get_logger, setup_logging
from anjian_kernel.outbox import OutboxRelay, purge_published
from anjian_kernel.settings import KernelSettings
from anjian_kernel.tables import KernelTables
from anjian_kernel.telemetry import setup_telemetry

log = get_logger(__name__)

TenantJobs = Callable[[str], list[Coroutine[Any, Any, None]]]
"""A service's own work for one tenant; the host adds the outbox relay and its purge."""
"""Builds the service's long-running tasks once the bus and databases are ready."""


def run(main: Coroutine[Any, Any, None]) -> None:
    """Run a service process's main coroutine on the platform's event loop, uvloop.

    uvloop's transports and scheduling are written in C, which takes a few per cent off
    the CPU a call costs (asyncpg and nats write through them); grpc.aio runs on it as is.
    """
    uvloop.run(main)


Settings = TypeVar("Settings", bound=KernelSettings)


def serve_process(
    service: str, settings_type: type[Settings], build: Callable[[Settings], "ServiceHost"]
) -> None:
    """The whole life of a service process (`anjian-<service>`), until SIGTERM.

    A missing or invalid setting ends it with status 2 and a line naming the variable.
    """
    try:
        settings = settings_type()
    except ValidationError as error:
        for problem in error.errors():
            # The variable, then where inside its value (a JSON setting's keys), if anywhere.
            field, *inside = (str(part) for part in problem["loc"])
            where = f"ANJIAN_{field.upper()}"
            if inside:
                where += ": " + ".".join(inside)
            print(f"anjian-{service}: {where}: {problem['msg']}", file=sys.stderr)
        sys.exit(2)
    setup_logging(settings.log_level, settings.log_format, service)
    setup_telemetry(settings, f"anjian-{service}")

    async def serve() -> None:
        # Built inside the running loop: gRPC binds its server to the loop it is made in.
        await build(settings).run_until_signalled()

    run(serve())


HEALTH_PREFIX = f"/{health_pb2.DESCRIPTOR.services_by_name['Health'].full_name}/"


def traced(call: grpc.HandlerCallDetails) -> bool:
    """Whether a call gets a server span: all but health checks.

    Probes are noise, and the tracing wrapper expects every streaming handler to be an
    async generator, which Health/Watch is not. OpenTelemetry's `filters.health_check()`
    says the same, but finds the method through isinstance checks against typing
    protocols that cost a third as much again as the span it decides on.
    """
    return not call.method.startswith(HEALTH_PREFIX)


class ServiceHost:
    """Runs one gRPC service with the kernel's start-up, health and shutdown behaviour."""

    def __init__(
        self,
        settings: KernelSettings,
        *,
        name: str,
        service_names: list[str],
        register: Callable[[grpc.aio.Server], None],
        databases: TenantDatabases,
        tables: KernelTables,
        bus: Bus,
        tenant_jobs: TenantJobs,
    ) -> None:
        self._settings = settings
        workdays.use_calendar(settings.holiday_calendar)
        self._name = name
        self._service_names = service_names
        self.databases = databases
        self._tables = tables
        self.bus = bus
        self._tenant_jobs = tenant_jobs
        self._tasks: list[asyncio.Task[None]] = []
        self._draining = False
        self.health = HealthServicer()
        tracing: grpc.aio.ServerInterceptor = aio_server_interceptor(filter_=traced)  # type: ignore[no-untyped-call]
        self.server = grpc.aio.server(
            interceptors=[
                tracing,
                KernelInterceptor(
                    settings.token_secret.get_secret_value(),
                    settings.tenants,
                    timedelta(hours=settings.token_max_lifetime_hours),
                ),
            ]
        )
        register(self.server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        reflection.enable_server_reflection(
            [
                *service_names,
                health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
                reflection.SERVICE_NAME,
            ],
            self.server,
        )
        self.port = self.server.add_insecure_port(f"{settings.grpc_host}:{settings.grpc_port}")

    async def start(self) -> None:
        """Serve (NOT_SERVING at first), then connect, migrate, and start background work.

        Each tenant gets its outbox relay and the service's own jobs.
        """
        await self._set_health(serving=False)
        await self.server.start()
        log.info("grpc_listening", service=self._name, port=self.port)

        await self._retry("nats_connect", self.bus.connect)
        for tenant in self._settings.tenants:
            await self._retry("tenant_prepare", functools.partial(self._prepare, tenant))
        for tenant in self._settings.tenants:
            self._tasks.extend(asyncio.create_task(job) for job in self._jobs(tenant))
        self._tasks.append(asyncio.create_task(self._watch_health()))
        log.info("service_started", service=self._name, tenants=self._settings.tenants)

    def _jobs(self, tenant: str) -> list[Coroutine[Any, Any, None]]:
        """The tenant's background work: the outbox relay and its purge, and the service's."""
        settings = self._settings
        relay = OutboxRelay(tenant, self.databases, self._tables, self.bus, settings)
        purge = periodic.every(
            settings.outbox_purge_interval_seconds,
            f"{self.databases.schema}-outbox-purge",
            tenant,
            self.databases.engine(tenant),
            lambda: purge_published(self.databases, tenant, settings.outbox_retention_seconds),
        )
        return [relay.run(), purge, *self._tenant_jobs(tenant)]

    async def _prepare(self, tenant: str) -> None:
        await self.databases.prepare(tenant)
        await self.bus.ensure_stream(tenant)

    async def _retry(self, what: str, step: Callable[[], Coroutine[Any, Any, None]]) -> None:
        async for attempt in AsyncRetrying(
            wait=wait_exponential(multiplier=0.2, max=5),
            retry=retry_if_exception_type(Exception),
            before_sleep=lambda state: log.warning(
                "start_step_retry",
                step=what,
                attempt=state.attempt_number,
                error=str(state.outcome.exception()) if state.outcome else "",
            ),
        ):
            with attempt:
                await step()

    async def _watch_health(self) -> None:
        while not self._draining:
            pings = [self.databases.ping(tenant) for tenant in self._settings.tenants]
            databases_up = all(await asyncio.gather(*pings))
            await self._set_health(serving=databases_up and self.bus.is_connected)
            await asyncio.sleep(self._settings.health_check_interval_seconds)

    async def _set_health(self, *, serving: bool) -> None:
        status = (
            health_pb2.HealthCheckResponse.SERVING
            if serving and not self._draining
            else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        for service in ["", *self._service_names]:
            await self.health.set(service, status)

    async def stop(self) -> None:
        """Drain: NOT_SERVING, finish calls in flight, stop work, drain the bus, close pools."""
        self._draining = True
        log.info("service_draining", service=self._name)
        await self.health.enter_graceful_shutdown()
        await self.server.stop(self._settings.shutdown_grace_seconds)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.bus.drain()
        await self.databases.dispose()
        provider: Any = trace.get_tracer_provider()
        if hasattr(provider, "shutdown"):
            provider.shutdown()
        log.info("service_stopped", service=self._name)

    async def run_until_signalled(self) -> None:
        """Start, serve until SIGTERM or SIGINT, then stop gracefully.

        A start-up failure other than an outage (which start-up retries) ends the process.
        """
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stopping.set)
        start = asyncio.create_task(self.start())
        signalled = asyncio.create_task(stopping.wait())
        await asyncio.wait([start, signalled], return_when=asyncio.FIRST_COMPLETED)
        if start.done() and start.exception() is not None:
            signalled.cancel()
            await self.stop()
            raise start.exception()  # type: ignore[misc]
        await signalled
        start.cancel()
        await asyncio.gather(start, return_exceptions=True)
        await self.stop()
