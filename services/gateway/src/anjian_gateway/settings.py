"""Typed settings of the gateway, read from `ANJIAN_*` environment variables.

The gateway verifies no token (the services do), so it needs no token secret and does
not share the services' `KernelSettings`: only where to listen, where the hazard
service is, and how to log and trace.
"""

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class GatewaySettings(BaseSettings):
    """What the gateway needs to run. Defaults run on one machine."""

    model_config = SettingsConfigDict(env_prefix="ANJIAN_", extra="ignore")

    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=0, le=65535)
    hazard_address: str = Field(
        default="127.0.0.1:50051", description="host:port of the hazard service's gRPC server."
    )
    call_deadline_seconds: float = Field(
        default=10.0, gt=0, description="Deadline of each gRPC call the gateway makes."
    )
    readiness_deadline_seconds: float = Field(
        default=2.0, gt=0, description="Deadline of the health check behind /readyz."
    )
    otel_exporter: Literal["none", "console", "otlp"] = "none"
    otel_sampling_ratio: float = Field(default=1.0, ge=0.0, le=1.0)
    log_format: Literal["json", "console"] = "json"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
