"""The NATS JetStream connection and the per-tenant streams.

Subjects are `anjian.<tenant>.<domain>.<event>`; each tenant has its own stream
`ANJIAN_<tenant>` so its events and credentials stay apart from other tenants'.
"""

from datetime import timedelta

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import BadRequestError

from anjian_kernel.logs import get_logger
from anjian_kernel.settings import KernelSettings

log = get_logger(__name__)

DUPLICATE_WINDOW = timedelta(minutes=10)
"""How long JetStream remembers message ids to drop republished events."""


def subject(tenant: str, domain: str, event: str) -> str:
    """The subject of one kind of event of one tenant."""
    return f"anjian.{tenant}.{domain}.{event}"


def stream_name(tenant: str) -> str:
    """The JetStream stream holding a tenant's events."""
    return f"ANJIAN_{tenant}"


class Bus:
    """A NATS connection that reconnects forever and knows whether it is up."""

    def __init__(self, settings: KernelSettings, name: str) -> None:
        self._settings = settings
        self._name = name
        self._client: Client | None = None

    async def connect(self) -> None:
        """Connect (retrying until the server answers)."""
        password = self._settings.nats_password
        self._client = await nats.connect(
            self._settings.nats_url,
            name=self._name,
            user=self._settings.nats_user,
            password=password.get_secret_value() if password else None,
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.5,
            connect_timeout=2,
            inbox_prefix=self._settings.nats_inbox_prefix,
            allow_reconnect=True,
            error_cb=self._on_error,
        )

    async def _on_error(self, error: Exception) -> None:
        log.warning("nats_error", error=str(error))

    @property
    def client(self) -> Client:
        """The connected client."""
        if self._client is None:
            raise RuntimeError("bus not connected")
        return self._client

    @property
    def jetstream(self) -> JetStreamContext:
        """The JetStream context of the connection."""
        return self.client.jetstream()

    @property
    def is_connected(self) -> bool:
        """Whether the connection is up right now."""
        return self._client is not None and self._client.is_connected

    async def ensure_stream(self, tenant: str) -> None:
        """Create the tenant's stream if missing (idempotent)."""
        config = StreamConfig(
            name=stream_name(tenant),
            subjects=[f"anjian.{tenant}.>"],
            storage=StorageType.FILE,
            duplicate_window=DUPLICATE_WINDOW.total_seconds(),
        )
        try:
            await self.jetstream.add_stream(config)
        except BadRequestError:
            await self.jetstream.update_stream(config)

    async def drain(self) -> None:
        """Finish pending publishes and subscriptions, then close."""
        if self._client is not None and not self._client.is_closed:
            await self._client.drain()
