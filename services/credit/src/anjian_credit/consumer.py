"""Credit records from other services' events, by the event-rule table.

One durable consumer per tenant reads `anjian.<tenant>.>`. The event's protobuf type
comes from the registry below, keyed by domain; a domain it does not know is skipped
with a log line, so a new service needs a registry entry and rule rows, not new
handling code. The inbox (same transaction) and the unique event id on the record
make a redelivered or republished event create nothing more.
"""

import uuid
from datetime import UTC
from typing import Any

from google.protobuf.json_format import MessageToDict
from google.protobuf.message import DecodeError, Message
from sqlalchemy.ext.asyncio import AsyncConnection

from anjian.events.v1.hazard_events_pb2 import HazardEvent
from anjian_credit.conduct import add_record
from anjian_credit.enterprises import ensure_from_event
from anjian_credit.rules import RecordRule, RuleBook, field_at
from anjian_credit.tables import kernel
from anjian_kernel.auth import Principal, Role
from anjian_kernel.bus import Bus
from anjian_kernel.clock import Clock, china_date
from anjian_kernel.database import TenantDatabases
from anjian_kernel.identifiers import (
    is_legacy_credit_code,
    is_valid_credit_code,
    normalise_credit_code,
)
from anjian_kernel.inbox import Event, Handler, InboxConsumer
from anjian_kernel.logs import get_logger

log = get_logger(__name__)

EVENT_TYPES: dict[str, type[Message]] = {"hazard": HazardEvent}
"""The event message of each domain whose events the rule table may name."""
OWN_DOMAIN = "credit"
DURABLE = "credit-records"


def event_handler(tenant: str, book: RuleBook, clock: Clock) -> Handler:
    """The handler that turns one tenant's events into credit records."""

    async def handle(connection: AsyncConnection, event: Event) -> None:
        parts = event.subject.split(".")
        # Limitation: the consumer reads every subject of the tenant, its own credit events
        # too, and files their ids in the inbox; a multi-filter consumer would skip them.
        if len(parts) != 4 or parts[1] != tenant or parts[2] == OWN_DOMAIN:
            return
        domain, kind = parts[2], parts[3]
        message_type = EVENT_TYPES.get(domain)
        if message_type is None:
            log.info("event_skipped", tenant=tenant, subject=event.subject, why="unknown domain")
            return
        try:
            message: Any = message_type.FromString(event.payload)
        except DecodeError:
            log.warning("event_skipped", tenant=tenant, subject=event.subject, why="undecodable")
            return
        occurred = message.metadata.occur_time.ToDatetime(tzinfo=UTC)
        data = MessageToDict(message, preserving_proto_field_name=True)
        table = book.event_table(china_date(occurred))
        subject = f"{domain}.{kind}"
        rule = next((r for r in table.rules if r.matches(subject, data)), None) if table else None
        if rule is None or table is None:
            return
        await record_event(
            connection, book, tenant, rule, table.version, message, data, event, clock
        )

    return handle


async def record_event(
    connection: AsyncConnection,
    book: RuleBook,
    tenant: str,
    rule: RecordRule,
    version: str,
    message: Any,
    data: dict[str, Any],
    event: Event,
    clock: Clock,
) -> None:
    """Register the enterprise if unknown, then write the record the rule gives."""
    raw = field_at(data, rule.definition["enterprise_field"])
    code = normalise_credit_code(str(raw or ""))
    if not (is_valid_credit_code(code) or is_legacy_credit_code(code)):
        log.warning("event_skipped", tenant=tenant, subject=event.subject, why="no credit code")
        return
    now = clock.now()
    domain = event.subject.split(".")[2]

    def text_at(key: str) -> str:
        path = rule.definition.get(key) or ""
        return str(field_at(data, path) or "") if path else ""

    await ensure_from_event(
        connection,
        tenant=tenant,
        code=code,
        display_name=text_at("enterprise_name_field"),
        county=text_at("county_field"),
        industry=text_at("industry_field"),
        source=domain,
        at=now,
    )
    try:
        event_id = uuid.UUID(message.metadata.event_id)
    except ValueError:
        event_id = event.event_id
    resource = message.metadata.resource
    system = Principal(subject=f"system:{domain}", tenant=tenant, role=Role.ADMIN)
    values = {
        "request_id": None,
        "event_id": event_id,
        "credit_code": code,
        "kind": rule.kind,
        "category": rule.category,
        "description": rule.description,
        "source": domain,
        "source_document": resource,
        "conduct_date": china_date(message.metadata.occur_time.ToDatetime(tzinfo=UTC)),
        "rule": rule.rule,
        "rule_version": version,
        "points": rule.points,
        "evidence": [resource, f"event {event_id}"],
        "public": rule.public,
    }
    created = await add_record(connection, book, system, values, now)
    log.info(
        "event_recorded" if created is not None else "event_already_recorded",
        tenant=tenant,
        subject=event.subject,
        rule=rule.rule,
    )


def consumer(
    tenant: str, bus: Bus, databases: TenantDatabases, book: RuleBook, clock: Clock
) -> InboxConsumer:
    """The durable consumer of a tenant's events of other domains."""
    return InboxConsumer(
        tenant=tenant,
        durable=DURABLE,
        subjects=f"anjian.{tenant}.>",
        bus=bus,
        databases=databases,
        tables=kernel,
        handler=event_handler(tenant, book, clock),
    )
