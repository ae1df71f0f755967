"""Request bodies of the HTTP API and the gRPC requests they become.

The constraints here mirror the hazard service's own rules (lengths, formats), so the
OpenAPI document states them and FastAPI answers malformed input with a 422 naming the
field. The service stays the authority: what only it can judge (credit-code check
characters, counties of the caller's prefecture, deadlines in the past) comes back from
it as field violations, which the gateway answers in the same 422 shape.
"""

import re
from datetime import UTC, date, datetime
from typing import Annotated, Literal, TypeVar

from google.type.date_pb2 import Date
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from anjian.hazard.v1 import hazard_pb2
from anjian_gateway.resources import HazardGrade

INT32_MAX = 2**31 - 1
# Times and dates outside this century are typing mistakes; bounding them also keeps the
# service's date arithmetic (end of a deadline's day) far from the calendar's limits.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


# C0 controls but tab, line feed and carriage return (NUL cannot even be stored in
# PostgreSQL text), DEL, and the bidirectional embeddings, overrides and isolates that can
# make a name read differently from what it is. Lone surrogates never get this far:
# pydantic refuses them as strings (`string_unicode`).
_NOT_PLAIN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def _plain_text(value: str) -> str:
    """Refuse control characters and bidirectional overrides."""
    if _NOT_PLAIN.search(value):
        raise ValueError("must not contain control characters or bidirectional overrides")
    return value


def _this_century(value: datetime) -> datetime:
    if not EARLIEST <= value < LATEST:
        raise ValueError("must be in the years 2000 to 2099")
    return value


PLAIN = AfterValidator(_plain_text)
"""Put after any length limit in an Annotated text type, so the limit is checked as a
string's and its message reads "at most N characters", not "N items after validation"."""
Text = Annotated[str, PLAIN]
Moment = Annotated[AwareDatetime, AfterValidator(_this_century)]
CreditCode = Annotated[
    str,
    Field(
        pattern=r"^[0-9A-Za-z]{18}$",
        description="Unified social credit code (统一社会信用代码, GB 32100): 18 letters and "
        "digits; the hazard service checks the alphabet and the check characters.",
        examples=["91530102MA6K00014A"],
    ),
]
CountyCode = Annotated[
    str,
    Field(
        pattern=r"^\d{6}$",
        description="GB/T 2260 code of a county (县/区) of the caller's prefecture.",
        examples=["530102"],
    ),
]
Etag = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        description="The `etag` of the resource as last read; a stale one is answered 409.",
    ),
    PLAIN,
]
RequestId = Annotated[
    str,
    Field(
        max_length=100,
        description="Client-chosen id (a UUID): a retry with the same id returns the same "
        "resource instead of creating another.",
    ),
    PLAIN,
]
ReviewRequest = TypeVar(
    "ReviewRequest",
    hazard_pb2.ReinspectHazardRequest,
    hazard_pb2.AcceptHazardRequest,
    hazard_pb2.CloseHazardRequest,
)
Industry = Literal[
    "industry-trade", "chemicals", "mines", "construction", "transport", "fireworks", "other"
]


class StrictBody(BaseModel):
    """A request body: unknown fields are refused so a misspelt field is not silently lost.

    Strings lose their surrounding whitespace before their limits are checked, as the
    services trim every request's strings before their own checks.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class HazardDraft(StrictBody):
    """A hazard as reported (隐患登记); the service sets name, state and the rest."""

    enterprise_credit_code: CreditCode
    enterprise_name: Text = Field(min_length=1, max_length=200)
    county_code: CountyCode
    title: Text = Field(min_length=1, max_length=200, description="Short title.")
    description: Text = Field(min_length=1, max_length=4000, description="What was found.")
    location: Text = Field(min_length=1, max_length=500, description="Where at the enterprise.")
    industry: Industry = Field(description="Industry of the enterprise.")
    find_time: Moment | None = Field(
        default=None,
        description="When it was found, with a UTC offset; defaults to now. Not in the future.",
    )

    def to_proto(self) -> hazard_pb2.Hazard:
        """The protobuf Hazard carrying the reported fields."""
        hazard = hazard_pb2.Hazard(
            enterprise_credit_code=self.enterprise_credit_code,
            enterprise_name=self.enterprise_name,
            county_code=self.county_code,
            title=self.title,
            description=self.description,
            location=self.location,
            industry=self.industry,
        )
        if self.find_time is not None:
            hazard.find_time.FromDatetime(self.find_time)
        return hazard


class ReportHazardBody(StrictBody):
    """Body of ReportHazard."""

    hazard: HazardDraft
    request_id: RequestId = ""

    def to_proto(self, parent: str) -> hazard_pb2.ReportHazardRequest:
        """The gRPC request."""
        return hazard_pb2.ReportHazardRequest(
            parent=parent, hazard=self.hazard.to_proto(), request_id=self.request_id
        )


class CriterionChoice(StrictBody):
    """The checklist item that makes a hazard major; see `GET /v1/majorHazardStandards`."""

    standard: Text = Field(min_length=1, max_length=100, examples=["chemicals"])
    standard_version: Text = Field(min_length=1, max_length=100, examples=["2017"])
    item: Text = Field(min_length=1, max_length=100, examples=["CH-2017-01"])


class GradeBody(StrictBody):
    """Body of `:grade` (评估定级)."""

    etag: Etag
    grade: HazardGrade = Field(description="HAZARD_GRADE_GENERAL or HAZARD_GRADE_MAJOR.")
    criterion: CriterionChoice | None = Field(default=None, description="Required for MAJOR.")
    reason: Text = Field(default="", max_length=2000, description="Why.")

    def to_proto(self, name: str) -> hazard_pb2.GradeHazardRequest:
        """The gRPC request."""
        request = hazard_pb2.GradeHazardRequest(
            name=name,
            etag=self.etag,
            grade=hazard_pb2.HazardGrade.Value(self.grade),
            reason=self.reason,
        )
        if self.criterion is not None:
            request.criterion.CopyFrom(
                hazard_pb2.MajorHazardCriterion(**self.criterion.model_dump())
            )
        return request


class AssignRectificationBody(StrictBody):
    """Body of `:assignRectification` (下达整改): set exactly one of deadline and working_days."""

    etag: Etag
    deadline: date | None = Field(
        default=None,
        ge=EARLIEST.date(),
        lt=LATEST.date(),
        description="Last day (China Standard Time); not in the past.",
    )
    working_days: int | None = Field(
        default=None,
        ge=1,
        le=INT32_MAX,
        description="Deadline as working days from today (public holidays skipped).",
    )
    measures: Text = Field(min_length=1, max_length=4000, description="Measures ordered.")
    responsible_person: Text = Field(min_length=1, max_length=100)
    production_stopped: bool = Field(default=False, description="停产整改: production stopped.")

    def to_proto(self, name: str) -> hazard_pb2.AssignRectificationRequest:
        """The gRPC request."""
        request = hazard_pb2.AssignRectificationRequest(
            name=name,
            etag=self.etag,
            working_days=self.working_days or 0,
            measures=self.measures,
            responsible_person=self.responsible_person,
            production_stopped=self.production_stopped,
        )
        if self.deadline is not None:
            request.deadline.CopyFrom(
                Date(year=self.deadline.year, month=self.deadline.month, day=self.deadline.day)
            )
        return request


class SubmitRectificationBody(StrictBody):
    """Body of `:submitRectification`: the enterprise reports the rectification done."""

    etag: Etag
    report: Text = Field(min_length=1, max_length=4000, description="What was done.")

    def to_proto(self, name: str) -> hazard_pb2.SubmitRectificationRequest:
        """The gRPC request."""
        return hazard_pb2.SubmitRectificationRequest(name=name, etag=self.etag, report=self.report)


class ReviewBody(StrictBody):
    """Body of `:reinspect` (复查), `:accept` (验收) and `:close` (销号)."""

    etag: Etag
    notes: Text = Field(default="", max_length=2000, description="Findings.")

    def to_proto(self, name: str, request_type: type[ReviewRequest]) -> ReviewRequest:
        """The gRPC request of whichever of the three reviews this is."""
        return request_type(name=name, etag=self.etag, notes=self.notes)


class SendBackBody(StrictBody):
    """Body of `:sendBack`: back to rectification, with the reason (required)."""

    etag: Etag
    reason: Text = Field(min_length=1, max_length=2000)

    def to_proto(self, name: str) -> hazard_pb2.SendBackHazardRequest:
        """The gRPC request."""
        return hazard_pb2.SendBackHazardRequest(name=name, etag=self.etag, reason=self.reason)


class MarkDuplicateBody(StrictBody):
    """Body of `:markDuplicate`."""

    etag: Etag
    original: Text = Field(
        max_length=200,
        pattern=r"^prefectures/\d{6}/hazards/[^/]+$",
        description="Resource name of the original, an open hazard of the same enterprise, "
        "`prefectures/{prefecture}/hazards/{id}`.",
    )
    reason: Text = Field(default="", max_length=2000)

    def to_proto(self, name: str) -> hazard_pb2.MarkDuplicateHazardRequest:
        """The gRPC request."""
        return hazard_pb2.MarkDuplicateHazardRequest(
            name=name, etag=self.etag, original=self.original, reason=self.reason
        )


class ListedSupervisionBody(StrictBody):
    """Body of `:placeUnderListedSupervision` (挂牌督办); the hazard must be major and open."""

    etag: Etag
    authority: Text = Field(min_length=1, max_length=200, examples=["昆明市应急管理局"])
    document_number: Text = Field(min_length=1, max_length=100, examples=["昆应急督〔2026〕1号"])

    def to_proto(self, name: str) -> hazard_pb2.PlaceUnderListedSupervisionRequest:
        """The gRPC request."""
        return hazard_pb2.PlaceUnderListedSupervisionRequest(
            name=name,
            etag=self.etag,
            authority=self.authority,
            document_number=self.document_number,
        )


class ChecklistItemDraft(StrictBody):
    """One item of an enterprise's checklist."""

    code: Text = Field(min_length=1, max_length=40, description="Unique within the checklist.")
    text: Text = Field(min_length=1, max_length=1000, description="What to check.")


class ChecklistDraft(StrictBody):
    """An enterprise's checklist (一企一标准); the service numbers the version."""

    enterprise_credit_code: CreditCode
    items: list[ChecklistItemDraft] = Field(min_length=1, max_length=500)


class CreateChecklistBody(StrictBody):
    """Body of CreateChecklist."""

    checklist: ChecklistDraft

    def to_proto(self, parent: str) -> hazard_pb2.CreateChecklistRequest:
        """The gRPC request."""
        checklist = hazard_pb2.Checklist(
            enterprise_credit_code=self.checklist.enterprise_credit_code,
            items=[
                hazard_pb2.ChecklistItem(code=item.code, text=item.text)
                for item in self.checklist.items
            ],
        )
        return hazard_pb2.CreateChecklistRequest(parent=parent, checklist=checklist)


class ItemResultDraft(StrictBody):
    """The result for one checklist item."""

    code: Text = Field(min_length=1, max_length=40)
    compliant: bool
    notes: Text = Field(default="", max_length=2000, description="Required when not compliant.")


class SelfInspectionReturnDraft(StrictBody):
    """A monthly self-inspection return (企业自查月度申报)."""

    enterprise_credit_code: CreditCode
    month: str = Field(
        pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
        description="Month covered, `YYYY-MM`, not later than this month.",
        examples=["2026-10"],
    )
    results: list[ItemResultDraft] = Field(
        max_length=500, description="One result for each item of the current checklist."
    )
    hazards: list[Text] = Field(
        default_factory=list,
        max_length=500,
        description="Resource names of the enterprise's hazards this return reports.",
    )


class SubmitSelfInspectionReturnBody(StrictBody):
    """Body of SubmitSelfInspectionReturn."""

    self_inspection_return: SelfInspectionReturnDraft
    request_id: RequestId = ""

    def to_proto(self, parent: str) -> hazard_pb2.SubmitSelfInspectionReturnRequest:
        """The gRPC request."""
        filed = self.self_inspection_return
        message = hazard_pb2.SelfInspectionReturn(
            enterprise_credit_code=filed.enterprise_credit_code,
            month=filed.month,
            results=[
                hazard_pb2.ItemResult(code=r.code, compliant=r.compliant, notes=r.notes)
                for r in filed.results
            ],
            hazards=filed.hazards,
        )
        return hazard_pb2.SubmitSelfInspectionReturnRequest(
            parent=parent, self_inspection_return=message, request_id=self.request_id
        )
