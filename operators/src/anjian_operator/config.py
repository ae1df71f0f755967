"""Operator settings, read from `ANJIAN_OPERATOR_*` environment variables."""

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class OperatorSettings(BaseSettings):
    """Where the shared PostgreSQL and NATS are, and how tenants are deployed."""

    model_config = SettingsConfigDict(env_prefix="ANJIAN_OPERATOR_", extra="ignore")

    namespace: str = Field(
        default="anjian-system", description="Namespace the operator runs in; holds shared Secrets."
    )
    service_account: str = Field(
        default="anjian-operator", description="The operator's service account, bound per tenant."
    )
    tenant_cluster_role: str = Field(
        default="anjian-operator-tenant",
        description="ClusterRole with the rights the operator needs inside a tenant namespace.",
    )
    database_admin_url: SecretStr = Field(
        description="libpq URL of a role that may create databases and roles, e.g. "
        "postgresql://postgres:pw@postgresql.anjian-system:5432/postgres"
    )
    database_host: str | None = Field(
        default=None,
        description="host:port that tenant pods use for PostgreSQL; defaults to the admin URL's.",
    )
    database_connection_limit: int = Field(default=50, ge=1)
    nats_url: str = Field(
        default="nats://127.0.0.1:4222", description="NATS URL the operator uses."
    )
    nats_tenant_url: str | None = Field(
        default=None, description="NATS URL tenant pods use; defaults to nats_url."
    )
    nats_system_user: str = "anjian-operator"
    nats_system_password: SecretStr = Field(
        description="Password of the NATS system-account user that may ask servers to reload."
    )
    nats_accounts_file: Path | None = Field(
        default=None, description="Accounts file the NATS server includes (one-machine setups)."
    )
    nats_accounts_secret: str | None = Field(
        default=None,
        description="Name of the Secret in `namespace` that the NATS pods mount as their accounts.",
    )
    nats_reload_timeout_seconds: float = Field(default=60.0, gt=0)
    helm_binary: str = "helm"
    chart: Path = Field(default=Path("/app/charts/anjian"), description="The suite chart.")
    image_repository: str = "anjian"
    image_tag: str = "latest"
    image_pull_policy: Literal["Always", "IfNotPresent", "Never"] = "IfNotPresent"
    token_secret_name: str = Field(
        default="anjian-token",
        description="Secret in `namespace` with key `secret`: the HS256 key copied to tenants.",
    )
    person_key_salts_secret: str = Field(
        default="anjian-person-keys",
        description="Secret in `namespace` that records every tenant's person-key salt, one "
        "key per prefecture code; the copy that outlives tenant namespaces. Back it up.",
    )
    otel_exporter: Literal["none", "console", "otlp"] = "none"
    otel_endpoint: str = ""
    otel_sampling_ratio: float = Field(default=1.0, ge=0.0, le=1.0)
    infra_namespace_label: str = Field(
        default="anjian.io/shared-infra",
        description="Label (value `true`) of namespaces tenant pods may reach: database, bus, OTLP",
    )
    retry_delay_seconds: float = Field(default=10.0, gt=0)
    health_port: int = Field(default=8080, ge=1, le=65535, description="kopf's /healthz port.")

    @model_validator(mode="after")
    def _one_accounts_store(self) -> "OperatorSettings":
        if (self.nats_accounts_file is None) == (self.nats_accounts_secret is None):
            raise ValueError(
                "set exactly one of ANJIAN_OPERATOR_NATS_ACCOUNTS_FILE "
                "and ANJIAN_OPERATOR_NATS_ACCOUNTS_SECRET"
            )
        return self

    @property
    def tenant_database_host(self) -> str:
        """host:port of PostgreSQL as the tenant's pods see it."""
        if self.database_host:
            return self.database_host
        parts = urlsplit(self.database_admin_url.get_secret_value())
        return f"{parts.hostname}:{parts.port or 5432}"

    @property
    def tenant_nats_url(self) -> str:
        """NATS URL as the tenant's pods see it."""
        return self.nats_tenant_url or self.nats_url
