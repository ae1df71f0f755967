"""Working-day arithmetic on China's official calendar (public holidays and make-up days).

The calendar comes from the maintained `chinese-calendar` package; a year it does
not cover raises `CalendarUnknownError` instead of guessing.
"""

from datetime import date, timedelta

import chinese_calendar


class CalendarUnknownError(ValueError):
    """The holiday calendar does not cover a year, so working days cannot be counted."""


def is_working_day(day: date) -> bool:
    """Whether `day` is a working day, counting official make-up working days."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError as error:
        raise CalendarUnknownError(
            f"the holiday calendar has no data for {day.year}; update chinese-calendar"
        ) from error


def add_working_days(start: date, count: int) -> date:
    """The date `count` working days after `start` (start itself is not counted)."""
    if count < 1:
        raise ValueError("count must be at least 1")
    day = start
    while count:
        day += timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day
