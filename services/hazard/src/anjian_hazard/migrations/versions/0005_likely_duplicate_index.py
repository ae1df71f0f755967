"""Find a report's likely duplicate through one index on enterprise and title.

The lookup filtered every hazard the enterprise ever had; with years of history that
is a scan per report. An index on enterprise alone still serves, as this one's prefix,
every query by enterprise. Location is left out: title and location together could
outgrow the largest entry a B-tree takes.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

from anjian_hazard.tables import SCHEMA

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Replace hazards_enterprise with hazards_enterprise_title."""
    op.create_index(
        "hazards_enterprise_title", "hazards", ["enterprise_credit_code", "title"], schema=SCHEMA
    )
    op.drop_index("hazards_enterprise", table_name="hazards", schema=SCHEMA)


def downgrade() -> None:
    """Put hazards_enterprise back."""
    op.create_index("hazards_enterprise", "hazards", ["enterprise_credit_code"], schema=SCHEMA)
    op.drop_index("hazards_enterprise_title", table_name="hazards", schema=SCHEMA)
