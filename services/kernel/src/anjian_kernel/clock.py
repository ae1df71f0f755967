"""The domain's clock. Deadlines are China Standard Time calendar dates.

Production uses the system clock. The demo runs a month in minutes with a
simulated clock that every process computes alike from the same start,
anchor and rate, so services and the demo driver agree on "now".
"""

import time
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

CHINA_STANDARD_TIME = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    """Source of the current instant."""

    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        """The current instant in UTC."""
        return datetime.now(UTC)


class SimulatedClock:
    """A clock that started at `start` when real time was `anchor` and runs `rate` times fast."""

    def __init__(self, start: datetime, anchor: float, rate: float) -> None:
        self._start = start
        self._anchor = anchor
        self._rate = rate

    def now(self) -> datetime:
        """The simulated instant in UTC."""
        elapsed = (time.time() - self._anchor) * self._rate
        return (self._start + timedelta(seconds=elapsed)).astimezone(UTC)


def make_clock(start: datetime | None, anchor: float | None, rate: float) -> Clock:
    """The system clock, or a simulated one when a start is given."""
    if start is None:
        return SystemClock()
    return SimulatedClock(start, anchor if anchor is not None else time.time(), rate)


def china_date(instant: datetime) -> date:
    """The calendar date in China Standard Time at an instant."""
    return instant.astimezone(CHINA_STANDARD_TIME).date()


def end_of_china_day(day: date) -> datetime:
    """The first instant after `day` ends in China Standard Time."""
    start = datetime(day.year, day.month, day.day, tzinfo=CHINA_STANDARD_TIME)
    return start + timedelta(days=1)
