"""Working-day arithmetic on China's official calendar (public holidays and make-up days).

The calendar comes from the maintained `chinese-calendar` package. The State Council
publishes a year's arrangement (国务院办公厅关于某年部分节假日安排的通知) late in the
year before, often before the package has it; a deployment can then give that year in
`ANJIAN_HOLIDAY_CALENDAR` (JSON), which counts only for years the package does not cover.
A year neither covers raises `CalendarUnknownError` instead of guessing.
"""

from collections.abc import Mapping
from datetime import date, timedelta

import chinese_calendar
from pydantic import BaseModel, ConfigDict, Field


class CalendarUnknownError(ValueError):
    """The holiday calendar does not cover a year, so working days cannot be counted."""


class YearArrangement(BaseModel):
    """One year's official arrangement: its days off and its make-up working days."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(min_length=1, description="The notice it comes from, to check it by.")
    holidays: frozenset[date] = Field(description="Weekdays that are days off.")
    workdays: frozenset[date] = Field(description="Weekend days that are working days.")

    def counts_as_working(self, day: date) -> bool:
        """Whether `day` of this year is a working day."""
        if day in self.workdays:
            return True
        return day not in self.holidays and day.weekday() < 5


_supplement: dict[int, YearArrangement] = {}


def check_arrangements(years: Mapping[int, YearArrangement]) -> None:
    """Refuse arrangements of an unlikely year, or that list a day of another year, a day
    as both kinds, or a weekday as a weekend day worked."""
    for year, arrangement in years.items():
        if not 2000 <= year <= 2099:
            raise ValueError(f"{year} is not a year of this century")
        if weekday := sorted(day for day in arrangement.workdays if day.weekday() < 5):
            raise ValueError(f"{year}: {weekday[0]} is a weekday; workdays lists weekend days")
        days = arrangement.holidays | arrangement.workdays
        if stray := sorted(day for day in days if day.year != year):
            raise ValueError(f"{year} lists a day of another year, {stray[0]}")
        if both := sorted(arrangement.holidays & arrangement.workdays):
            raise ValueError(f"{year} lists {both[0]} as a holiday and a working day")


def use_calendar(years: Mapping[int, YearArrangement]) -> None:
    """Count working days of `years` by these arrangements where the package has none."""
    _supplement.clear()
    _supplement.update(years)


def is_working_day(day: date) -> bool:
    """Whether `day` is a working day, counting official make-up working days."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError as error:
        arrangement = _supplement.get(day.year)
        if arrangement is not None:
            return arrangement.counts_as_working(day)
        raise CalendarUnknownError(
            f"the holiday calendar has no data for {day.year}; update chinese-calendar "
            "or give the year's official arrangement in ANJIAN_HOLIDAY_CALENDAR"
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
