"""Remember a digest of each idempotent request, to refuse a request id reused for another.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from anjian_hazard.tables import SCHEMA

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add request_fingerprint beside each request_id."""
    for table in ["hazards", "self_inspection_returns"]:
        op.add_column(table, sa.Column("request_fingerprint", sa.String(64)), schema=SCHEMA)


def downgrade() -> None:
    """Drop them again."""
    for table in ["hazards", "self_inspection_returns"]:
        op.drop_column(table, "request_fingerprint", schema=SCHEMA)
