"""NATS credentials per tenant: which subjects a tenant's connection may touch.

A tenant's user may publish and read only `anjian.<tenant>.>`, use the JetStream
API only for its own stream `ANJIAN_<tenant>`, and receive replies only on its own
inbox prefix `_INBOX_<tenant>`, so one prefecture can never read another's events.
The operator renders these rules for Kubernetes; the local stack and the tests
render the same rules into the embedded server's configuration.
"""

import json
from dataclasses import dataclass

from anjian_kernel.bus import stream_name


def inbox_prefix(tenant: str) -> str:
    """The reply-subject prefix a tenant's connections must use."""
    return f"_INBOX_{tenant}"


def tenant_permissions(tenant: str) -> dict[str, dict[str, list[str]]]:
    """The publish and subscribe allow-lists of a tenant's NATS user."""
    stream = stream_name(tenant)
    return {
        "publish": {
            "allow": [
                f"anjian.{tenant}.>",
                "$JS.API.INFO",
                f"$JS.API.STREAM.*.{stream}",
                f"$JS.API.CONSUMER.*.{stream}",
                f"$JS.API.CONSUMER.*.{stream}.>",
                f"$JS.API.CONSUMER.DURABLE.CREATE.{stream}.>",
                f"$JS.API.CONSUMER.MSG.NEXT.{stream}.>",
                f"$JS.ACK.{stream}.>",
            ]
        },
        "subscribe": {"allow": [f"anjian.{tenant}.>", f"{inbox_prefix(tenant)}.>"]},
    }


@dataclass(frozen=True)
class NatsUser:
    """A user of the NATS server: a tenant's, or (tenant None) the platform's own."""

    name: str
    password: str
    tenant: str | None = None


def authorization_config(users: list[NatsUser]) -> str:
    """The `authorization` block of a nats-server configuration for these users."""
    entries = []
    for user in users:
        entry: dict[str, object] = {"user": user.name, "password": user.password}
        if user.tenant is not None:
            entry["permissions"] = tenant_permissions(user.tenant)
        entries.append(entry)
    # nats-server's configuration format accepts JSON values.
    return "authorization: " + json.dumps({"users": entries}, indent=2) + "\n"
