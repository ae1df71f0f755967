"""The relay is woken after commit by the writer, not by a trigger inside the transaction.

NOTIFY in the writing transaction takes a database-wide lock at commit, so concurrent
reports could not share a disk flush; see anjian_kernel.database.OutboxSignal.

Revision ID: 0002
Revises: 0001
"""

from anjian_credit.tables import SCHEMA
from anjian_kernel.migrations import add_notify_trigger, drop_notify_trigger

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Drop the NOTIFY trigger on the outbox."""
    drop_notify_trigger(SCHEMA)


def downgrade() -> None:
    """Put the trigger back."""
    add_notify_trigger(SCHEMA)
