"""The kernel's tables, created in each service's schema by that service's first migration.

- `outbox`: events committed with the state change, waiting for the relay.
- `inbox`: ids of events a consumer has handled, written with the handling.
- `audit_records`: every attempted state change, applied or refused.
"""

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

OUTBOX_CHANNEL = "anjian_outbox"
"""The LISTEN/NOTIFY channel on which a replica wakes the relay leading in another process."""

OUTBOX_PENDING = "anjian_outbox_pending"
"""Marks, in a connection's info, a transaction that put events in the outbox."""


class KernelTables:
    """The kernel's tables in one service schema."""

    def __init__(self, metadata: MetaData) -> None:
        self.metadata = metadata
        self.outbox = Table(
            "outbox",
            metadata,
            Column("id", BigInteger, Identity(), primary_key=True),
            Column("event_id", Uuid, nullable=False, unique=True),
            Column("subject", Text, nullable=False),
            Column("payload", LargeBinary, nullable=False),
            Column("headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
            Column("aggregate", Text, nullable=False),
            Column(
                "created_at", DateTime(timezone=True), nullable=False, server_default=func.now()
            ),
            Column("published_at", DateTime(timezone=True)),
            Index(
                "outbox_unpublished",
                "id",
                postgresql_where=text("published_at IS NULL"),
            ),
        )
        self.inbox = Table(
            "inbox",
            metadata,
            Column("consumer", String(200), primary_key=True),
            Column("event_id", Uuid, primary_key=True),
            Column(
                "handled_at", DateTime(timezone=True), nullable=False, server_default=func.now()
            ),
        )
        self.audit_records = Table(
            "audit_records",
            metadata,
            Column("sequence", BigInteger, Identity(), primary_key=True),
            Column("resource", Text, nullable=False, index=True),
            Column("action", String(100), nullable=False),
            Column("actor", Text, nullable=False),
            Column("actor_role", String(40), nullable=False),
            Column("created_at", DateTime(timezone=True), nullable=False),
            Column("from_state", String(60), nullable=False),
            Column("to_state", String(60), nullable=False),
            Column("reason", Text, nullable=False, server_default=""),
            Column("outcome", String(20), nullable=False),
            Column("version", BigInteger, nullable=False),
            Column("request_id", String(100), nullable=False, server_default=""),
            Column("trace_id", String(32), nullable=False, server_default=""),
        )
