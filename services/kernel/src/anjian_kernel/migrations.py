"""Migrations: what each service's Alembic `env.py` calls, and the kernel tables' own steps.

Every service keeps the kernel's tables (outbox, inbox, audit records) in its own schema
and runs the steps below from its own Alembic scripts, so those tables evolve the same way
in every schema. A released step is frozen: it says what the tables were at that revision,
never what the current definitions in `anjian_kernel.tables` say.
"""

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy import MetaData
from sqlalchemy.dialects import postgresql

from anjian_kernel.tables import OUTBOX_CHANNEL


def run_migrations(target_metadata: MetaData) -> None:
    """Run the pending migrations on the connection `TenantDatabases.prepare` passed in.

    The version table lives in the service's schema, so services migrate independently.
    """
    config = context.config
    connection = config.attributes["connection"]
    schema = config.attributes["schema"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table_schema=schema,
        include_schemas=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def create_kernel_tables(schema: str) -> None:
    """The outbox (woken by a NOTIFY trigger), the inbox and the audit records, as first made."""
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger, sa.Identity(always=False), primary_key=True),
        sa.Column("event_id", sa.Uuid, nullable=False, unique=True),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column(
            "headers", postgresql.JSONB, server_default=sa.text("'{}'::jsonb"), nullable=False
        ),
        sa.Column("aggregate", sa.Text, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        schema=schema,
    )
    op.create_index(
        "outbox_unpublished",
        "outbox",
        ["id"],
        schema=schema,
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.String(200), primary_key=True),
        sa.Column("event_id", sa.Uuid, primary_key=True),
        sa.Column(
            "handled_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        schema=schema,
    )
    op.create_table(
        "audit_records",
        sa.Column("sequence", sa.BigInteger, sa.Identity(always=False), primary_key=True),
        sa.Column("resource", sa.Text, nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("actor_role", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("from_state", sa.String(60), nullable=False),
        sa.Column("to_state", sa.String(60), nullable=False),
        sa.Column("reason", sa.Text, server_default="", nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("request_id", sa.String(100), server_default="", nullable=False),
        sa.Column("trace_id", sa.String(32), server_default="", nullable=False),
        schema=schema,
    )
    op.create_index(
        f"ix_{schema}_audit_records_resource", "audit_records", ["resource"], schema=schema
    )
    add_notify_trigger(schema)


def drop_kernel_tables(schema: str) -> None:
    """Undo `create_kernel_tables`."""
    for table in ["audit_records", "inbox", "outbox"]:
        op.drop_table(table, schema=schema)
    op.execute(f"DROP FUNCTION IF EXISTS {schema}.outbox_notify()")


def add_notify_trigger(schema: str) -> None:
    """Make every outbox insert NOTIFY the relay at commit (how the relay was first woken)."""
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION {schema}.outbox_notify() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM pg_notify('{OUTBOX_CHANNEL}', '{schema}');
          RETURN NULL;
        END $$
        """
    )
    op.execute(
        f"""
        CREATE TRIGGER outbox_notify AFTER INSERT ON {schema}.outbox
        FOR EACH STATEMENT EXECUTE FUNCTION {schema}.outbox_notify()
        """
    )


def drop_notify_trigger(schema: str) -> None:
    """Stop the trigger: writers wake the relay after commit (`TenantDatabases.begin`)."""
    op.execute(f"DROP TRIGGER IF EXISTS outbox_notify ON {schema}.outbox")
    op.execute(f"DROP FUNCTION IF EXISTS {schema}.outbox_notify()")
