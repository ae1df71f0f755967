"""Enterprises, credit records, listings, repair applications, bans, the public feed, and
the kernel's outbox, inbox and audit tables, as they were at this revision.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from anjian_credit.tables import SCHEMA
from anjian_kernel.migrations import create_kernel_tables, drop_kernel_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the tables of the schema as they were at this revision."""
    op.create_table(
        "bans",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.String(length=100), nullable=True),
        sa.Column("subject", sa.String(length=20), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("person_key", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("decision_document", sa.Text(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id"),
        schema=SCHEMA,
    )
    op.create_table(
        "credit_changes",
        sa.Column("sequence", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("committed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sequence"),
        schema=SCHEMA,
    )
    op.create_table(
        "credit_records",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.String(length=100), nullable=True),
        sa.Column("event_id", sa.Uuid(), nullable=True),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("category", sa.String(length=60), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_document", sa.Text(), nullable=False),
        sa.Column("conduct_date", sa.Date(), nullable=False),
        sa.Column("rule", sa.String(length=80), nullable=False),
        sa.Column("rule_version", sa.String(length=20), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("evidence", postgresql.JSONB, nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
        sa.UniqueConstraint("request_id"),
        schema=SCHEMA,
    )
    op.create_index(
        "credit_records_enterprise",
        "credit_records",
        ["credit_code", "conduct_date"],
        schema=SCHEMA,
    )
    op.create_table(
        "enterprises",
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("industry", sa.String(length=40), nullable=False),
        sa.Column("size", sa.String(length=20), nullable=False),
        sa.Column("principal", sa.Text(), nullable=False),
        sa.Column("legacy_code", sa.Boolean(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("credit_code"),
        schema=SCHEMA,
    )
    op.create_index("enterprises_county", "enterprises", ["county_code"], schema=SCHEMA)
    op.create_index("enterprises_name", "enterprises", ["display_name"], schema=SCHEMA)
    op.create_table(
        "listings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.String(length=100), nullable=True),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("reason", sa.String(length=60), nullable=False),
        sa.Column("penalty_document", sa.Text(), nullable=False),
        sa.Column("deciding_department", sa.Text(), nullable=False),
        sa.Column("facts_id", sa.Text(), nullable=False),
        sa.Column("rule_version", sa.String(length=20), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("repair_allowed_from", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id"),
        schema=SCHEMA,
    )
    op.create_index("listings_enterprise", "listings", ["credit_code"], schema=SCHEMA)
    op.create_index(
        "one_active_listing_per_facts",
        "listings",
        ["credit_code", "facts_id"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("state = 'ACTIVE'"),
    )
    op.create_table(
        "repair_applications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.String(length=100), nullable=True),
        sa.Column("listing_id", sa.Uuid(), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("review_reason", sa.Text(), nullable=False),
        sa.Column("applicant", sa.Text(), nullable=False),
        sa.Column("reviewer", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_credit_repair_applications_listing_id",
        "repair_applications",
        ["listing_id"],
        schema=SCHEMA,
    )
    op.create_index(
        "one_pending_application_per_listing",
        "repair_applications",
        ["listing_id"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("state = 'PENDING'"),
    )
    create_kernel_tables(SCHEMA)


def downgrade() -> None:
    """Drop every table of the schema."""
    for table in [
        "repair_applications",
        "listings",
        "enterprises",
        "credit_records",
        "credit_changes",
        "bans",
    ]:
        op.drop_table(table, schema=SCHEMA)
    drop_kernel_tables(SCHEMA)
