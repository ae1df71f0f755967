"""After the month: what the credit service made of it, one listing and one credit repair.

The credit service turns hazard events into credit records on its own; the demo waits
until every record the rule table promises for the month's events is there and reads the
scores. Then the prefecture's bureau (昆明市应急管理局) puts the worst offender on the
serious-dishonesty list (严重失信主体名单), which the hazard service hears and answers by
flagging that enterprise's next hazard for closer inspection; the newly listed enterprise's
application for credit repair (信用修复) is refused as too early, while an enterprise
listed a year before applies, and the bureau approves.
"""

import asyncio
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

import asyncpg
import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from anjian.credit.v1 import credit_pb2, credit_pb2_grpc
from anjian.events.v1.hazard_events_pb2 import HazardEvent
from anjian.hazard.v1 import hazard_pb2
from anjian_cli.demo import catalogue
from anjian_cli.demo.credit_rules import EventRule, ExpectedRecord, event_rules, expected_records
from anjian_cli.demo.driver import PARENT, Driver, proto_date
from anjian_cli.demo.plan import Enterprise
from anjian_cli.demo.summary import MonthSummary

# Real seconds to wait for the credit service to record the month, and for the hazard
# service to hear of a listing; both normally take well under a second.
RECORDS_TIMEOUT = 60.0
HEARD_TIMEOUT = 30.0
POLL_EVERY = 0.25
PAGE_SIZE = 500
BUREAU = catalogue.PREFECTURE_AUTHORITY
# The enterprise that applies for repair was listed for an accident it concealed in 2025;
# under the 2023 rules repair may be applied for 12 months after the listing starts.
PAST_LISTING_START = date(2025, 10, 15)
PAST_FACTS = "2025年9月3日较大生产安全事故（瞒报）"
REPAIR_STATEMENT = (
    "事故整改措施已全部落实，主要负责人和安全管理人员已完成复训，"
    "列入名单满12个月以来未发生新的失信行为，申请信用修复，提前移出严重失信主体名单。"
)
APPROVAL_REASON = "经核查，整改到位，已满最短公示期，公开信用承诺，同意信用修复"
EARLY_STATEMENT = "已缴纳罚款并制定重大事故隐患治理方案，申请信用修复。"


@dataclass(frozen=True)
class Standing:
    """An enterprise with overdue hazards in the month, as the credit service scores it."""

    enterprise: Enterprise
    overdue: list[HazardEvent]
    records: list[credit_pb2.CreditRecord]
    score: credit_pb2.CreditScore

    @property
    def overdue_major(self) -> list[HazardEvent]:
        """The overdue events of major hazards."""
        return [e for e in self.overdue if e.hazard.grade == hazard_pb2.HAZARD_GRADE_MAJOR]

    def badness(self) -> tuple[int, int, int, str]:
        """Sort key, worst first: most overdue major hazards, most overdue, lowest score."""
        code = self.enterprise.credit_code
        return (-len(self.overdue_major), -len(self.overdue), self.score.score, code)


@dataclass
class CreditOutcome:
    """What the credit phase found and did; None where a step did not happen."""

    rules: list[EventRule]
    expected: dict[str, ExpectedRecord]
    """The record each of the month's events should lead to, by event id."""
    records: dict[str, list[credit_pb2.CreditRecord]]
    """Records of the month's events, by credit code."""
    unrecorded: set[str]
    """Ids of expected events still without a record when the wait ended."""
    standings: list[Standing]
    """Enterprises with overdue hazards, worst first."""
    listing: credit_pb2.Listing | None = None
    early_refusal: str | None = None
    """What the service said to the newly listed enterprise's repair application."""
    heard_after: float | None = None
    """Real seconds until the hazard service knew of the listing."""
    flagged: hazard_pb2.Hazard | None = None
    """The listed enterprise's next hazard."""
    past_listing: credit_pb2.Listing | None = None
    application: credit_pb2.RepairApplication | None = None
    public: list[credit_pb2.PublicEnterprise] = field(default_factory=list)

    def worst(self) -> Standing | None:
        """The enterprise the bureau lists, if the month gave one."""
        return self.standings[0] if self.standings else None


class CreditPhase:
    """The credit service's part of the demo, played through the month's driver."""

    def __init__(self, driver: Driver, channel: grpc.aio.Channel, dsn: str) -> None:
        """Calls to the credit service on `channel`; `dsn` is the tenant's database."""
        self.driver = driver
        self.credit = credit_pb2_grpc.CreditServiceStub(channel)
        self.public = credit_pb2_grpc.PublicCreditServiceStub(channel)
        self.dsn = dsn
        self.bureau = driver.tokens.prefecture_inspector()
        self.rng = driver.rng("credit")
        self.enterprises = {e.credit_code: e for e in driver.plan.enterprises}

    async def run(self, summary: MonthSummary) -> CreditOutcome:
        """Records and scores of the month, then a listing and a repair."""
        reply = await self.driver.call(
            "ListCreditRules",
            PARENT,
            self.credit.ListCreditRules,
            credit_pb2.ListCreditRulesRequest(),
            self.bureau,
        )
        rules = event_rules(reply) if reply is not None else []
        expected = expected_records(summary.events, rules)
        records, unrecorded = await self._await_records(expected)
        outcome = CreditOutcome(
            rules, expected, records, unrecorded, await self._standings(summary, records)
        )
        worst = outcome.worst()
        if worst is not None:
            await self._list(outcome, worst)
        await self._repair_past_listing(outcome)
        shown = [
            self.enterprises[listing.credit_code]
            for listing in (outcome.listing, outcome.past_listing)
            if listing is not None
        ]
        outcome.public = await self._public_view(shown)
        return outcome

    async def _await_records(
        self, expected: dict[str, ExpectedRecord]
    ) -> tuple[dict[str, list[credit_pb2.CreditRecord]], set[str]]:
        """Poll the enterprises' records until every expected one is there, or time is up."""
        pending: dict[str, set[str]] = defaultdict(set)
        for event_id, record in expected.items():
            pending[record.credit_code].add(event_id)
        found: dict[str, list[credit_pb2.CreditRecord]] = {}
        unrecorded: set[str] = set()
        deadline = time.monotonic() + RECORDS_TIMEOUT
        while pending and time.monotonic() < deadline:
            codes = list(pending)
            replies = await asyncio.gather(*(self._records_of(code) for code in codes))
            for code, records in zip(codes, replies, strict=True):
                if records is None:
                    # The failed call is reported; asking again would only repeat it.
                    unrecorded |= pending.pop(code)
                    continue
                found[code] = [r for r in records if r.event_id in expected]
                if pending[code] <= {r.event_id for r in records}:
                    del pending[code]
            if pending:
                await asyncio.sleep(POLL_EVERY)
        return found, unrecorded.union(*pending.values())

    async def _records_of(self, code: str) -> list[credit_pb2.CreditRecord] | None:
        """An enterprise's records, all pages; empty while the service has not registered it."""
        records: list[credit_pb2.CreditRecord] = []
        request = credit_pb2.ListCreditRecordsRequest(
            parent=f"{PARENT}/enterprises/{code}", page_size=PAGE_SIZE
        )
        while True:
            try:
                reply = await self.driver.rpc(self.credit.ListCreditRecords, request, self.bureau)
            except grpc.aio.AioRpcError as error:
                # The first event of an enterprise registers it, so NOT_FOUND means "not yet".
                if error.code() == grpc.StatusCode.NOT_FOUND:
                    return []
                self.driver.fail("ListCreditRecords", request.parent, error)
                return None
            records.extend(reply.credit_records)
            if not reply.next_page_token:
                return records
            request.page_token = reply.next_page_token

    async def _standings(
        self, summary: MonthSummary, records: dict[str, list[credit_pb2.CreditRecord]]
    ) -> list[Standing]:
        """Each enterprise with overdue hazards, with its score today, worst first."""
        overdue: dict[str, list[HazardEvent]] = defaultdict(list)
        for event in summary.events:
            if event.kind == HazardEvent.KIND_OVERDUE:
                overdue[event.hazard.enterprise_credit_code].append(event)
        codes = sorted(overdue)
        scores = await asyncio.gather(
            *(
                self.driver.call(
                    "GetCreditScore",
                    code,
                    self.credit.GetCreditScore,
                    credit_pb2.GetCreditScoreRequest(name=f"{PARENT}/enterprises/{code}"),
                    self.bureau,
                )
                for code in codes
            )
        )
        standings = [
            Standing(self.enterprises[code], overdue[code], records.get(code, []), score)
            for code, score in zip(codes, scores, strict=True)
            if score is not None
        ]
        return sorted(standings, key=Standing.badness)

    async def _list(self, outcome: CreditOutcome, worst: Standing) -> None:
        """The bureau fines and lists the worst offender; the effects follow."""
        enterprise = worst.enterprise
        today = self.driver.clock.today()
        document = catalogue.PENALTY_DOCUMENT.format(
            year=today.year, number=self.rng.randint(101, 399)
        )
        description = (
            f"逾期未整改事故隐患{len(worst.overdue)}项（其中重大事故隐患"
            f"{len(worst.overdue_major)}项），拒不执行限期整改指令，依法处以罚款"
        )
        # The penalty decision is a public record of its own, beside the listing it grounds.
        penalty = await self.driver.call(
            "CreateCreditRecord",
            enterprise.credit_code,
            self.credit.CreateCreditRecord,
            credit_pb2.CreateCreditRecordRequest(
                parent=f"{PARENT}/enterprises/{enterprise.credit_code}",
                credit_record=credit_pb2.CreditRecord(
                    rule="penalty-decision",
                    description=description,
                    source=BUREAU,
                    source_document=document,
                    conduct_date=proto_date(today),
                    evidence=[event.hazard.name for event in worst.overdue],
                ),
                request_id=str(uuid.uuid4()),
            ),
            self.bureau,
        )
        if penalty is None:
            return
        outcome.listing = await self._create_listing(
            enterprise,
            credit_pb2.LISTING_REASON_MULTIPLE_FINE,
            document,
            catalogue.CASE_NUMBER.format(year=today.year, number=self.rng.randint(101, 399)),
            today,
        )
        if outcome.listing is None:
            return
        outcome.early_refusal = await self._apply_too_early(enterprise, outcome.listing)
        outcome.heard_after = await self._heard_of_listing(enterprise.credit_code)
        outcome.flagged = await self._next_hazard(enterprise)

    async def _create_listing(
        self,
        enterprise: Enterprise,
        reason: "credit_pb2.ListingReason.ValueType",
        document: str,
        facts: str,
        start: date,
    ) -> credit_pb2.Listing | None:
        """The bureau, which issued the penalty, decides the listing."""
        return await self.driver.call(
            "CreateListing",
            enterprise.credit_code,
            self.credit.CreateListing,
            credit_pb2.CreateListingRequest(
                parent=PARENT,
                listing=credit_pb2.Listing(
                    credit_code=enterprise.credit_code,
                    reason=reason,
                    penalty_document=document,
                    deciding_department=BUREAU,
                    facts_id=facts,
                    start_date=proto_date(start),
                ),
                request_id=str(uuid.uuid4()),
            ),
            self.bureau,
        )

    async def _apply_too_early(
        self, enterprise: Enterprise, listing: credit_pb2.Listing
    ) -> str | None:
        """The listed enterprise applies for repair at once: FAILED_PRECONDITION is expected."""
        request = credit_pb2.ApplyForRepairRequest(
            parent=listing.name, statement=EARLY_STATEMENT, request_id=str(uuid.uuid4())
        )
        try:
            await self.driver.rpc(
                self.credit.ApplyForRepair, request, self.driver.tokens.enterprise(enterprise)
            )
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.FAILED_PRECONDITION:
                return error.details() or ""
            self.driver.fail("ApplyForRepair", listing.name, error)
        return None

    async def _heard_of_listing(self, code: str) -> float | None:
        """Real seconds until the hazard service has taken in the listing (None: not in time).

        The service keeps the listed enterprises it has heard of in its own table; reading
        it lets the demo wait without reporting hazards just to see whether they are flagged.
        """
        started = time.monotonic()
        connection = await asyncpg.connect(self.dsn)
        try:
            while time.monotonic() - started < HEARD_TIMEOUT:
                heard = await connection.fetchval(
                    "SELECT EXISTS (SELECT 1 FROM hazard.listed_enterprises"
                    " WHERE credit_code = $1)",
                    code,
                )
                if heard:
                    return time.monotonic() - started
                await asyncio.sleep(POLL_EVERY)
        finally:
            await connection.close()
        return None

    async def _next_hazard(self, enterprise: Enterprise) -> hazard_pb2.Hazard | None:
        """The county inspector's next visit finds a hazard; it should come flagged."""
        item = self.rng.choice(enterprise.checklist)
        found = Timestamp()
        found.FromDatetime(self.driver.clock.now() - timedelta(hours=1))
        return await self.driver.call(
            "ReportHazard",
            enterprise.credit_code,
            self.driver.hazards.ReportHazard,
            hazard_pb2.ReportHazardRequest(
                parent=PARENT,
                hazard=hazard_pb2.Hazard(
                    enterprise_credit_code=enterprise.credit_code,
                    enterprise_name=enterprise.name,
                    county_code=enterprise.county,
                    title=item.finding,
                    description=f"列入严重失信主体名单后检查发现：{item.detail}",
                    location=item.location,
                    industry=enterprise.industry,
                    find_time=found,
                ),
                request_id=str(uuid.uuid4()),
            ),
            self.driver.tokens.county_inspector(enterprise.county),
        )

    async def _repair_past_listing(self, outcome: CreditOutcome) -> None:
        """An enterprise listed in October 2025 applies for repair; the bureau approves."""
        # An enterprise with a clean month: its record in the register starts with this story.
        taken = {record.credit_code for record in outcome.expected.values()}
        enterprise = next(
            (e for e in self.driver.plan.enterprises if e.credit_code not in taken), None
        )
        if enterprise is None:
            return
        own = self.driver.tokens.enterprise(enterprise)
        registered = await self.driver.call(
            "RegisterEnterprise",
            enterprise.credit_code,
            self.credit.RegisterEnterprise,
            credit_pb2.RegisterEnterpriseRequest(
                parent=PARENT,
                enterprise=credit_pb2.Enterprise(
                    credit_code=enterprise.credit_code,
                    display_name=enterprise.name,
                    county_code=enterprise.county,
                    industry=enterprise.industry,
                ),
            ),
            own,
        )
        if registered is None:
            return
        document = catalogue.PENALTY_DOCUMENT.format(
            year=PAST_LISTING_START.year, number=self.rng.randint(101, 399)
        )
        listing = await self._create_listing(
            enterprise,
            credit_pb2.LISTING_REASON_CONCEALED_ACCIDENT,
            document,
            PAST_FACTS,
            PAST_LISTING_START,
        )
        if listing is None:
            return
        applied = await self.driver.call(
            "ApplyForRepair",
            listing.name,
            self.credit.ApplyForRepair,
            credit_pb2.ApplyForRepairRequest(
                parent=listing.name, statement=REPAIR_STATEMENT, request_id=str(uuid.uuid4())
            ),
            own,
        )
        if applied is None:
            return
        outcome.application = await self.driver.call(
            "ReviewRepairApplication",
            applied.name,
            self.credit.ReviewRepairApplication,
            credit_pb2.ReviewRepairApplicationRequest(
                name=applied.name, etag=applied.etag, approve=True, reason=APPROVAL_REASON
            ),
            self.bureau,
        )
        outcome.past_listing = await self.driver.call(
            "GetListing",
            listing.name,
            self.credit.GetListing,
            credit_pb2.GetListingRequest(name=listing.name),
            self.bureau,
        )

    async def _public_view(
        self, enterprises: list[Enterprise]
    ) -> list[credit_pb2.PublicEnterprise]:
        """What anyone sees of these enterprises, searched by name as on the public page."""
        found = []
        for enterprise in enterprises:
            reply = await self.driver.call(
                "SearchPublicCredit",
                enterprise.name,
                self.public.SearchPublicCredit,
                credit_pb2.SearchPublicCreditRequest(parent=PARENT, query=enterprise.name),
                self.driver.tokens.partner(),
            )
            if reply is not None:
                found += [e for e in reply.enterprises if e.credit_code == enterprise.credit_code]
        return found
