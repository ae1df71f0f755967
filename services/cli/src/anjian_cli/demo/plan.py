"""The demo's month, decided up front from a seed: the enterprises and the cases of hazards.

A case says who finds a hazard, on which day, how it is graded and how its story ends (its
fate); the driver then plays each case out against the service as simulated time passes.
Only timing within a day and the service's answers are left to the run.
"""

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from anjian.hazard.v1 import hazard_pb2
from anjian_cli.demo import catalogue
from anjian_cli.demo.catalogue import CheckItem
from anjian_kernel.clock import CHINA_STANDARD_TIME
from anjian_kernel.identifiers import compose_credit_code, is_valid_credit_code
from anjian_kernel.tenancy import counties
from anjian_kernel.workdays import is_working_day

TENANT = "530100"
RETURN_MONTH = "2026-10"
MONTH_START = datetime(2026, 11, 2, 8, 0, tzinfo=CHINA_STANDARD_TIME)
MONTH_END = datetime(2026, 12, 1, tzinfo=CHINA_STANDARD_TIME)
LAST_INSPECTION_DAY = date(2026, 11, 27)
# A hazard meant to go overdue must be found early enough for its deadline to pass in November.
LAST_OVERDUE_FIND_DAY = date(2026, 11, 18)

SELF_FINDING_RATE = 0.07
INSPECTED_SHARE = 0.55
MAJOR_SHARE = 0.15
LISTED_SHARE = 0.5
DUPLICATE_SHARE = 0.06
UNSCHEDULED = date.min
"""The day of a case not yet given one by `_schedule`."""


class Fate(StrEnum):
    """How a hazard's story ends."""

    CLOSED = "closed on time"
    SENT_BACK = "sent back once, then closed"
    LATE = "rectified after its deadline, then closed"
    OVERDUE = "left unrectified"
    DUPLICATE = "closed as a duplicate"


class Review(StrEnum):
    """The review that sends a hazard back."""

    REINSPECTION = "reinspection"
    ACCEPTANCE = "acceptance"


class FoundBy(StrEnum):
    """Who reports a hazard."""

    ENTERPRISE = "enterprise"
    INSPECTOR = "county inspector"


@dataclass(frozen=True)
class Criterion:
    """An item of a national major-hazard checklist."""

    standard: str
    version: str
    item: str
    text: str


@dataclass(frozen=True)
class Enterprise:
    """A demo enterprise with its own checklist (一企一标准)."""

    credit_code: str
    name: str
    county: str
    industry: str
    kind: str
    """The industry, or for mines the kind of mine (underground, open-pit, tailings)."""
    checklist: tuple[CheckItem, ...]
    safety_officer: str
    return_day: date


@dataclass(eq=False)
class Case:
    """One hazard to play out."""

    key: int
    enterprise: Enterprise
    title: str
    description: str
    location: str
    measures: str
    found_by: FoundBy
    day: date
    fate: Fate
    criterion: Criterion | None = None
    listed: bool = False
    send_back_at: Review | None = None
    item_code: str | None = None
    """The checklist item a self-inspection finding failed."""
    original: "Case | None" = None


@dataclass
class MonthPlan:
    """Everything the month will do."""

    enterprises: list[Enterprise]
    cases: list[Case]
    findings: dict[str, list[Case]] = field(default_factory=dict)
    """Self-inspection findings by enterprise credit code, cited by its monthly return."""


def criteria_by_kind(
    reply: hazard_pb2.ListMajorHazardStandardsResponse,
) -> dict[str, list[Criterion]]:
    """The criteria each kind of enterprise can break, from the latest version served."""
    latest: dict[str, hazard_pb2.MajorHazardStandard] = {}
    for standard in reply.standards:
        known = latest.get(standard.standard)
        if known is None or standard.standard_version > known.standard_version:
            latest[standard.standard] = standard
    found: dict[str, list[Criterion]] = {}
    for kind, prefixes in catalogue.MAJOR_ITEM_PREFIXES.items():
        served = latest.get(catalogue.MAJOR_STANDARD[kind])
        if served is None:
            continue
        found[kind] = [
            Criterion(served.standard, served.standard_version, item.item, item.text)
            for item in served.items
            if item.item.startswith(prefixes)
        ]
    return {kind: criteria for kind, criteria in found.items() if criteria}


def november_working_days() -> list[date]:
    """Working days of the month, on China's official calendar."""
    days = (MONTH_START.date() + timedelta(days=n) for n in range(31))
    return [day for day in days if day < MONTH_END.date() and is_working_day(day)]


def plan_month(seed: int, enterprise_count: int, criteria: dict[str, list[Criterion]]) -> MonthPlan:
    """The month for `enterprise_count` enterprises, the same for the same seed and criteria."""
    rng = random.Random(seed)  # noqa: S311 - made-up demo data, nothing secret
    working_days = november_working_days()
    enterprises = list(_enterprises(rng, enterprise_count, working_days[:3]))
    plan = MonthPlan(enterprises, [])
    keys = itertools.count(1)
    for enterprise in enterprises:
        used = set()
        findings = []
        for item in enterprise.checklist:
            if rng.random() < SELF_FINDING_RATE:
                case = _item_case(next(keys), enterprise, item, FoundBy.ENTERPRISE)
                findings.append(_schedule(case, rng, enterprise.return_day))
                used.add(item.code)
        plan.findings[enterprise.credit_code] = findings
        plan.cases += findings
        for original in findings:
            if rng.random() < DUPLICATE_SHARE:
                plan.cases.append(_duplicate(next(keys), original, working_days))
        if rng.random() < INSPECTED_SHARE:
            inspection_days = [d for d in working_days[1:] if d <= LAST_INSPECTION_DAY]
            day = rng.choice(inspection_days)
            count = rng.choices([1, 2, 3], weights=[6, 3, 1])[0]
            plan.cases += _inspection(keys, rng, enterprise, day, count, used, criteria)
    return plan


def _enterprises(rng: random.Random, count: int, return_days: list[date]) -> Iterator[Enterprise]:
    """`count` enterprises with valid, distinct credit codes and names."""
    county_names = counties(TENANT)
    county_codes = sorted(county_names)
    county_weights = [
        catalogue.COUNTY_WEIGHTS.get(code, catalogue.DEFAULT_COUNTY_WEIGHT) for code in county_codes
    ]
    codes: set[str] = set()
    names: set[str] = set()
    for _ in range(count):
        county = rng.choices(county_codes, weights=county_weights)[0]
        industry = _industry(rng, county)
        kind = industry
        if industry == "mines":
            kinds = catalogue.MINE_KINDS
            kind = rng.choices(list(kinds), weights=list(kinds.values()))[0]
        general = rng.sample(catalogue.GENERAL_ITEMS, rng.randint(5, len(catalogue.GENERAL_ITEMS)))
        own = catalogue.INDUSTRY_ITEMS[industry]
        specific = rng.sample(own, rng.randint(min(2, len(own)), len(own)))
        yield Enterprise(
            credit_code=_credit_code(rng, county, codes),
            name=_name(rng, county_names[county], industry, names),
            county=county,
            industry=industry,
            kind=kind,
            checklist=tuple(sorted(general + specific, key=lambda item: item.code)),
            safety_officer=_person(rng),
            return_day=rng.choice(return_days),
        )


def _industry(rng: random.Random, county: str) -> str:
    """An industry, likelier where that industry clusters."""
    weights = dict(catalogue.INDUSTRY_WEIGHTS)
    if county in catalogue.MINING_COUNTIES:
        weights["mines"] *= catalogue.LOCAL_INDUSTRY_BOOST
    if county in catalogue.CHEMICAL_COUNTIES:
        weights["chemicals"] *= catalogue.LOCAL_INDUSTRY_BOOST
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _credit_code(rng: random.Random, county: str, taken: set[str]) -> str:
    """A valid credit code registered in `county`, not in `taken`."""
    while True:
        organisation = f"{rng.randrange(10**8):08d}"
        code = compose_credit_code("91", county, organisation)
        # An all-digit code can pass as a resident ID number, which the service refuses.
        if code not in taken and is_valid_credit_code(code):
            taken.add(code)
            return code


def _name(rng: random.Random, county_name: str, industry: str, taken: set[str]) -> str:
    """A plausible company name, not in `taken`."""
    places = ["昆明", "云南", county_name[:2]]
    for _ in range(50):
        place = rng.choice(places)
        trade = rng.choice(catalogue.TRADE_NAMES)
        name = f"{place}{trade}{rng.choice(catalogue.BUSINESSES[industry])}有限公司"
        if name not in taken:
            taken.add(name)
            return name
    branch = 2
    while f"{name[:-4]}第{branch}分公司" in taken:
        branch += 1
    taken.add(f"{name[:-4]}第{branch}分公司")
    return f"{name[:-4]}第{branch}分公司"


def _person(rng: random.Random) -> str:
    """A name for the person answerable at an enterprise."""
    return rng.choice(catalogue.SURNAMES) + rng.choice(catalogue.GIVEN_NAMES)


def _schedule(case: Case, rng: random.Random, day: date) -> Case:
    """Set the day a hazard is found and how it ends; only early finds go overdue in November."""
    if day <= LAST_OVERDUE_FIND_DAY:
        fates = {Fate.CLOSED: 71, Fate.SENT_BACK: 15, Fate.OVERDUE: 9, Fate.LATE: 5}
    else:
        fates = {Fate.CLOSED: 85, Fate.SENT_BACK: 15}
    case.day = day
    case.fate = rng.choices(list(fates), weights=list(fates.values()))[0]
    if case.fate is Fate.SENT_BACK:
        reviews = {Review.REINSPECTION: 3, Review.ACCEPTANCE: 2}
        case.send_back_at = rng.choices(list(reviews), weights=list(reviews.values()))[0]
    return case


def _item_case(key: int, enterprise: Enterprise, item: CheckItem, found_by: FoundBy) -> Case:
    """A general hazard: the finding of a failed checklist item."""
    return Case(
        key=key,
        enterprise=enterprise,
        title=item.finding,
        description=item.detail,
        location=item.location,
        measures=item.measures,
        found_by=found_by,
        day=UNSCHEDULED,
        fate=Fate.CLOSED,
        item_code=item.code,
    )


def _duplicate(key: int, original: Case, working_days: list[date]) -> Case:
    """An inspector's later report of the same hazard, to be closed as its duplicate."""
    later = [day for day in working_days if day > original.day]
    return Case(
        key=key,
        enterprise=original.enterprise,
        title=original.title,
        description=f"现场检查发现：{original.description}",
        location=original.location,
        measures=original.measures,
        found_by=FoundBy.INSPECTOR,
        day=later[0],
        fate=Fate.DUPLICATE,
        original=original,
    )


def _inspection(
    keys: Iterator[int],
    rng: random.Random,
    enterprise: Enterprise,
    day: date,
    count: int,
    used: set[str],
    criteria: dict[str, list[Criterion]],
) -> Iterator[Case]:
    """What a county inspector finds at an enterprise on `day`, none of it already reported."""
    candidates = [
        item
        for item in (*enterprise.checklist, *catalogue.INDUSTRY_ITEMS[enterprise.industry])
        if item.code not in used
    ]
    majors = [c for c in criteria.get(enterprise.kind, []) if c.item not in used]
    for _ in range(count):
        if majors and rng.random() < MAJOR_SHARE:
            criterion = majors.pop(rng.randrange(len(majors)))
            used.add(criterion.item)
            case = _major_case(next(keys), enterprise, criterion)
            case.listed = rng.random() < LISTED_SHARE
        elif candidates:
            item = candidates.pop(rng.randrange(len(candidates)))
            used.add(item.code)
            case = _item_case(next(keys), enterprise, item, FoundBy.INSPECTOR)
        else:
            return
        yield _schedule(case, rng, day)


def _major_case(key: int, enterprise: Enterprise, criterion: Criterion) -> Case:
    """A major hazard (重大事故隐患) judged under a national checklist item."""
    first_clause = criterion.text.replace("；", "，").split("，")[0].rstrip("。")
    return Case(
        key=key,
        enterprise=enterprise,
        title=f"重大事故隐患：{first_clause}"[:120],
        description=f"对照判定标准第{criterion.item}项：{criterion.text}",
        location=catalogue.MAJOR_LOCATIONS[enterprise.kind],
        measures=catalogue.MAJOR_MEASURES,
        found_by=FoundBy.INSPECTOR,
        day=UNSCHEDULED,
        fate=Fate.CLOSED,
        criterion=criterion,
    )
