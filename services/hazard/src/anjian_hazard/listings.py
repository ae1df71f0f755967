"""What the hazard service does about the serious-dishonesty list (严重失信主体名单).

The credit service announces listings and removals; this service keeps the set of
listed enterprises, flags their new hazards for closer inspection and gives their
submitted rectifications a shorter review interval.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ScalarSelect, delete, exists, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from anjian.events.v1.credit_events_pb2 import CreditEvent
from anjian_hazard.tables import listed_enterprises
from anjian_kernel.inbox import Event
from anjian_kernel.logs import get_logger
from anjian_kernel.workdays import CalendarUnknownError, add_working_days

log = get_logger(__name__)


async def on_credit_event(connection: AsyncConnection, event: Event) -> None:
    """Track listings and removals; other credit events are not this service's concern."""
    credit_event = CreditEvent.FromString(event.payload)
    code = credit_event.credit_code
    if credit_event.kind == CreditEvent.Kind.KIND_LISTED:
        await connection.execute(
            insert(listed_enterprises)
            .values(
                credit_code=code,
                listing=credit_event.listing.name,
                listed_at=credit_event.metadata.occur_time.ToDatetime(),
            )
            .on_conflict_do_update(
                index_elements=["credit_code"],
                set_={"listing": credit_event.listing.name},
            )
        )
    elif credit_event.kind == CreditEvent.Kind.KIND_DELISTED:
        await connection.execute(
            delete(listed_enterprises).where(listed_enterprises.c.credit_code == code)
        )


async def is_listed(connection: AsyncConnection, credit_code: str) -> bool:
    """Whether the enterprise is on the list now, as far as this service has heard."""
    return bool(
        await connection.scalar(
            select(exists().where(listed_enterprises.c.credit_code == credit_code))
        )
    )


def listed_now(credit_code: str) -> ScalarSelect[bool]:
    """SQL for "is the enterprise listed", to embed in a statement without a round trip."""
    return select(exists().where(listed_enterprises.c.credit_code == credit_code)).scalar_subquery()


@dataclass(frozen=True)
class ReviewIntervals:
    """Working days from a submitted rectification to its re-inspection."""

    normal: int = 5
    listed: int = 2

    def due(self, today: date, listed: bool) -> date | None:
        """The day a re-inspection is due, or None where the holiday calendar does not reach."""
        # Past what chinese-calendar and ANJIAN_HOLIDAY_CALENDAR know, no due day is set.
        try:
            return add_working_days(today, self.listed if listed else self.normal)
        except CalendarUnknownError:
            log.warning("review_due_unknown", today=today.isoformat())
            return None
