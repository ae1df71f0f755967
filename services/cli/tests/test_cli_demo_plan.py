"""The demo's month plan: valid enterprises, sensible cases, the same month for the same seed."""

import random
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest

from anjian.hazard.v1 import hazard_pb2
from anjian_cli.demo.plan import (
    LAST_OVERDUE_FIND_DAY,
    MONTH_END,
    Fate,
    FoundBy,
    criteria_by_kind,
    plan_month,
)
from anjian_cli.demo.run import DemoError, clock_rate, prepare_data_dir
from anjian_cli.demo.simtime import office_time_after
from anjian_hazard.standards import load_standards
from anjian_kernel.clock import CHINA_STANDARD_TIME
from anjian_kernel.identifiers import is_valid_credit_code
from anjian_kernel.tenancy import counties
from anjian_kernel.workdays import is_working_day


def served_standards() -> hazard_pb2.ListMajorHazardStandardsResponse:
    """The standards as ListMajorHazardStandards answers, built from the service's own data."""
    return hazard_pb2.ListMajorHazardStandardsResponse(
        standards=[
            hazard_pb2.MajorHazardStandard(
                standard=standard.standard,
                standard_version=standard.version,
                items=[
                    hazard_pb2.MajorHazardStandardItem(item=code, text=text)
                    for code, text in standard.items.items()
                ],
            )
            for standard in load_standards().values()
        ]
    )


@pytest.fixture(scope="module")
def criteria() -> dict[str, list]:
    return criteria_by_kind(served_standards())


def test_every_kind_with_a_national_checklist_gets_criteria(criteria: dict[str, list]) -> None:
    assert set(criteria) == {
        "industry-trade",
        "chemicals",
        "mines-underground",
        "mines-open-pit",
        "mines-tailings",
    }
    assert {c.version for c in criteria["chemicals"]} == {"2017"}
    assert all(c.item.startswith("MN-2022-T") for c in criteria["mines-tailings"])


def test_enterprises_are_valid_distinct_and_spread_over_kunming(criteria: dict[str, list]) -> None:
    plan = plan_month(7, 300, criteria)

    codes = [e.credit_code for e in plan.enterprises]
    assert all(is_valid_credit_code(code) for code in codes)
    assert len(set(codes)) == len(set(e.name for e in plan.enterprises)) == 300
    assert {e.county for e in plan.enterprises} <= set(counties("530100"))
    assert len({e.county for e in plan.enterprises}) >= 10
    assert len({e.industry for e in plan.enterprises}) >= 5
    assert all(code[2:8] == e.county for code, e in zip(codes, plan.enterprises, strict=True))
    assert all(len(e.checklist) >= 5 for e in plan.enterprises)
    assert all(is_working_day(e.return_day) for e in plan.enterprises)


def test_cases_cover_every_fate_and_keep_to_their_rules(criteria: dict[str, list]) -> None:
    plan = plan_month(7, 300, criteria)

    fates = Counter(case.fate for case in plan.cases)
    assert set(fates) == set(Fate)
    assert 300 < len(plan.cases) < 700
    for case in plan.cases:
        assert case.day < MONTH_END.date()
        if case.fate in (Fate.OVERDUE, Fate.LATE):
            assert case.day <= LAST_OVERDUE_FIND_DAY
        if case.fate is Fate.DUPLICATE:
            assert case.original is not None
            assert case.original.enterprise is case.enterprise
            assert (case.title, case.location) == (case.original.title, case.original.location)
            assert case.day > case.original.day
        if case.criterion is not None:
            assert case.found_by is FoundBy.INSPECTOR
            assert case.criterion in criteria[case.enterprise.kind]
    majors = [case for case in plan.cases if case.criterion]
    assert majors
    assert any(case.listed for case in majors)


def test_self_inspection_findings_are_checklist_items(criteria: dict[str, list]) -> None:
    plan = plan_month(7, 300, criteria)

    for enterprise in plan.enterprises:
        own = {item.code for item in enterprise.checklist}
        for case in plan.findings[enterprise.credit_code]:
            assert case.found_by is FoundBy.ENTERPRISE
            assert case.item_code in own
            assert case.day == enterprise.return_day


def test_same_seed_same_month(criteria: dict[str, list]) -> None:
    first, second = plan_month(11, 50, criteria), plan_month(11, 50, criteria)

    assert first.enterprises == second.enterprises
    assert [(c.title, c.day, c.fate) for c in first.cases] == [
        (c.title, c.day, c.fate) for c in second.cases
    ]


def test_two_minutes_make_the_month_pass_at_about_twenty_thousand_times() -> None:
    assert 20_000 < clock_rate(2) < 21_000


def test_work_after_hours_moves_to_the_next_working_day() -> None:
    friday_evening = datetime(2026, 11, 6, 18, 0, tzinfo=CHINA_STANDARD_TIME)

    moment = office_time_after(friday_evening, 0, random.Random(1))

    assert moment.date() == date(2026, 11, 9)
    assert 8 <= moment.hour < 17


def test_demo_refuses_a_data_dir_that_is_not_its_own(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")

    with pytest.raises(DemoError, match="something other than demo data"):
        prepare_data_dir(tmp_path)
    assert (tmp_path / "precious.txt").exists()


def test_demo_empties_its_own_data_dir(tmp_path: Path) -> None:
    prepare_data_dir(tmp_path / "demo")
    (tmp_path / "demo" / "old.log").write_text("last run")

    prepare_data_dir(tmp_path / "demo")

    assert not (tmp_path / "demo" / "old.log").exists()
