"""Know which enterprises are on the serious-dishonesty list, and when a review is due.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add hazards.review_due and the listed_enterprises table."""
    op.add_column("hazards", sa.Column("review_due", sa.Date()), schema="hazard")
    op.create_table(
        "listed_enterprises",
        sa.Column("credit_code", sa.String(18), primary_key=True),
        sa.Column("listing", sa.Text(), nullable=False),
        sa.Column("listed_at", sa.DateTime(timezone=True), nullable=False),
        schema="hazard",
    )


def downgrade() -> None:
    """Drop them again."""
    op.drop_table("listed_enterprises", schema="hazard")
    op.drop_column("hazards", "review_due", schema="hazard")
