"""Conversion between hazard rows and API messages, and the events built from them."""

import uuid
from datetime import datetime

from sqlalchemy import Row

from anjian.events.v1.envelope_pb2 import EventMetadata
from anjian.events.v1.hazard_events_pb2 import HazardEvent
from anjian.hazard.v1 import hazard_pb2
from anjian_hazard.names import hazard_name
from anjian_kernel.messages import etag, timestamp, to_date


def to_hazard(row: Row[tuple[object, ...]], tenant: str) -> hazard_pb2.Hazard:
    """A hazard row as the API's Hazard."""
    hazard = hazard_pb2.Hazard(
        name=hazard_name(tenant, row.id),
        enterprise_credit_code=row.enterprise_credit_code,
        enterprise_name=row.enterprise_name,
        county_code=row.county_code,
        title=row.title,
        description=row.description,
        location=row.location,
        industry=row.industry,
        state=hazard_pb2.HazardState.Value(f"HAZARD_STATE_{row.state}"),
        grade=hazard_pb2.HazardGrade.Value(f"HAZARD_GRADE_{row.grade}"),
        duplicate_of=hazard_name(tenant, row.duplicate_of) if row.duplicate_of else "",
        likely_duplicate_of=(
            hazard_name(tenant, row.likely_duplicate_of) if row.likely_duplicate_of else ""
        ),
        overdue=row.overdue,
        find_time=timestamp(row.find_time),
        create_time=timestamp(row.created_at),
        update_time=timestamp(row.updated_at),
        close_time=timestamp(row.closed_at),
        version=row.version,
        etag=etag(row.version),
        reporter=row.reporter,
        send_back_count=row.send_back_count,
        closer_inspection=row.closer_inspection,
        review_due=to_date(row.review_due),
    )
    if row.criterion_standard:
        hazard.criterion.CopyFrom(
            hazard_pb2.MajorHazardCriterion(
                standard=row.criterion_standard,
                standard_version=row.criterion_version,
                item=row.criterion_item,
                item_text=row.criterion_text,
            )
        )
    if row.deadline:
        hazard.rectification.CopyFrom(
            hazard_pb2.Rectification(
                deadline=to_date(row.deadline),
                measures=row.measures or "",
                responsible_person=row.responsible_person or "",
                report=row.rectification_report or "",
                submit_time=timestamp(row.rectification_submitted_at),
                production_stopped=row.production_stopped,
            )
        )
    if row.listed_at:
        hazard.listed_supervision.CopyFrom(
            hazard_pb2.ListedSupervision(
                authority=row.listed_authority,
                document_number=row.listed_document,
                list_time=timestamp(row.listed_at),
                delist_time=timestamp(row.delisted_at),
            )
        )
    return hazard


def subject_suffix(kind: "HazardEvent.Kind.ValueType") -> str:
    """The event part of the subject, e.g. `overdue` for KIND_OVERDUE."""
    return HazardEvent.Kind.Name(kind).removeprefix("KIND_").lower()


def hazard_event(
    *,
    event_id: uuid.UUID,
    kind: "HazardEvent.Kind.ValueType",
    hazard: hazard_pb2.Hazard,
    tenant: str,
    actor: str,
    at: datetime,
    from_state: "hazard_pb2.HazardState.ValueType",
    reason: str = "",
    closed_late: bool = False,
) -> HazardEvent:
    """The event announcing one applied change of a hazard."""
    return HazardEvent(
        metadata=EventMetadata(
            event_id=str(event_id),
            tenant=tenant,
            occur_time=timestamp(at),
            resource=hazard.name,
            resource_version=hazard.version,
            actor=actor,
        ),
        kind=kind,
        hazard=hazard,
        from_state=from_state,
        reason=reason,
        closed_late=closed_late,
    )
