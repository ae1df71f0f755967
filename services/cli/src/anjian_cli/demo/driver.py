"""Plays the planned month against the hazard service over gRPC, paced by simulated time.

Every enterprise and every hazard case is a coroutine that sleeps until the simulated
moment of its next step and then makes the call with the token of whoever takes that step:
the enterprise's safety officer, the county's inspector, or the prefecture's inspector for
major hazards. A semaphore bounds the calls in flight, so a few hundred stories share the
service without swamping it.
"""

import asyncio
import itertools
import random
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TypeVar

import grpc
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from google.type.date_pb2 import Date

from anjian.hazard.v1 import hazard_pb2, hazard_pb2_grpc
from anjian_cli.demo import catalogue
from anjian_cli.demo.plan import (
    MONTH_END,
    RETURN_MONTH,
    TENANT,
    Case,
    Enterprise,
    Fate,
    FoundBy,
    MonthPlan,
    Review,
)
from anjian_cli.demo.simtime import DemoClock, office_time, office_time_after
from anjian_kernel.auth import Principal, Role, issue_token
from anjian_kernel.workdays import add_working_days, is_working_day

PARENT = f"prefectures/{TENANT}"
CALL_TIMEOUT = 30.0
CHANGE_ATTEMPTS = 3
LAST_DAY = MONTH_END.date() - timedelta(days=1)
DATE_LEAD = timedelta(days=2)
# Deadlines of hazards meant to go overdue fall early enough for detection within the month.
LAST_OVERDUE_DEADLINE = LAST_DAY - timedelta(days=4)

Reply = TypeVar("Reply", bound=Message)
HazardChange = Callable[..., Awaitable[hazard_pb2.Hazard]]
# The requests of the reviews, alike but for their type: a name, an etag and notes.
ReviewRequest = (
    type[hazard_pb2.ReinspectHazardRequest]
    | type[hazard_pb2.AcceptHazardRequest]
    | type[hazard_pb2.CloseHazardRequest]
)
# The requests that `_with_etag` copies: each has an etag to refresh.
Etagged = TypeVar(
    "Etagged",
    hazard_pb2.GradeHazardRequest,
    hazard_pb2.PlaceUnderListedSupervisionRequest,
    hazard_pb2.AssignRectificationRequest,
)


@dataclass(frozen=True)
class Failure:
    """A call that the service refused or that failed."""

    step: str
    subject: str
    code: str
    details: str


@dataclass
class Activity:
    """What the driver has done so far."""

    calls: int = 0
    """Every call, the credit steps after the month included."""
    month_calls: int = 0
    """Of those, the calls made within the month, as its progress bar ended."""
    checklists: int = 0
    returns: int = 0
    cited: int = 0
    reported: int = 0
    listed: int = 0
    flagged_duplicates: int = 0
    retried: int = 0
    failures: list[Failure] = field(default_factory=list)


class Tokens:
    """Signed tokens for everyone who acts in the demo, made once each."""

    def __init__(self, secret: str) -> None:
        """Tokens signed with the stack's secret."""
        self._secret = secret
        self._issued: dict[tuple[str, str | None, str | None], str] = {}

    def _token(self, role: Role, county: str | None = None, enterprise: str | None = None) -> str:
        key = (role.value, county, enterprise)
        if key not in self._issued:
            subject = f"{role.value}-{enterprise or county or TENANT}"
            principal = Principal(subject, TENANT, role, county=county, enterprise=enterprise)
            self._issued[key] = issue_token(self._secret, principal)
        return self._issued[key]

    def enterprise(self, enterprise: Enterprise) -> str:
        """The enterprise's safety officer: acts for that enterprise only."""
        return self._token(Role.ENTERPRISE, enterprise=enterprise.credit_code)

    def county_inspector(self, county: str) -> str:
        """An inspector scoped to one county."""
        return self._token(Role.INSPECTOR, county=county)

    def prefecture_inspector(self) -> str:
        """An inspector of the prefecture's emergency management bureau (no county scope)."""
        return self._token(Role.INSPECTOR)

    def partner(self) -> str:
        """A partner token, as the gateway holds for the anonymous public credit query."""
        return self._token(Role.PARTNER)


class Driver:
    """Runs every story of a month plan to its end or to the end of the month."""

    def __init__(
        self,
        channel: grpc.aio.Channel,
        clock: DemoClock,
        secret: str,
        plan: MonthPlan,
        *,
        concurrency: int,
        seed: int,
    ) -> None:
        """A driver calling the service on `channel` with tokens signed by `secret`."""
        self.hazards = hazard_pb2_grpc.HazardServiceStub(channel)
        self.self_inspection = hazard_pb2_grpc.SelfInspectionServiceStub(channel)
        self.clock = clock
        self.tokens = Tokens(secret)
        self.plan = plan
        self.seed = seed
        self.activity = Activity()
        self._slots = asyncio.Semaphore(concurrency)
        self._documents = itertools.count(1)
        self._reported: dict[int, asyncio.Future[tuple[str, datetime] | None]] = {}

    async def run(self) -> None:
        """Play the month; returns when every story has ended."""
        loop = asyncio.get_running_loop()
        self._reported = {case.key: loop.create_future() for case in self.plan.cases}
        stories = [self._enterprise(enterprise) for enterprise in self.plan.enterprises]
        stories += [CaseStory(self, case).run() for case in self.plan.cases]
        await asyncio.gather(*stories)

    def rng(self, *key: object) -> random.Random:
        """A generator of its own for each story, so stories do not disturb each other."""
        return random.Random(":".join(map(str, (self.seed, *key))))  # noqa: S311 - demo data

    def reported(self, case: Case) -> asyncio.Future[tuple[str, datetime] | None]:
        """Resolves to the case's hazard name and report time, or None if it was never reported."""
        return self._reported[case.key]

    def next_document(self) -> str:
        """The number of the next listed-supervision notice."""
        return catalogue.LISTING_DOCUMENT.format(number=next(self._documents))

    async def rpc(
        self, method: Callable[..., Awaitable[Reply]], request: Message, bearer: str
    ) -> Reply:
        """One call with the caller's token, counted, within the concurrency bound."""
        async with self._slots:
            self.activity.calls += 1
            return await method(
                request, metadata=(("authorization", f"Bearer {bearer}"),), timeout=CALL_TIMEOUT
            )

    async def call(
        self,
        step: str,
        subject: str,
        method: Callable[..., Awaitable[Reply]],
        request: Message,
        bearer: str,
    ) -> Reply | None:
        """`rpc`, with a failure recorded (and None returned) instead of raised."""
        try:
            return await self.rpc(method, request, bearer)
        except grpc.aio.AioRpcError as error:
            self.fail(step, subject, error)
            return None

    def fail(self, step: str, subject: str, error: grpc.aio.AioRpcError) -> None:
        """Record a failed call."""
        self.activity.failures.append(
            Failure(step, subject, error.code().name, error.details() or "")
        )

    async def at(self, instant: datetime) -> bool:
        """Wait for a simulated instant; False, without waiting, if it is after the month."""
        if instant >= MONTH_END:
            return False
        await self.clock.until(instant)
        return True

    async def _enterprise(self, enterprise: Enterprise) -> None:
        """Set up the enterprise's own checklist, then file its return for October."""
        rng = self.rng("enterprise", enterprise.credit_code)
        if not await self.at(office_time(enterprise.return_day, rng)):
            return
        bearer = self.tokens.enterprise(enterprise)
        checklist = hazard_pb2.Checklist(
            enterprise_credit_code=enterprise.credit_code,
            items=[
                hazard_pb2.ChecklistItem(code=item.code, text=item.text)
                for item in enterprise.checklist
            ],
        )
        created = await self.call(
            "CreateChecklist",
            enterprise.credit_code,
            self.self_inspection.CreateChecklist,
            hazard_pb2.CreateChecklistRequest(parent=PARENT, checklist=checklist),
            bearer,
        )
        if created is None:
            return
        self.activity.checklists += 1

        findings = self.plan.findings[enterprise.credit_code]
        outcomes = [await self.reported(case) for case in findings]
        cited = [outcome[0] for outcome in outcomes if outcome is not None]
        last = max([self.clock.now(), *(outcome[1] for outcome in outcomes if outcome)])
        if not await self.at(office_time_after(last, 0, rng)):
            return
        failed = {case.item_code: case.title for case in findings}
        results = [
            hazard_pb2.ItemResult(
                code=item.code,
                compliant=item.code not in failed,
                notes=f"发现隐患：{failed[item.code]}，已登记整改" if item.code in failed else "",
            )
            for item in enterprise.checklist
        ]
        filed = await self.call(
            "SubmitSelfInspectionReturn",
            enterprise.credit_code,
            self.self_inspection.SubmitSelfInspectionReturn,
            hazard_pb2.SubmitSelfInspectionReturnRequest(
                parent=PARENT,
                self_inspection_return=hazard_pb2.SelfInspectionReturn(
                    enterprise_credit_code=enterprise.credit_code,
                    month=RETURN_MONTH,
                    results=results,
                    hazards=cited,
                ),
                request_id=str(uuid.uuid4()),
            ),
            bearer,
        )
        if filed is not None:
            self.activity.returns += 1
            self.activity.cited += len(cited)


class CaseStory:
    """One hazard from its report to its end: closed, duplicate, overdue, or month's end."""

    def __init__(self, driver: Driver, case: Case) -> None:
        """The story of `case`, told through `driver`."""
        self.driver = driver
        self.case = case
        self.rng = driver.rng("case", case.key)
        self.hazard = hazard_pb2.Hazard()
        self.moment = driver.clock.now()
        self.original_name = ""
        enterprise = case.enterprise
        self.enterprise = driver.tokens.enterprise(enterprise)
        self.inspector = driver.tokens.county_inspector(enterprise.county)
        # Major hazards are accepted and closed by the prefecture's bureau, general ones locally.
        self.acceptor = driver.tokens.prefecture_inspector() if case.criterion else self.inspector

    async def run(self) -> None:
        """Play the case; whatever happens, let anyone waiting for its report go on."""
        reported = self.driver.reported(self.case)
        try:
            await self._play()
        finally:
            if not reported.done():
                reported.set_result(None)

    async def _play(self) -> None:
        if not await self._report():
            return
        if self.case.fate is Fate.DUPLICATE:
            await self._mark_duplicate()
            return
        if not await self._grade_and_assign() or self.case.fate is Fate.OVERDUE:
            return
        await self._rectify_until_closed()

    async def _wait(self, instant: datetime) -> bool:
        """Wait for `instant`; afterwards the story's moment is the simulated now."""
        if not await self.driver.at(instant):
            return False
        self.moment = max(instant, self.driver.clock.now())
        return True

    async def _later(self, working_days: int) -> bool:
        """Wait for office hours `working_days` working days on (0: later the same day)."""
        return await self._wait(office_time_after(self.moment, working_days, self.rng))

    async def _report(self) -> bool:
        """Report the hazard; an inspector's duplicate comes after the original's report."""
        not_before = None
        if self.case.original is not None:
            original = await self.driver.reported(self.case.original)
            if original is None:
                return False
            self.original_name, not_before = original
        if not await self._wait(office_time(self.case.day, self.rng, not_before)):
            return False
        case = self.case
        found = self.moment - timedelta(hours=self.rng.uniform(0.5, 6))
        if case.found_by is FoundBy.ENTERPRISE:
            # A self-inspection finding was made during October's inspection.
            found = self.moment - timedelta(days=self.rng.uniform(2, 8))
        find_time = Timestamp()
        find_time.FromDatetime(found)
        hazard = hazard_pb2.Hazard(
            enterprise_credit_code=case.enterprise.credit_code,
            enterprise_name=case.enterprise.name,
            county_code=case.enterprise.county,
            title=case.title,
            description=case.description,
            location=case.location,
            industry=case.enterprise.industry,
            find_time=find_time,
        )
        reporter = self.enterprise if case.found_by is FoundBy.ENTERPRISE else self.inspector
        reported = await self.driver.call(
            "ReportHazard",
            case.enterprise.credit_code,
            self.driver.hazards.ReportHazard,
            hazard_pb2.ReportHazardRequest(
                parent=PARENT, hazard=hazard, request_id=str(uuid.uuid4())
            ),
            reporter,
        )
        if reported is None:
            return False
        self.hazard = reported
        self.driver.activity.reported += 1
        self.driver.reported(case).set_result((reported.name, self.moment))
        return True

    async def _mark_duplicate(self) -> None:
        """Close the inspector's report as a duplicate of the enterprise's own."""
        if self.hazard.likely_duplicate_of == self.original_name:
            self.driver.activity.flagged_duplicates += 1
        if not await self._later(0):
            return
        await self._change(
            self.driver.hazards.MarkDuplicateHazard,
            lambda etag: hazard_pb2.MarkDuplicateHazardRequest(
                name=self.hazard.name,
                etag=etag,
                original=self.original_name,
                reason="与企业自查上报的隐患为同一隐患，按原隐患跟踪整改",
            ),
            self.inspector,
        )

    async def _grade_and_assign(self) -> bool:
        """Grade (major with its criterion), list it if planned, and order rectification."""
        if not await self._later(self.rng.choice([0, 1, 1, 2])):
            return False
        criterion = self.case.criterion
        grade = hazard_pb2.GradeHazardRequest(
            name=self.hazard.name, grade=hazard_pb2.HAZARD_GRADE_GENERAL, reason="一般事故隐患"
        )
        if criterion is not None:
            grade.grade = hazard_pb2.HAZARD_GRADE_MAJOR
            grade.criterion.CopyFrom(
                hazard_pb2.MajorHazardCriterion(
                    standard=criterion.standard,
                    standard_version=criterion.version,
                    item=criterion.item,
                )
            )
            grade.reason = f"依据判定标准{criterion.item}项判定为重大事故隐患"
        if not await self._change(
            self.driver.hazards.GradeHazard, _with_etag(grade), self.inspector
        ):
            return False

        if self.case.listed:
            listing = hazard_pb2.PlaceUnderListedSupervisionRequest(
                name=self.hazard.name,
                authority=catalogue.PREFECTURE_AUTHORITY,
                document_number=self.driver.next_document(),
            )
            if not await self._change(
                self.driver.hazards.PlaceUnderListedSupervision,
                _with_etag(listing),
                self.driver.tokens.prefecture_inspector(),
            ):
                return False
            self.driver.activity.listed += 1

        assign = self._rectification_order()
        return await self._change(
            self.driver.hazards.AssignRectification,
            _with_etag(assign),
            self.inspector,
        )

    def _rectification_order(self) -> hazard_pb2.AssignRectificationRequest:
        """The order: a deadline in November by date, or a count of working days.

        A date deadline is set at least two days ahead, so the order stays valid even if
        the driver lags behind the clock past a midnight; near the month's end only working
        days remain, which the service counts from its own today (into December).
        """
        today = self.driver.clock.today()
        order = hazard_pb2.AssignRectificationRequest(
            name=self.hazard.name,
            measures=self.case.measures,
            responsible_person=self.case.enterprise.safety_officer,
            production_stopped=self.case.criterion is not None and self.rng.random() < 0.6,
        )
        if self.case.fate in (Fate.OVERDUE, Fate.LATE):
            day = today + timedelta(days=self.rng.randint(2, 6))
            order.deadline.CopyFrom(
                proto_date(max(min(day, LAST_OVERDUE_DEADLINE), today + DATE_LEAD))
            )
            return order
        working_days = self.rng.randint(10, 15) if self.case.criterion else self.rng.randint(5, 10)
        if self.rng.random() < 0.5 or today + DATE_LEAD > LAST_DAY:
            order.working_days = working_days
        else:
            day = today + timedelta(days=working_days + self.rng.randint(0, 4))
            order.deadline.CopyFrom(proto_date(min(day, LAST_DAY)))
        return order

    async def _rectify_until_closed(self) -> None:
        """Submit, then re-inspect, accept and close; the planned review sends it back once."""
        send_back_at = self.case.send_back_at if self.case.fate is Fate.SENT_BACK else None
        if not await self._wait(self._first_submission()):
            return
        while await self._submit() and await self._later(self.rng.choice([1, 1, 2])):
            if not await self._reviews(send_back_at):
                return
            send_back_at = None

    async def _reviews(self, send_back_at: Review | None) -> bool:
        """Re-inspection, acceptance and closing; True if a review sent it back to resubmit."""
        hazards = self.driver.hazards
        reviews: list[tuple[Review, HazardChange, ReviewRequest, str, tuple[str, str]]] = [
            (
                Review.REINSPECTION,
                hazards.ReinspectHazard,
                hazard_pb2.ReinspectHazardRequest,
                self.inspector,
                ("复查合格", "复查发现整改不到位，需重新整改"),
            ),
            (
                Review.ACCEPTANCE,
                hazards.AcceptHazard,
                hazard_pb2.AcceptHazardRequest,
                self.acceptor,
                ("验收合格", "验收资料不全，整改措施未闭环"),
            ),
        ]
        for review, method, request_type, bearer, (passed, failed) in reviews:
            if review is send_back_at:
                return await self._send_back(failed, bearer)
            reviewed = await self._review(method, request_type, bearer, passed)
            if not reviewed or not await self._later(self.rng.choice([0, 1, 2])):
                return False
        closing = hazard_pb2.CloseHazardRequest
        await self._review(hazards.CloseHazard, closing, self.acceptor, "整改完成，予以销号")
        return False

    def _first_submission(self) -> datetime:
        """When the enterprise reports the rectification done: before the deadline, or late."""
        deadline = _from_date(self.hazard.rectification.deadline)
        today = self.driver.clock.today()
        if self.case.fate is Fate.LATE:
            day = add_working_days(deadline, self.rng.randint(1, 3))
        else:
            days = (today + timedelta(days=n) for n in range(1, (deadline - today).days))
            before = [day for day in days if is_working_day(day)]
            day = self.rng.choice(before) if before else deadline
        return office_time(day, self.rng, self.moment)

    async def _submit(self) -> bool:
        return await self._change(
            self.driver.hazards.SubmitRectification,
            lambda etag: hazard_pb2.SubmitRectificationRequest(
                name=self.hazard.name, etag=etag, report=f"已按要求整改：{self.case.measures}"
            ),
            self.enterprise,
        )

    async def _send_back(self, reason: str, bearer: str) -> bool:
        sent_back = await self._change(
            self.driver.hazards.SendBackHazard,
            lambda etag: hazard_pb2.SendBackHazardRequest(
                name=self.hazard.name, etag=etag, reason=reason
            ),
            bearer,
        )
        return sent_back and await self._later(self.rng.choice([1, 2, 3]))

    async def _review(
        self,
        method: HazardChange,
        request_type: ReviewRequest,
        bearer: str,
        notes: str,
    ) -> bool:
        """Re-inspection, acceptance or closing: requests alike but for their type."""
        return await self._change(
            method,
            lambda etag: request_type(name=self.hazard.name, etag=etag, notes=notes),
            bearer,
        )

    async def _change(
        self,
        method: HazardChange,
        build: Callable[[str], Message],
        bearer: str,
    ) -> bool:
        """One change with the etag last read; after ABORTED, read the hazard again and retry.

        Overdue detection changes a hazard under rectification behind the driver's back,
        so a stale etag is expected now and then: the service says to read and retry.
        """
        for attempt in range(CHANGE_ATTEMPTS):
            request = build(self.hazard.etag)
            try:
                self.hazard = await self.driver.rpc(method, request, bearer)
                return True
            except grpc.aio.AioRpcError as error:
                if error.code() != grpc.StatusCode.ABORTED or attempt == CHANGE_ATTEMPTS - 1:
                    step = request.DESCRIPTOR.name.removesuffix("Request")
                    self.driver.fail(step, self.hazard.name, error)
                    return False
            self.driver.activity.retried += 1
            fresh = await self.driver.call(
                "GetHazard",
                self.hazard.name,
                self.driver.hazards.GetHazard,
                hazard_pb2.GetHazardRequest(name=self.hazard.name),
                bearer,
            )
            if fresh is None:
                return False
            self.hazard = fresh
        return False


def _with_etag(request: Etagged) -> Callable[[str], Etagged]:
    """A request builder that sets the etag on a copy of `request`."""

    def build(etag: str) -> Etagged:
        copy = type(request)()
        copy.CopyFrom(request)
        copy.etag = etag
        return copy

    return build


def proto_date(day: date) -> Date:
    """A calendar day as google.type.Date."""
    return Date(year=day.year, month=day.month, day=day.day)


def _from_date(message: Date) -> date:
    return date(message.year, message.month, message.day)
