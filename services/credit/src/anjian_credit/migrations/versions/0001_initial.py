"""Enterprises, credit records, listings, repair applications, bans, the public feed, and
the kernel's outbox, inbox and audit tables.

Revision ID: 0001
Revises:
"""

from alembic import op

from anjian_credit.tables import kernel, metadata

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create every table of the schema as of this revision."""
    connection = op.get_bind()
    metadata.create_all(connection)
    for statement in kernel.notify_trigger_sql():
        op.execute(statement)


def downgrade() -> None:
    """Drop every table of the schema."""
    metadata.drop_all(op.get_bind())
