"""Case deadline-timezone-holidays, kernel side: working days and China Standard Time dates."""

import json
import os
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import chinese_calendar
import pytest
from kernel_support import hazard_settings
from pydantic import ValidationError

from anjian_hazard.main import build
from anjian_kernel.clock import CHINA_STANDARD_TIME, china_date, end_of_china_day
from anjian_kernel.settings import KernelSettings
from anjian_kernel.workdays import (
    CalendarUnknownError,
    YearArrangement,
    add_working_days,
    is_working_day,
    use_calendar,
)


def official_working_days(first: date, last: date) -> list[date]:
    """The working days in [first, last] as the chinese-calendar package publishes them."""
    return [
        first + timedelta(days=n)
        for n in range((last - first).days + 1)
        if chinese_calendar.is_workday(first + timedelta(days=n))
    ]


def test_the_package_publishes_the_2026_national_day_arrangement() -> None:
    holiday = [date(2026, 10, day) for day in range(1, 8)]
    assert not any(chinese_calendar.is_workday(day) for day in holiday)
    assert chinese_calendar.is_workday(date(2026, 9, 20))
    assert chinese_calendar.is_workday(date(2026, 10, 10))
    assert date(2026, 9, 20).weekday() == 6
    assert date(2026, 10, 10).weekday() == 5


def test_national_day_days_off_are_skipped_and_make_up_days_counted() -> None:
    assert add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert add_working_days(date(2026, 9, 30), 4) == date(2026, 10, 12)
    assert add_working_days(date(2026, 9, 18), 1) == date(2026, 9, 20)
    assert not is_working_day(date(2026, 10, 1))
    assert is_working_day(date(2026, 10, 10))
    assert not is_working_day(date(2026, 10, 11))


@pytest.mark.parametrize("count", [1, 2, 5, 10, 15, 30])
@pytest.mark.parametrize("start", [date(2026, 9, 15), date(2026, 9, 25), date(2026, 10, 1)])
def test_working_days_agree_with_the_published_calendar(start: date, count: int) -> None:
    expected = official_working_days(start + timedelta(days=1), date(2026, 12, 31))[count - 1]
    assert add_working_days(start, count) == expected


def test_a_year_the_calendar_does_not_know_is_an_error_not_a_guess() -> None:
    with pytest.raises(CalendarUnknownError, match="2027"):
        is_working_day(date(2027, 3, 1))
    with pytest.raises(CalendarUnknownError, match="2027"):
        add_working_days(date(2026, 12, 25), 10)


def test_counting_zero_working_days_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        add_working_days(date(2026, 10, 8), 0)


@pytest.fixture(params=["America/Los_Angeles", "UTC", "Pacific/Kiritimati"])
def process_time_zone(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run the test with the process's local time zone set to the parameter, then restore it."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    try:
        yield request.param
    finally:
        if saved is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = saved
        time.tzset()


def test_china_dates_do_not_depend_on_the_process_time_zone(process_time_zone: str) -> None:
    late_evening = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)
    after_midnight = datetime(2026, 11, 20, 16, 30, tzinfo=UTC)
    local_dates = [
        datetime.fromtimestamp(t.timestamp()).date() for t in (late_evening, after_midnight)
    ]
    assert local_dates != [date(2026, 11, 20), date(2026, 11, 21)], process_time_zone

    assert china_date(late_evening) == date(2026, 11, 20)
    assert china_date(after_midnight) == date(2026, 11, 21)
    # A naive datetime would be read in the process's zone; the domain never hands one over,
    # but an aware instant in any zone gives the same China date.
    assert china_date(late_evening.astimezone()) == date(2026, 11, 20)

    deadline_ends = end_of_china_day(date(2026, 11, 20))
    assert deadline_ends == datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
    assert deadline_ends.utcoffset() == timedelta(hours=8)
    assert late_evening < deadline_ends <= after_midnight


def test_the_end_of_a_china_day_is_always_the_next_midnight_in_shanghai() -> None:
    day = date(2026, 1, 1)
    for _ in range(366):
        end = end_of_china_day(day)
        assert end.astimezone(CHINA_STANDARD_TIME).timetuple()[:6] == (
            *(day + timedelta(days=1)).timetuple()[:3],
            0,
            0,
            0,
        )
        assert china_date(end - timedelta(microseconds=1)) == day
        day += timedelta(days=1)


# An invented arrangement for a year the package does not know: test data, not the official one.
INVENTED_2027 = json.dumps(
    {
        "2027": {
            "source": "test data, not an official notice",
            "holidays": ["2027-01-01", "2027-01-04"],
            "workdays": ["2027-01-09"],
        }
    }
)


def settings_from_environment(calendar: str, **values: object) -> KernelSettings:
    """Kernel settings as a process would read them, with ANJIAN_HOLIDAY_CALENDAR=`calendar`."""
    os.environ["ANJIAN_HOLIDAY_CALENDAR"] = calendar
    try:
        return KernelSettings(token_secret="s" * 32, **values)
    finally:
        del os.environ["ANJIAN_HOLIDAY_CALENDAR"]


@pytest.fixture
def invented_2027() -> Iterator[dict[int, YearArrangement]]:
    """INVENTED_2027 as settings read it; no year is supplemented after the test."""
    try:
        yield settings_from_environment(INVENTED_2027).holiday_calendar
    finally:
        use_calendar({})


def test_a_year_from_the_setting_counts_where_the_package_stops(
    invented_2027: dict[int, YearArrangement],
) -> None:
    use_calendar(invented_2027)

    assert not is_working_day(date(2027, 1, 1))  # a Friday off
    assert not is_working_day(date(2027, 1, 4))  # a Monday off
    assert is_working_day(date(2027, 1, 9))  # a Saturday worked
    assert not is_working_day(date(2027, 1, 10))  # an ordinary Sunday
    # 2026-12-30 and 31 (package), then 5, 6, 7, 8 and Saturday the 9th (setting).
    assert add_working_days(date(2026, 12, 29), 7) == date(2027, 1, 9)
    with pytest.raises(CalendarUnknownError, match="ANJIAN_HOLIDAY_CALENDAR"):
        is_working_day(date(2028, 3, 1))


def test_the_setting_never_overrides_a_year_the_package_knows() -> None:
    calendar = '{"2026": {"source": "test", "holidays": ["2026-10-09"], "workdays": []}}'
    use_calendar(settings_from_environment(calendar).holiday_calendar)
    try:
        assert is_working_day(date(2026, 10, 9))
    finally:
        use_calendar({})


@pytest.mark.parametrize(
    ("calendar", "reason"),
    [
        ("{not json", "(?i)json"),
        ('{"2027": {"holidays": [], "workdays": []}}', "(?i)field required"),
        ('{"2027": {"source": "x", "holidays": ["2026-12-31"], "workdays": []}}', "another year"),
        (
            '{"2027": {"source": "x", "holidays": ["2027-01-09"], "workdays": ["2027-01-09"]}}',
            "a holiday and a working day",
        ),
        ('{"99999": {"source": "x", "holidays": [], "workdays": []}}', "this century"),
        ('{"2027": {"source": "x", "holidays": [], "workdays": ["2027-01-11"]}}', "a weekday"),
    ],
    ids=[
        "not-json",
        "no-source",
        "day-of-another-year",
        "day-in-both-lists",
        "year-99999",
        "weekday-as-workday",
    ],
)
def test_a_bad_holiday_calendar_is_refused_naming_the_setting(calendar: str, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason) as refused:
        settings_from_environment(calendar)
    assert refused.value.errors()[0]["loc"][0] == "holiday_calendar"


async def test_a_service_counts_by_the_holiday_calendar_of_its_settings(
    invented_2027: dict[int, YearArrangement],
) -> None:
    settings = hazard_settings(
        "postgresql+asyncpg://127.0.0.1:1/unused_{tenant}",
        "nats://127.0.0.1:1",
        holiday_calendar=invented_2027,
    )

    host = build(settings)

    assert host.port > 0
    assert is_working_day(date(2027, 1, 9))
