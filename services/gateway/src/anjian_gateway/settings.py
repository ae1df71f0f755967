"""Typed settings of the gateway, read from `ANJIAN_*` environment variables.

The gateway verifies no token (the services do), so it holds no token secret and does
not share the services' `KernelSettings`: only where to listen, where the services are,
the tokens its anonymous public pages call with, and how to log and trace.
"""

import json
import re
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from anjian_kernel.tenancy import YUNNAN_PREFECTURES

# RFC 6750 b64token: anything else cannot be a token the services issued, and some of it
# (non-ASCII, control characters) cannot be sent as gRPC metadata at all.
TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9\-._~+/]+=*$")


class GatewaySettings(BaseSettings):
    """What the gateway needs to run. Defaults run on one machine."""

    model_config = SettingsConfigDict(env_prefix="ANJIAN_", extra="ignore")

    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=0, le=65535)
    hazard_address: str = Field(
        default="127.0.0.1:50051", description="host:port of the hazard service's gRPC server."
    )
    credit_address: str = Field(
        default="127.0.0.1:50052", description="host:port of the credit service's gRPC server."
    )
    public_tokens: Annotated[dict[str, SecretStr], NoDecode] = Field(
        default_factory=dict,
        description="Prefecture code → a `partner` token of that prefecture, issued by whoever "
        'deploys, as a JSON object (`{"530100": "eyJ…"}`). The anonymous public credit '
        "query of a prefecture calls the credit service with its token; a prefecture without "
        "one has no public query here.",
    )
    call_deadline_seconds: float = Field(
        default=10.0, gt=0, description="Deadline of each gRPC call the gateway makes."
    )
    readiness_deadline_seconds: float = Field(
        default=2.0, gt=0, description="Deadline of the health check behind /readyz."
    )
    max_body_bytes: int = Field(
        default=1024 * 1024,
        gt=0,
        description="Largest request body accepted; a larger one is answered 413.",
    )
    otel_exporter: Literal["none", "console", "otlp"] = "none"
    otel_sampling_ratio: float = Field(default=1.0, ge=0.0, le=1.0)
    log_format: Literal["json", "console"] = "json"
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    @field_validator("public_tokens", mode="before")
    @classmethod
    def _json_object(cls, value: object) -> object:
        # Decoded here, not by pydantic-settings, so bad JSON is reported like any bad value.
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value or "{}")
        except json.JSONDecodeError as error:
            raise ValueError(
                'must be a JSON object of prefecture codes and tokens: {"530100": "<token>"}'
            ) from error

    @field_validator("public_tokens")
    @classmethod
    def _prefectures_and_tokens(cls, value: dict[str, SecretStr]) -> dict[str, SecretStr]:
        unknown = sorted(code for code in value if code not in YUNNAN_PREFECTURES)
        if unknown:
            raise ValueError(f"not Yunnan prefecture codes: {', '.join(unknown)}")
        malformed = sorted(
            code for code, token in value.items() if not TOKEN_SHAPE.match(token.get_secret_value())
        )
        if malformed:
            raise ValueError(f"the tokens of {', '.join(malformed)} are not bearer tokens")
        return value
