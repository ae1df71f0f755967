"""The relay is woken after commit by the writer, not by a trigger inside the transaction.

NOTIFY in the writing transaction takes a database-wide lock at commit, so concurrent
reports could not share a disk flush; see anjian_kernel.database.OutboxSignal.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

from anjian_hazard.tables import SCHEMA, kernel

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Drop the NOTIFY trigger on the outbox."""
    op.execute(f"DROP TRIGGER IF EXISTS outbox_notify ON {SCHEMA}.outbox")
    op.execute(f"DROP FUNCTION IF EXISTS {SCHEMA}.outbox_notify()")


def downgrade() -> None:
    """Put the trigger back."""
    for statement in kernel.notify_trigger_sql():
        op.execute(statement)
