"""The Prefecture custom resource: its spec, validation and the names derived from it."""

from enum import StrEnum
from typing import Annotated

from lightkube.generic_resource import create_global_resource
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.alias_generators import to_camel

from anjian_kernel.tenancy import YUNNAN_PREFECTURES

GROUP = "anjian.io"
VERSION = "v1alpha1"
PLURAL = "prefectures"

Prefecture = create_global_resource(GROUP, VERSION, "Prefecture", PLURAL)

# Services the suite chart knows; the CRD's enum and the chart's `components:` keep step.
KNOWN_SERVICES = frozenset(
    {"hazard", "gateway", "credit", "occhealth", "elevator", "responsibility", "assessment"}
)
Quantity = Annotated[str, Field(pattern=r"^[0-9]+(\.[0-9]+)?([mkMGTPE]i?)?$")]


class Retention(StrEnum):
    """What deleting a Prefecture does to the tenant's data."""

    RETAIN = "Retain"
    DELETE = "Delete"


class _Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class Quota(_Camel):
    """Ceilings for the tenant's namespace (ResourceQuota) and per-container defaults."""

    cpu: Quantity = "8"
    memory: Quantity = "16Gi"
    pods: int = Field(default=50, ge=1)
    default_cpu: Quantity = "500m"
    default_memory: Quantity = "512Mi"


class DatabaseSpec(_Camel):
    """The tenant's PostgreSQL database."""

    connection_limit: int = Field(default=50, ge=1)


class NatsSpec(_Camel):
    """The tenant's JetStream account and stream."""

    max_storage: Quantity = "1Gi"
    max_memory: Quantity = "64Mi"
    max_age_days: int = Field(default=365, ge=1)


class PrefectureSpec(_Camel):
    """What the operator reads from a Prefecture object's spec."""

    code: str
    display_name: str = ""
    services: list[str] = Field(default_factory=lambda: ["credit", "gateway", "hazard"])
    replicas: int = Field(default=1, ge=0)
    quota: Quota = Field(default_factory=Quota)
    database: DatabaseSpec = Field(default_factory=DatabaseSpec)
    nats: NatsSpec = Field(default_factory=NatsSpec)
    retention: Retention = Retention.RETAIN

    @field_validator("code")
    @classmethod
    def _yunnan_prefecture(cls, value: str) -> str:
        if value not in YUNNAN_PREFECTURES:
            raise ValueError(f"{value!r} is not one of Yunnan's 16 prefecture codes (GB/T 2260)")
        return value

    @field_validator("services")
    @classmethod
    def _known_services(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - KNOWN_SERVICES)
        if unknown:
            raise ValueError(f"unknown services: {', '.join(unknown)}")
        return sorted(set(value))


class InvalidSpecError(ValueError):
    """The object cannot be provisioned as written; retrying will not help."""


def parse_spec(spec: object) -> PrefectureSpec:
    """Validate a raw spec, turning every field error into one readable message."""
    try:
        return PrefectureSpec.model_validate(spec)
    except ValidationError as error:
        problems = "; ".join(
            f"spec.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        raise InvalidSpecError(problems) from error


class TenantNames:
    """Names of everything provisioned for one tenant, derived from its code alone."""

    def __init__(self, code: str) -> None:
        """Names for tenant `code` (a six-digit GB/T 2260 prefecture code)."""
        self.code = code
        self.namespace = f"anjian-{code}"
        self.database = f"anjian_{code}"
        self.role = f"anjian_{code}"
        self.nats_account = f"ANJIAN_{code}"
        self.nats_user = f"anjian-{code}"
        self.stream = f"ANJIAN_{code}"
        self.subjects = f"anjian.{code}.>"
        self.database_credentials = "anjian-database"
        self.nats_credentials = "anjian-nats"
        self.auth_key = "anjian-token"
        self.person_key = "anjian-person-key"
        # Made by hand, not by the operator: see `services.release_values`.
        self.public_tokens = "anjian-public-tokens"
        self.release = "anjian"
