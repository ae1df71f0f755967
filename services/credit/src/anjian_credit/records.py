"""Conversion between credit rows and API messages."""

from typing import Any

from sqlalchemy import Row

from anjian.credit.v1 import credit_pb2
from anjian_credit.names import (
    application_name,
    ban_name,
    enterprise_name,
    listing_name,
    record_name,
)
from anjian_kernel.messages import etag, timestamp, to_date

Ban = credit_pb2.Ban
Application = credit_pb2.RepairApplication


def to_enterprise(
    row: Row[Any], tenant: str, *, listed: bool, score: int, with_principal: bool
) -> credit_pb2.Enterprise:
    """An enterprise row as the API's Enterprise; the principal only for those who may see it."""
    return credit_pb2.Enterprise(
        name=enterprise_name(tenant, row.credit_code),
        credit_code=row.credit_code,
        display_name=row.display_name,
        county_code=row.county_code,
        industry=row.industry,
        size=row.size,
        principal=row.principal if with_principal else "",
        legacy_code=row.legacy_code,
        listed=listed,
        score=score,
        create_time=timestamp(row.created_at),
        source=row.source,
    )


def to_record(row: Row[Any], tenant: str) -> credit_pb2.CreditRecord:
    """A credit record row as the API's CreditRecord."""
    return credit_pb2.CreditRecord(
        name=record_name(tenant, row.credit_code, row.id),
        credit_code=row.credit_code,
        kind=credit_pb2.ConductKind.Value(f"CONDUCT_KIND_{row.kind}"),
        category=row.category,
        description=row.description,
        source=row.source,
        source_document=row.source_document,
        conduct_date=to_date(row.conduct_date),
        rule=row.rule,
        rule_version=row.rule_version,
        points=row.points,
        evidence=list(row.evidence),
        public=row.public,
        create_time=timestamp(row.created_at),
        event_id=str(row.event_id) if row.event_id else "",
    )


def to_listing(row: Row[Any], tenant: str) -> credit_pb2.Listing:
    """A listing row as the API's Listing."""
    return credit_pb2.Listing(
        name=listing_name(tenant, row.id),
        credit_code=row.credit_code,
        reason=credit_pb2.ListingReason.Value(row.reason),
        penalty_document=row.penalty_document,
        deciding_department=row.deciding_department,
        facts_id=row.facts_id,
        rule_version=row.rule_version,
        start_date=to_date(row.start_date),
        end_date=to_date(row.end_date),
        repair_allowed_from=to_date(row.repair_allowed_from),
        state=credit_pb2.ListingState.Value(f"LISTING_STATE_{row.state}"),
        remove_time=timestamp(row.removed_at),
        create_time=timestamp(row.created_at),
        etag=etag(row.version),
    )


def to_application(row: Row[Any], tenant: str) -> credit_pb2.RepairApplication:
    """A repair application row as the API's RepairApplication."""
    return credit_pb2.RepairApplication(
        name=application_name(tenant, row.listing_id, row.id),
        listing=listing_name(tenant, row.listing_id),
        statement=row.statement,
        state=Application.State.Value(f"STATE_{row.state}"),
        review_reason=row.review_reason,
        create_time=timestamp(row.created_at),
        review_time=timestamp(row.reviewed_at),
        etag=etag(row.version),
    )


def to_ban(row: Row[Any], tenant: str, *, with_person_key: bool) -> credit_pb2.Ban:
    """A ban row as the API's Ban; the person key only for officials."""
    return credit_pb2.Ban(
        name=ban_name(tenant, row.id),
        subject=Ban.Subject.Value(f"SUBJECT_{row.subject}"),
        display_name=row.display_name,
        credit_code=row.credit_code,
        person_key=row.person_key if with_person_key else "",
        scope=row.scope,
        decision_document=row.decision_document,
        start_date=to_date(row.start_date),
        end_date=to_date(row.end_date),
        active=row.active,
    )
