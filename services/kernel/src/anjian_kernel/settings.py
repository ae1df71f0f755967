"""Typed settings shared by every service, read from `ANJIAN_*` environment variables."""

import json
from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from anjian_kernel.auth import MAX_TOKEN_LIFETIME
from anjian_kernel.tenancy import YUNNAN_PREFECTURES
from anjian_kernel.workdays import YearArrangement, check_arrangements

MIN_SECRET_LENGTH = 32
"""HS256 wants a key at least as long as its 256-bit hash."""


class KernelSettings(BaseSettings):
    """What every Anjian service needs to run. Defaults run on one machine."""

    model_config = SettingsConfigDict(env_prefix="ANJIAN_", extra="ignore")

    database_url: str = Field(
        default="postgresql+asyncpg://postgres@127.0.0.1:5432/anjian_{tenant}",
        description="SQLAlchemy URL of a tenant's database; `{tenant}` becomes its code.",
    )
    database_create: bool = Field(
        default=True, description="Create a missing tenant database (off where an operator does)."
    )
    database_pool_size: int = Field(default=10, ge=1)
    nats_url: str = "nats://127.0.0.1:4222"
    nats_user: str | None = None
    nats_password: SecretStr | None = None
    nats_inbox_prefix: str = Field(
        default="_INBOX", description="Reply-subject prefix; a tenant's user needs _INBOX_<tenant>."
    )
    tenants: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: sorted(YUNNAN_PREFECTURES),
        description="Comma-separated prefecture codes this deployment serves.",
    )
    token_secret: SecretStr = Field(description="HS256 secret that signs caller tokens.")

    token_max_lifetime_hours: float = Field(
        default=MAX_TOKEN_LIFETIME.total_seconds() / 3600,
        gt=0,
        description="Tokens issued to be valid for longer than this are refused.",
    )
    grpc_host: str = "127.0.0.1"
    grpc_port: int = Field(default=50051, ge=0, le=65535)
    otel_exporter: Literal["none", "console", "otlp"] = "none"
    otel_sampling_ratio: float = Field(default=1.0, ge=0.0, le=1.0)
    shutdown_grace_seconds: float = Field(default=10.0, ge=0.0)
    log_format: Literal["json", "console"] = "json"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    health_check_interval_seconds: float = Field(default=2.0, gt=0)
    relay_poll_interval_seconds: float = Field(
        default=1.0, gt=0, description="How often the outbox relay looks without being woken."
    )
    relay_gather_seconds: float = Field(
        default=0.005,
        ge=0,
        le=1,
        description="While events keep coming, how long the relay lets more gather before it "
        "reads the next batch (fewer, larger batches); 0 reads again at once.",
    )
    outbox_retention_seconds: float = Field(
        default=7 * 24 * 3600,
        ge=0,
        description="How long a published outbox row is kept before it is deleted; "
        "JetStream keeps the event itself.",
    )
    outbox_purge_interval_seconds: float = Field(
        default=3600, gt=0, description="How often published outbox rows past retention go."
    )
    holiday_calendar: Annotated[dict[int, YearArrangement], NoDecode] = Field(
        default_factory=dict,
        description="JSON: official holiday arrangements of years chinese-calendar does not "
        'cover yet, {"2027": {"source": ..., "holidays": [...], "workdays": [...]}}.',
    )
    clock_start: datetime | None = Field(
        default=None,
        description="Demo only: the simulated time at `clock_anchor` (real epoch seconds).",
    )
    clock_anchor: float | None = None
    clock_rate: float = Field(default=1.0, gt=0, description="Simulated seconds per real second.")

    @field_validator("token_secret")
    @classmethod
    def _strong_secret(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value().strip()) < MIN_SECRET_LENGTH:
            raise ValueError(f"at least {MIN_SECRET_LENGTH} characters that are not spaces")
        return value

    @field_validator("holiday_calendar", mode="before")
    @classmethod
    def _parse_calendar(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError as error:
                raise ValueError(f"not JSON: {error}") from error
        return value

    @field_validator("holiday_calendar")
    @classmethod
    def _consistent_calendar(cls, value: dict[int, YearArrangement]) -> dict[int, YearArrangement]:
        check_arrangements(value)
        return value

    @field_validator("tenants", mode="before")
    @classmethod
    def _split_tenants(cls, value: object) -> object:
        if isinstance(value, str):
            return [code.strip() for code in value.split(",") if code.strip()]
        return value

    @field_validator("tenants")
    @classmethod
    def _known_prefectures(cls, value: list[str]) -> list[str]:
        unknown = [code for code in value if code not in YUNNAN_PREFECTURES]
        if unknown:
            raise ValueError(f"not Yunnan prefecture codes: {', '.join(unknown)}")
        return value

    @field_validator("clock_start")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("must carry a time zone offset, e.g. 2026-11-02T08:00:00+08:00")
        return value
