"""The hazard service's tables, in the `hazard` schema of each tenant's database."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB

from anjian_kernel.tables import KernelTables

SCHEMA = "hazard"

metadata = MetaData(schema=SCHEMA)
kernel = KernelTables(metadata)

hazards = Table(
    "hazards",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("request_id", String(100), unique=True),
    Column("request_fingerprint", String(64)),
    Column("enterprise_credit_code", String(18), nullable=False),
    Column("enterprise_name", Text, nullable=False),
    Column("county_code", String(6), nullable=False),
    Column("title", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("location", Text, nullable=False),
    Column("industry", String(40), nullable=False),
    Column("state", String(40), nullable=False),
    Column("grade", String(40), nullable=False),
    Column("criterion_standard", String(40)),
    Column("criterion_version", String(20)),
    Column("criterion_item", String(40)),
    Column("criterion_text", Text),
    Column("deadline", Date),
    Column("measures", Text),
    Column("responsible_person", Text),
    Column("production_stopped", Boolean, nullable=False, default=False),
    Column("rectification_report", Text),
    Column("rectification_submitted_at", DateTime(timezone=True)),
    Column("listed_authority", Text),
    Column("listed_document", Text),
    Column("listed_at", DateTime(timezone=True)),
    Column("delisted_at", DateTime(timezone=True)),
    Column("duplicate_of", Uuid),
    Column("likely_duplicate_of", Uuid),
    Column("overdue", Boolean, nullable=False, default=False),
    Column("overdue_at", DateTime(timezone=True)),
    Column("send_back_count", Integer, nullable=False, default=0),
    Column("closer_inspection", Boolean, nullable=False, default=False),
    Column("review_due", Date),
    Column("reporter", Text, nullable=False),
    Column("find_time", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True)),
    Column("version", BigInteger, nullable=False),
    Index("hazards_state", "state"),
    Index("hazards_county", "county_code"),
    Index("hazards_enterprise_title", "enterprise_credit_code", "title"),
    Index("hazards_created", "created_at", "id"),
)

checklists = Table(
    "checklists",
    metadata,
    Column("enterprise_credit_code", String(18), primary_key=True),
    Column("version", BigInteger, primary_key=True),
    Column("items", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("author", Text, nullable=False),
)

self_inspection_returns = Table(
    "self_inspection_returns",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("request_id", String(100), unique=True),
    Column("request_fingerprint", String(64)),
    Column("enterprise_credit_code", String(18), nullable=False),
    Column("month", String(7), nullable=False),
    Column("checklist_version", BigInteger, nullable=False),
    Column("results", JSONB, nullable=False),
    Column("hazards", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("author", Text, nullable=False),
    UniqueConstraint("enterprise_credit_code", "month", name="one_return_per_month"),
)

listed_enterprises = Table(
    "listed_enterprises",
    metadata,
    Column("credit_code", String(18), primary_key=True),
    Column("listing", Text, nullable=False),
    Column("listed_at", DateTime(timezone=True), nullable=False),
)
"""Enterprises on the serious-dishonesty list, as announced by the credit service's events."""
