"""Entry point of the hazard service process (`anjian-hazard`)."""

from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import grpc
from pydantic import Field

from anjian.hazard.v1 import hazard_pb2, hazard_pb2_grpc
from anjian_hazard.hazards import HazardService, detect_overdue
from anjian_hazard.listings import ReviewIntervals, on_credit_event
from anjian_hazard.selfinspection import SelfInspectionService
from anjian_hazard.tables import SCHEMA, kernel
from anjian_kernel import periodic
from anjian_kernel.bus import Bus
from anjian_kernel.clock import Clock, make_clock
from anjian_kernel.database import TenantDatabases
from anjian_kernel.inbox import InboxConsumer
from anjian_kernel.server import ServiceHost, serve_process
from anjian_kernel.settings import KernelSettings

SERVICE_NAMES = [
    hazard_pb2.DESCRIPTOR.services_by_name["HazardService"].full_name,
    hazard_pb2.DESCRIPTOR.services_by_name["SelfInspectionService"].full_name,
]
MIGRATIONS = Path(__file__).parent / "migrations"


class HazardSettings(KernelSettings):
    """Settings of the hazard service."""

    overdue_scan_interval_seconds: float = Field(default=60.0, gt=0)
    review_working_days: int = Field(default=5, ge=1, description="Days to re-inspect.")
    listed_review_working_days: int = Field(
        default=2, ge=1, description="Days to re-inspect an enterprise on the dishonesty list."
    )


def build(settings: HazardSettings, clock: Clock | None = None) -> ServiceHost:
    """The hazard service host: both gRPC services; per tenant, listings and overdue scans.

    The clock comes from the settings unless one is given (tests move time by hand).
    """
    clock = clock or make_clock(settings.clock_start, settings.clock_anchor, settings.clock_rate)
    databases = TenantDatabases(settings, SCHEMA, MIGRATIONS)
    bus = Bus(settings, "anjian-hazard")

    def register(server: grpc.aio.Server) -> None:
        review = ReviewIntervals(settings.review_working_days, settings.listed_review_working_days)
        hazard_pb2_grpc.add_HazardServiceServicer_to_server(
            HazardService(databases, clock, review), server
        )
        hazard_pb2_grpc.add_SelfInspectionServiceServicer_to_server(
            SelfInspectionService(databases, clock), server
        )

    def tenant_jobs(tenant: str) -> list[Coroutine[Any, Any, None]]:
        listings = InboxConsumer(
            tenant=tenant,
            durable="hazard-credit-listings",
            subjects=f"anjian.{tenant}.credit.>",
            bus=bus,
            databases=databases,
            tables=kernel,
            handler=on_credit_event,
        )
        overdue = periodic.every(
            settings.overdue_scan_interval_seconds,
            "hazard-overdue",
            tenant,
            databases.engine(tenant),
            lambda: detect_overdue(databases, clock, tenant),
        )
        return [listings.run(), overdue]

    return ServiceHost(
        settings,
        name="hazard",
        service_names=SERVICE_NAMES,
        register=register,
        databases=databases,
        tables=kernel,
        bus=bus,
        tenant_jobs=tenant_jobs,
    )


def main() -> None:
    """Run the service until SIGTERM."""
    serve_process("hazard", HazardSettings, build)
