"""Hazards, checklists, monthly returns, and the kernel's outbox, inbox and audit tables.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from anjian_hazard.tables import SCHEMA
from anjian_kernel.migrations import create_kernel_tables, drop_kernel_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the tables of the schema as they were at this revision."""
    op.create_table(
        "hazards",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("request_id", sa.String(100), unique=True),
        sa.Column("enterprise_credit_code", sa.String(18), nullable=False),
        sa.Column("enterprise_name", sa.Text, nullable=False),
        sa.Column("county_code", sa.String(6), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("location", sa.Text, nullable=False),
        sa.Column("industry", sa.String(40), nullable=False),
        sa.Column("state", sa.String(40), nullable=False),
        sa.Column("grade", sa.String(40), nullable=False),
        sa.Column("criterion_standard", sa.String(40)),
        sa.Column("criterion_version", sa.String(20)),
        sa.Column("criterion_item", sa.String(40)),
        sa.Column("criterion_text", sa.Text),
        sa.Column("deadline", sa.Date),
        sa.Column("measures", sa.Text),
        sa.Column("responsible_person", sa.Text),
        sa.Column("production_stopped", sa.Boolean, nullable=False),
        sa.Column("rectification_report", sa.Text),
        sa.Column("rectification_submitted_at", sa.DateTime(timezone=True)),
        sa.Column("listed_authority", sa.Text),
        sa.Column("listed_document", sa.Text),
        sa.Column("listed_at", sa.DateTime(timezone=True)),
        sa.Column("delisted_at", sa.DateTime(timezone=True)),
        sa.Column("duplicate_of", sa.Uuid),
        sa.Column("likely_duplicate_of", sa.Uuid),
        sa.Column("overdue", sa.Boolean, nullable=False),
        sa.Column("overdue_at", sa.DateTime(timezone=True)),
        sa.Column("send_back_count", sa.Integer, nullable=False),
        sa.Column("closer_inspection", sa.Boolean, nullable=False),
        sa.Column("reporter", sa.Text, nullable=False),
        sa.Column("find_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("version", sa.BigInteger, nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "checklists",
        sa.Column("enterprise_credit_code", sa.String(18), primary_key=True),
        sa.Column("version", sa.BigInteger, primary_key=True),
        sa.Column("items", postgresql.JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.Text, nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "self_inspection_returns",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("request_id", sa.String(100), unique=True),
        sa.Column("enterprise_credit_code", sa.String(18), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("checklist_version", sa.BigInteger, nullable=False),
        sa.Column("results", postgresql.JSONB, nullable=False),
        sa.Column("hazards", postgresql.JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.Text, nullable=False),
        sa.UniqueConstraint("enterprise_credit_code", "month", name="one_return_per_month"),
        schema=SCHEMA,
    )
    op.create_index("hazards_state", "hazards", ["state"], schema=SCHEMA)
    op.create_index("hazards_county", "hazards", ["county_code"], schema=SCHEMA)
    op.create_index("hazards_enterprise", "hazards", ["enterprise_credit_code"], schema=SCHEMA)
    op.create_index("hazards_created", "hazards", ["created_at", "id"], schema=SCHEMA)
    create_kernel_tables(SCHEMA)


def downgrade() -> None:
    """Drop every table of the schema."""
    for table in ["self_inspection_returns", "checklists", "hazards"]:
        op.drop_table(table, schema=SCHEMA)
    drop_kernel_tables(SCHEMA)
