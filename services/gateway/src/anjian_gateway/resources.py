"""The JSON form of the hazard API's resources, as the gateway answers them.

Each model mirrors one protobuf message field for field (snake_case names, enum
values by their proto names), so the OpenAPI document describes exactly what
`to_json` produces. 64-bit integers are plain JSON numbers here, not the strings
of the canonical proto JSON mapping: browsers are the gateway's main clients.
"""

from collections.abc import Callable
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from google.protobuf import json_format
from google.protobuf.descriptor import EnumDescriptor
from google.protobuf.message import Message
from pydantic import BaseModel, BeforeValidator, Field

from anjian.common.v1 import audit_pb2
from anjian.hazard.v1 import hazard_pb2

StrEnumT = TypeVar("StrEnumT", bound=type[StrEnum])


def mirrors(proto: EnumDescriptor) -> Callable[[StrEnumT], StrEnumT]:
    """Check at import that a StrEnum names exactly the values of a proto enum, in order.

    The enums are written out, not built from the descriptor, so that type checkers see
    their members; this check keeps the two from drifting apart.
    """

    def check(enum: StrEnumT) -> StrEnumT:
        names = [value.name for value in proto.values]
        members = [(member.name, member.value) for member in enum]
        if members != [(name, name) for name in names]:
            raise TypeError(f"{enum.__name__} does not mirror {proto.full_name}: {names}")
        return enum

    return check


@mirrors(hazard_pb2.HazardState.DESCRIPTOR)
class HazardState(StrEnum):
    """Where a hazard stands in its closed loop: 登记 → 定级 → 整改 → 复查 → 验收 → 销号."""

    HAZARD_STATE_UNSPECIFIED = "HAZARD_STATE_UNSPECIFIED"
    HAZARD_STATE_REPORTED = "HAZARD_STATE_REPORTED"
    HAZARD_STATE_GRADED = "HAZARD_STATE_GRADED"
    HAZARD_STATE_RECTIFYING = "HAZARD_STATE_RECTIFYING"
    HAZARD_STATE_AWAITING_REINSPECTION = "HAZARD_STATE_AWAITING_REINSPECTION"
    HAZARD_STATE_AWAITING_ACCEPTANCE = "HAZARD_STATE_AWAITING_ACCEPTANCE"
    HAZARD_STATE_ACCEPTED = "HAZARD_STATE_ACCEPTED"
    HAZARD_STATE_CLOSED = "HAZARD_STATE_CLOSED"
    HAZARD_STATE_DUPLICATE = "HAZARD_STATE_DUPLICATE"


@mirrors(hazard_pb2.HazardGrade.DESCRIPTOR)
class HazardGrade(StrEnum):
    """一般事故隐患 (GENERAL) or 重大事故隐患 (MAJOR); UNSPECIFIED until graded."""

    HAZARD_GRADE_UNSPECIFIED = "HAZARD_GRADE_UNSPECIFIED"
    HAZARD_GRADE_GENERAL = "HAZARD_GRADE_GENERAL"
    HAZARD_GRADE_MAJOR = "HAZARD_GRADE_MAJOR"


@mirrors(audit_pb2.AuditRecord.Outcome.DESCRIPTOR)
class AuditOutcome(StrEnum):
    """Whether an attempted change was applied or refused."""

    OUTCOME_UNSPECIFIED = "OUTCOME_UNSPECIFIED"
    OUTCOME_APPLIED = "OUTCOME_APPLIED"
    OUTCOME_REFUSED = "OUTCOME_REFUSED"


def to_json(message: Message) -> dict[str, Any]:
    """A response message as a dict that validates against its model here."""
    return json_format.MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )


def _calendar_date(value: Any) -> Any:
    """A `google.type.Date` in its JSON form (`{"year", "month", "day"}`) as a date."""
    if isinstance(value, dict):
        if not value.get("year"):
            return None
        return date(value["year"], value.get("month", 1), value.get("day", 1))
    return value


CalendarDate = Annotated[date | None, BeforeValidator(_calendar_date)]


class MajorHazardCriterion(BaseModel):
    """The national checklist item (重大事故隐患判定标准) that made a hazard major."""

    standard: str = Field(description="Checklist identifier, e.g. `industry-trade`.")
    standard_version: str = Field(description="Version of the checklist, e.g. `2023`.")
    item: str = Field(description="Item code within that version, e.g. `IT-2023-07`.")
    item_text: str = Field(description="Item text, filled in by the service.")


class Rectification(BaseModel):
    """Rectification (整改) ordered for a hazard."""

    deadline: CalendarDate = Field(
        default=None, description="Last day (China Standard Time) to report it done."
    )
    measures: str = Field(description="Measures ordered (整改措施).")
    responsible_person: str = Field(description="Person answerable at the enterprise.")
    report: str = Field(description="The enterprise's report when submitting rectification.")
    submit_time: datetime | None = Field(default=None, description="When last submitted.")
    production_stopped: bool = Field(description="Whether production is stopped (停产整改).")


class ListedSupervision(BaseModel):
    """Listed supervision (挂牌督办) of a major hazard by a regulator."""

    authority: str = Field(description="Supervising authority, e.g. 昆明市应急管理局.")
    document_number: str = Field(description="Document number of the supervision notice.")
    list_time: datetime | None = Field(default=None, description="When listed.")
    delist_time: datetime | None = Field(default=None, description="When supervision ended.")


class Hazard(BaseModel):
    """A hazard (事故隐患) found at an enterprise, with its place in the closed loop."""

    name: str = Field(description="Resource name, `prefectures/{prefecture}/hazards/{id}`.")
    enterprise_credit_code: str = Field(
        description="Unified social credit code (统一社会信用代码, GB 32100) of the enterprise."
    )
    enterprise_name: str
    county_code: str = Field(description="GB/T 2260 code of the county (县/区) of the hazard.")
    title: str
    description: str
    location: str
    industry: str
    state: HazardState
    grade: HazardGrade
    criterion: MajorHazardCriterion | None = Field(
        default=None, description="Set for major hazards."
    )
    rectification: Rectification | None = Field(default=None, description="Set once ordered.")
    listed_supervision: ListedSupervision | None = Field(
        default=None, description="Set once placed under listed supervision (挂牌督办)."
    )
    duplicate_of: str = Field(description="Resource name of the original, for a duplicate.")
    overdue: bool = Field(description="Whether the deadline passed before submission (逾期).")
    find_time: datetime | None = None
    create_time: datetime | None = None
    update_time: datetime | None = None
    close_time: datetime | None = Field(default=None, description="When closed (销号).")
    version: int = Field(description="Increased by every applied change.")
    etag: str = Field(description="Concurrency token: send it back with every change.")
    reporter: str = Field(description="Subject of the token that reported it.")
    likely_duplicate_of: str = Field(
        description="Another open hazard of the enterprise with the same title and location."
    )
    send_back_count: int = Field(description="How often it was sent back from review.")
    closer_inspection: bool = Field(
        description="The enterprise is on the serious-dishonesty list (严重失信名单)."
    )


class ListHazardsResponse(BaseModel):
    """One page of hazards, newest first."""

    hazards: list[Hazard]
    next_page_token: str = Field(description="Pass as `page_token` for the next page; empty last.")
    total_size: int = Field(description="Number of hazards matching the filters.")


class AuditRecord(BaseModel):
    """One attempted change of a hazard (审计记录), applied or refused."""

    sequence: int
    resource: str
    action: str = Field(description="The gRPC method, e.g. `GradeHazard`.")
    actor: str
    actor_role: str
    create_time: datetime | None = None
    from_state: str
    to_state: str
    reason: str
    outcome: AuditOutcome
    version: int
    request_id: str


class ListHazardAuditRecordsResponse(BaseModel):
    """One page of a hazard's audit trail, oldest first."""

    audit_records: list[AuditRecord]
    next_page_token: str


class DetectOverdueHazardsResponse(BaseModel):
    """Hazards that this run of overdue detection found overdue (逾期未整改)."""

    newly_overdue: list[str]


class MajorHazardStandardItem(BaseModel):
    """One item of a national major-hazard checklist."""

    item: str
    text: str


class MajorHazardStandard(BaseModel):
    """A versioned national major-hazard checklist (重大事故隐患判定标准)."""

    standard: str
    standard_version: str
    title: str
    items: list[MajorHazardStandardItem]


class ListMajorHazardStandardsResponse(BaseModel):
    """Every checklist version the hazard service judges against."""

    standards: list[MajorHazardStandard]


class ChecklistItem(BaseModel):
    """One item of an enterprise's own checklist."""

    code: str = Field(description="Item code, unique within the checklist.")
    text: str = Field(description="What to check.")


class Checklist(BaseModel):
    """An enterprise's own self-inspection checklist (一企一标准)."""

    name: str = Field(description="`prefectures/{prefecture}/checklists/{credit code}`.")
    enterprise_credit_code: str
    version: int = Field(description="Increased by each new version.")
    items: list[ChecklistItem]
    create_time: datetime | None = None


class ItemResult(BaseModel):
    """The result for one checklist item in a monthly return."""

    code: str
    compliant: bool
    notes: str


class SelfInspectionReturn(BaseModel):
    """A monthly self-inspection return (企业自查月度申报)."""

    name: str = Field(description="`prefectures/{prefecture}/selfInspectionReturns/{id}`.")
    enterprise_credit_code: str
    month: str = Field(description="Month covered, `YYYY-MM`.")
    checklist_version: int
    results: list[ItemResult]
    hazards: list[str] = Field(description="Hazards reported as a result, by resource name.")
    create_time: datetime | None = None


class ListSelfInspectionReturnsResponse(BaseModel):
    """One page of returns, newest month first."""

    self_inspection_returns: list[SelfInspectionReturn]
    next_page_token: str
