"""Keep a fingerprint of each request beside its request id, to tell a retry from a
request id reused for a different request.

Rows written before this revision keep a NULL fingerprint and are taken for retries.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = ["credit_records", "listings", "repair_applications", "bans"]


def upgrade() -> None:
    """Add request_fingerprint to every table that has a request_id."""
    for table in TABLES:
        # Databases made while 0001 still built the tables from the current definitions
        # have the column already.
        op.add_column(
            table,
            sa.Column("request_fingerprint", sa.String(64)),
            schema="credit",
            if_not_exists=True,
        )


def downgrade() -> None:
    """Drop the fingerprints again."""
    for table in TABLES:
        op.drop_column(table, "request_fingerprint", schema="credit")
