"""The credit service's tables, in the `credit` schema of each tenant's database."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from anjian_kernel.tables import KernelTables

SCHEMA = "credit"

metadata = MetaData(schema=SCHEMA)
kernel = KernelTables(metadata)

enterprises = Table(
    "enterprises",
    metadata,
    Column("credit_code", String(18), primary_key=True),
    Column("display_name", Text, nullable=False),
    Column("county_code", String(6), nullable=False),
    Column("industry", String(40), nullable=False),
    Column("size", String(20), nullable=False),
    Column("principal", Text, nullable=False),
    Column("legacy_code", Boolean, nullable=False),
    Column("source", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("version", BigInteger, nullable=False),
    Index("enterprises_county", "county_code"),
    Index("enterprises_name", "display_name"),
)

credit_records = Table(
    "credit_records",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("request_id", String(100), unique=True),
    # sha256 of the request, to tell a retry from a reused request id (NULL before 0003).
    Column("request_fingerprint", String(64)),
    Column("event_id", Uuid, unique=True),
    Column("credit_code", String(18), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("category", String(60), nullable=False),
    Column("description", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("source_document", Text, nullable=False),
    Column("conduct_date", Date, nullable=False),
    Column("rule", String(80), nullable=False),
    Column("rule_version", String(20), nullable=False),
    Column("points", Integer, nullable=False),
    Column("evidence", JSONB, nullable=False),
    Column("public", Boolean, nullable=False),
    Column("author", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("credit_records_enterprise", "credit_code", "conduct_date"),
)

listings = Table(
    "listings",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("request_id", String(100), unique=True),
    # sha256 of the request, to tell a retry from a reused request id (NULL before 0003).
    Column("request_fingerprint", String(64)),
    Column("credit_code", String(18), nullable=False),
    Column("reason", String(60), nullable=False),
    Column("penalty_document", Text, nullable=False),
    Column("deciding_department", Text, nullable=False),
    Column("facts_id", Text, nullable=False),
    Column("rule_version", String(20), nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    Column("repair_allowed_from", Date, nullable=False),
    Column("state", String(20), nullable=False),
    Column("removed_at", DateTime(timezone=True)),
    Column("author", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("version", BigInteger, nullable=False),
    Index("listings_enterprise", "credit_code"),
    # One listing in force per set of facts: a second one is ALREADY_EXISTS.
    Index(
        "one_active_listing_per_facts",
        "credit_code",
        "facts_id",
        unique=True,
        postgresql_where=text("state = 'ACTIVE'"),
    ),
)

repair_applications = Table(
    "repair_applications",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("request_id", String(100), unique=True),
    # sha256 of the request, to tell a retry from a reused request id (NULL before 0003).
    Column("request_fingerprint", String(64)),
    Column("listing_id", Uuid, nullable=False, index=True),
    Column("statement", Text, nullable=False),
    Column("state", String(20), nullable=False),
    Column("review_reason", Text, nullable=False),
    Column("applicant", Text, nullable=False),
    Column("reviewer", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("reviewed_at", DateTime(timezone=True)),
    Column("version", BigInteger, nullable=False),
    # At most one application under review per listing.
    Index(
        "one_pending_application_per_listing",
        "listing_id",
        unique=True,
        postgresql_where=text("state = 'PENDING'"),
    ),
)

bans = Table(
    "bans",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("request_id", String(100), unique=True),
    # sha256 of the request, to tell a retry from a reused request id (NULL before 0003).
    Column("request_fingerprint", String(64)),
    Column("subject", String(20), nullable=False),
    Column("display_name", Text, nullable=False),
    Column("credit_code", String(18), nullable=False),
    Column("person_key", String(64), nullable=False),
    Column("scope", Text, nullable=False),
    Column("decision_document", Text, nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date),
    Column("active", Boolean, nullable=False),
    Column("author", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
)

credit_changes = Table(
    "credit_changes",
    metadata,
    Column("sequence", BigInteger, Identity(), primary_key=True),
    Column("kind", String(30), nullable=False),
    Column("credit_code", String(18), nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("committed_at", DateTime(timezone=True), nullable=False),
)
