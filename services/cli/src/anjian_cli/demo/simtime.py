"""Simulated time as the demo driver sees it: the services' clock, and office hours.

The driver builds the same `SimulatedClock` from the same start, anchor and rate that it
handed the services, so "today" means the same day on both sides of every call.
"""

import asyncio
import random
import time
from datetime import date, datetime, timedelta

from anjian_kernel.clock import CHINA_STANDARD_TIME, SimulatedClock, china_date
from anjian_kernel.workdays import add_working_days, is_working_day

OFFICE_OPENS = timedelta(hours=8, minutes=30)
OFFICE_CLOSES = timedelta(hours=17, minutes=30)
# Nothing new starts in the last half hour of the day.
LAST_START = OFFICE_CLOSES - timedelta(minutes=30)
SHORTEST_GAP = timedelta(minutes=10)


class DemoClock:
    """The services' simulated clock, plus waiting for a simulated instant."""

    def __init__(self, start: datetime, anchor: float, rate: float) -> None:
        """The clock that reads `start` at real epoch second `anchor`, running `rate` times fast."""
        self.start = start
        self.anchor = anchor
        self.rate = rate
        self._clock = SimulatedClock(start, anchor, rate)

    def now(self) -> datetime:
        """The simulated instant, in China Standard Time."""
        return self._clock.now().astimezone(CHINA_STANDARD_TIME)

    def today(self) -> date:
        """The simulated calendar date in China Standard Time."""
        return china_date(self._clock.now())

    async def until(self, instant: datetime) -> None:
        """Sleep until the simulated clock reads `instant` (at once if it already has)."""
        real = self.anchor + (instant - self.start).total_seconds() / self.rate
        delay = real - time.time()
        if delay > 0:
            await asyncio.sleep(delay)


def midnight(day: date) -> datetime:
    """The start of `day` in China Standard Time."""
    return datetime(day.year, day.month, day.day, tzinfo=CHINA_STANDARD_TIME)


def office_time(day: date, rng: random.Random, not_before: datetime | None = None) -> datetime:
    """A moment in office hours on `day`, not before `not_before`.

    If `not_before` leaves no room that day, the moment is `not_before` plus a short gap,
    which may fall after hours: work that is late still gets done.
    """
    opens = midnight(day) + OFFICE_OPENS
    earliest = max(opens, not_before + SHORTEST_GAP) if not_before else opens
    latest = midnight(day) + LAST_START
    if earliest >= latest:
        return earliest
    return earliest + (latest - earliest) * rng.random()


def office_time_after(after: datetime, working_days: int, rng: random.Random) -> datetime:
    """A moment in office hours `working_days` working days after `after` (0: later that day).

    With 0, a moment after the day's last start moves to the next working day.
    """
    day = china_date(after)
    if working_days == 0:
        same_day_room = after + SHORTEST_GAP < midnight(day) + LAST_START
        if is_working_day(day) and same_day_room:
            return office_time(day, rng, after)
        working_days = 1
    return office_time(add_working_days(day, working_days), rng, after)
