"""Entry point of the credit service process (`anjian-credit`)."""

from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import grpc
from pydantic import Field, SecretStr, field_validator

from anjian.credit.v1 import credit_pb2, credit_pb2_grpc
from anjian_credit import consumer
from anjian_credit.listings import expire
from anjian_credit.rules import load_rules
from anjian_credit.service import CreditService, PublicCreditService
from anjian_credit.tables import SCHEMA, kernel
from anjian_kernel import periodic
from anjian_kernel.bus import Bus
from anjian_kernel.clock import Clock, make_clock
from anjian_kernel.database import TenantDatabases
from anjian_kernel.server import ServiceHost, serve_process
from anjian_kernel.settings import KernelSettings

SERVICE_NAMES = [
    credit_pb2.DESCRIPTOR.services_by_name["CreditService"].full_name,
    credit_pb2.DESCRIPTOR.services_by_name["PublicCreditService"].full_name,
]
MIGRATIONS = Path(__file__).parent / "migrations"


MIN_SALT_LENGTH = 16


class CreditSettings(KernelSettings):
    """Settings of the credit service."""

    person_key_salt: SecretStr = Field(
        min_length=MIN_SALT_LENGTH,
        description="Secret salt of the hash that stands for a banned individual's ID number. "
        "Required: a default would make the hashes guessable from the public ID-number space.",
    )
    expiry_scan_interval_seconds: float = Field(default=300.0, gt=0)

    @field_validator("person_key_salt")
    @classmethod
    def _salt_of_substance(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value().strip()) < MIN_SALT_LENGTH:
            raise ValueError(f"at least {MIN_SALT_LENGTH} characters that are not spaces")
        return value


def build(settings: CreditSettings, clock: Clock | None = None) -> ServiceHost:
    """The credit service host: both gRPC services; per tenant, event consumer and expiry.

    The clock comes from the settings unless one is given (tests move time by hand).
    """
    clock = clock or make_clock(settings.clock_start, settings.clock_anchor, settings.clock_rate)
    book = load_rules()
    databases = TenantDatabases(settings, SCHEMA, MIGRATIONS)
    bus = Bus(settings, "anjian-credit")
    salt = settings.person_key_salt.get_secret_value().encode()

    def register(server: grpc.aio.Server) -> None:
        credit_pb2_grpc.add_CreditServiceServicer_to_server(
            CreditService(databases, clock, book, salt), server
        )
        credit_pb2_grpc.add_PublicCreditServiceServicer_to_server(
            PublicCreditService(databases), server
        )

    def tenant_jobs(tenant: str) -> list[Coroutine[Any, Any, None]]:
        expiry = periodic.every(
            settings.expiry_scan_interval_seconds,
            "credit-expiry",
            tenant,
            databases.engine(tenant),
            lambda: expire(databases, clock, tenant),
        )
        return [consumer.consumer(tenant, bus, databases, book, clock).run(), expiry]

    return ServiceHost(
        settings,
        name="credit",
        service_names=SERVICE_NAMES,
        register=register,
        databases=databases,
        tables=kernel,
        bus=bus,
        tenant_jobs=tenant_jobs,
    )


def main() -> None:
    """Run the service until SIGTERM."""
    serve_process("credit", CreditSettings, build)
