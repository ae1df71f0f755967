"""HTTP routes of the HazardService: the closed loop of a hazard (隐患排查治理).

Paths follow the AIP HTTP mapping of the gRPC API: standard methods on
`/v1/prefectures/{prefecture}/hazards[/{hazard_id}]`, custom methods as
`POST …/hazards/{hazard_id}:verb` with the rest of the request as the body.
"""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from anjian.hazard.v1 import hazard_pb2
from anjian_gateway import resources
from anjian_gateway.bodies import (
    AssignRectificationBody,
    CreditCode,
    GradeBody,
    ListedSupervisionBody,
    MarkDuplicateBody,
    ReportHazardBody,
    ReviewBody,
    SendBackBody,
    SubmitRectificationBody,
)
from anjian_gateway.dependencies import (
    PROBLEMS,
    Caller,
    PageSize,
    PageToken,
    Prefecture,
    Service,
)
from anjian_gateway.errors import Origin
from anjian_gateway.resources import HazardGrade, HazardState, to_json

router = APIRouter(prefix="/v1", tags=["hazards"], responses=PROBLEMS)

HazardId = Annotated[
    uuid.UUID, Path(description="Id of the hazard: the last part of its resource name.")
]

# Where the fields of each kind of gRPC request came from, to locate field violations.
_CREATE = Origin("body", {"parent": "prefecture"})
_LIST = Origin("query", {"parent": "prefecture"})
_READ = Origin("query", {"name": "hazard_id"})
_CHANGE = Origin("body", {"name": "hazard_id"})


def _parent(prefecture: str) -> str:
    return f"prefectures/{prefecture}"


def _name(prefecture: str, hazard_id: uuid.UUID) -> str:
    return f"prefectures/{prefecture}/hazards/{hazard_id}"


@router.post(
    "/prefectures/{prefecture}/hazards",
    response_model=resources.Hazard,
    operation_id="ReportHazard",
    summary="Report a hazard (隐患登记)",
)
async def report_hazard(
    prefecture: Prefecture, body: ReportHazardBody, caller: Caller, service: Service
) -> dict[str, Any]:
    """Register a newly found hazard. A retry with the same `request_id` returns the same one."""
    request = body.to_proto(_parent(prefecture))
    return to_json(await service.call(service.hazards.ReportHazard, request, caller, _CREATE))


@router.get(
    "/prefectures/{prefecture}/hazards/{hazard_id}",
    response_model=resources.Hazard,
    operation_id="GetHazard",
    summary="Get a hazard",
)
async def get_hazard(
    prefecture: Prefecture, hazard_id: HazardId, caller: Caller, service: Service
) -> dict[str, Any]:
    """One hazard, if the caller's scope covers it; another tenant's hazard is a 404."""
    request = hazard_pb2.GetHazardRequest(name=_name(prefecture, hazard_id))
    return to_json(await service.call(service.hazards.GetHazard, request, caller, _READ))


@router.get(
    "/prefectures/{prefecture}/hazards",
    response_model=resources.ListHazardsResponse,
    operation_id="ListHazards",
    summary="List hazards",
)
async def list_hazards(
    prefecture: Prefecture,
    caller: Caller,
    service: Service,
    state: Annotated[HazardState | None, Query(description="Only this state.")] = None,
    county_code: Annotated[
        str | None, Query(pattern=r"^\d{6}$", description="Only this county (县/区).")
    ] = None,
    enterprise_credit_code: Annotated[
        CreditCode | None, Query(description="Only this enterprise.")
    ] = None,
    grade: Annotated[HazardGrade | None, Query(description="Only this grade.")] = None,
    overdue_only: Annotated[bool, Query(description="Only overdue hazards (逾期).")] = False,
    page_size: PageSize = 0,
    page_token: PageToken = "",
) -> dict[str, Any]:
    """Hazards in the caller's scope, newest first, filtered and paged (default 50, max 500)."""
    request = hazard_pb2.ListHazardsRequest(
        parent=_parent(prefecture),
        page_size=page_size,
        page_token=page_token,
        state=hazard_pb2.HazardState.Value(state or HazardState.HAZARD_STATE_UNSPECIFIED),
        county_code=county_code or "",
        enterprise_credit_code=enterprise_credit_code or "",
        grade=hazard_pb2.HazardGrade.Value(grade or HazardGrade.HAZARD_GRADE_UNSPECIFIED),
        overdue_only=overdue_only,
    )
    return to_json(await service.call(service.hazards.ListHazards, request, caller, _LIST))


@router.post(
    "/prefectures/{prefecture}/hazards/{hazard_id}:grade",
    response_model=resources.Hazard,
    operation_id="GradeHazard",
    summary="Grade a hazard (评估定级)",
)
async def grade_hazard(
    prefecture: Prefecture, hazard_id: HazardId, body: GradeBody, caller: Caller, service: Service
) -> dict[str, Any]:
    """Grade a reported hazard as general (一般) or major (重大, naming its checklist item)."""
    request = body.to_proto(_name(prefecture, hazard_id))
    return to_json(await service.call(service.hazards.GradeHazard, request, caller, _CHANGE))


@router.post(
    "/prefectures/{prefecture}/hazards/{hazard_id}:assignRectification",
    response_model=resources.Hazard,
    operation_id="AssignRectification",
    summary="Order rectification (下达整改)",
)
async def assign_rectification(
    prefecture: Prefecture,
    hazard_id: HazardId,
    body: AssignRectificationBody,
    caller: Caller,
    service: Service,
) -> dict[str, Any]:
    """Order rectification of a graded hazard with a deadline (a date or working days)."""
    request = body.to_proto(_name(prefecture, hazard_id))
    method = service.hazards.AssignRectification
    return to_json(await service.call(method, request, caller, _CHANGE))


@router.post(
    "/prefectures/{prefecture}/hazards/{hazard_id}:submitRectification",
    response_model=resources.Hazard,
    operation_id="SubmitRectification",
    summary="Report rectification done (整改完成)",
)
async def submit_rectification(
    prefecture: Prefecture,
    hazard_id: HazardId,
    body: SubmitRectificationBody,
    caller: Caller,
    service: Service,
) -> dict[str, Any]:
    """The enterprise reports its rectification done; after the deadline it is marked overdue."""
    request = body.to_proto(_name(prefecture, hazard_id))
    method = service.hazards.SubmitRectification
    return to_json(await service.call(method, request, caller, _CHANGE))


@router.post(
    "/prefectures/{prefecture}/hazards/{hazard_id}:reinspect",
    response_model=resources.Hazard,
    operation_id="ReinspectHazard",
    summary="Pass re-inspection (复查)",
)
async def reinspect_hazard(
    prefecture: Prefecture, hazard_id: HazardId, body: ReviewBody, caller: Caller, service: Service
) -> dict[str, Any]:
    """An inspector's re-inspection found the rectification effective."""
    request = body.to_proto(_name(prefecture, hazard_id), hazard_pb2.ReinspectHazardRequest)
    return to_json(await service.call(service.hazards.ReinspectHazard, request, caller, _CHANGE))


@router.post(
    "/prefectures/{prefecture}/hazards/{hazard_id}:accept",
    response_model=resources.Hazard,
    operation_id="AcceptHazard",
    summary="Accept the rectification (验收)",
)
async def accept_hazard(
    prefecture: Prefecture, hazard_id: HazardId, body: ReviewBody, caller: Caller, service: Service
) -> dict[str, Any]:
    """Acceptance of a re-inspected rectification."""
    request = body.to_proto(_name(prefecture, hazard_id), hazard_pb2.AcceptHazardRequest)
    return to_json(await service.call(service.hazards.AcceptHazard, request, caller, _CHANGE))


@router.post(
    "/prefectures/{prefecture}/hazards/{hazard_id}:close",
    response_model=resources.Hazard,
    operation_id="CloseHazard",
    summary="Close a hazard (销号)",
)
async def close_hazard(
    prefecture: Prefecture, hazard_id: HazardId, body: ReviewBody, caller: Caller, service: Service
) -> dict[str, Any]:
    """Close an accepted hazard; listed supervision ends with it."""
    request = body.to_proto(_name(prefecture, hazard_id), hazard_pb2.CloseHazardRequest)
    return to_json(await service.call(service.hazards.CloseHazard, request, caller, _CHANGE))


@router.post(
    "/prefectures/{prefecture}/hazards/{hazard_id}:sendBack",
    response_model=resources.Hazard,
    operation_id="SendBackHazard",
    summary="Send back to rectification (退回整改)",
)
async def send_back_hazard(
    prefecture: Prefecture,
    hazard_id: HazardId,
    body: SendBackBody,
    caller: Caller,
    service: Service,
) -> dict[str, Any]:
    """Send a hazard under review back to rectification; the deadline stands."""
    request = body.to_proto(_name(prefecture, hazard_id))
    return to_json(await service.call(service.hazards.SendBackHazard, request, caller, _CHANGE))


@router.post(
    "/prefectures/{prefecture}/hazards/{hazard_id}:markDuplicate",
    response_model=resources.Hazard,
    operation_id="MarkDuplicateHazard",
    summary="Close as a duplicate",
)
async def mark_duplicate_hazard(
    prefecture: Prefecture,
    hazard_id: HazardId,
    body: MarkDuplicateBody,
    caller: Caller,
    service: Service,
) -> dict[str, Any]:
    """Close a hazard as a duplicate of another open hazard of the same enterprise."""
    request = body.to_proto(_name(prefecture, hazard_id))
    method = service.hazards.MarkDuplicateHazard
    return to_json(await service.call(method, request, caller, _CHANGE))


@router.post(
    "/prefectures/{prefecture}/hazards/{hazard_id}:placeUnderListedSupervision",
    response_model=resources.Hazard,
    operation_id="PlaceUnderListedSupervision",
    summary="Place under listed supervision (挂牌督办)",
)
async def place_under_listed_supervision(
    prefecture: Prefecture,
    hazard_id: HazardId,
    body: ListedSupervisionBody,
    caller: Caller,
    service: Service,
) -> dict[str, Any]:
    """Put an open major hazard (重大事故隐患) under a regulator's listed supervision."""
    request = body.to_proto(_name(prefecture, hazard_id))
    method = service.hazards.PlaceUnderListedSupervision
    return to_json(await service.call(method, request, caller, _CHANGE))


@router.get(
    "/prefectures/{prefecture}/hazards/{hazard_id}/auditRecords",
    response_model=resources.ListHazardAuditRecordsResponse,
    operation_id="ListHazardAuditRecords",
    summary="List a hazard's audit trail",
)
async def list_hazard_audit_records(
    prefecture: Prefecture,
    hazard_id: HazardId,
    caller: Caller,
    service: Service,
    page_size: PageSize = 0,
    page_token: PageToken = "",
) -> dict[str, Any]:
    """Every attempted change of a hazard, applied or refused, oldest first (default 100)."""
    request = hazard_pb2.ListHazardAuditRecordsRequest(
        name=_name(prefecture, hazard_id), page_size=page_size, page_token=page_token
    )
    method = service.hazards.ListHazardAuditRecords
    return to_json(await service.call(method, request, caller, _READ))


@router.post(
    "/prefectures/{prefecture}/hazards:detectOverdue",
    response_model=resources.DetectOverdueHazardsResponse,
    operation_id="DetectOverdueHazards",
    summary="Run overdue detection now (逾期检测)",
)
async def detect_overdue_hazards(
    prefecture: Prefecture, caller: Caller, service: Service
) -> dict[str, Any]:
    """Mark hazards past their rectification deadline as overdue. Administrators only."""
    request = hazard_pb2.DetectOverdueHazardsRequest(parent=_parent(prefecture))
    method = service.hazards.DetectOverdueHazards
    return to_json(await service.call(method, request, caller, _CREATE))


@router.get(
    "/majorHazardStandards",
    response_model=resources.ListMajorHazardStandardsResponse,
    operation_id="ListMajorHazardStandards",
    summary="List the major-hazard criteria (重大事故隐患判定标准)",
)
async def list_major_hazard_standards(caller: Caller, service: Service) -> dict[str, Any]:
    """The national checklists a major grading must cite an item of."""
    request = hazard_pb2.ListMajorHazardStandardsRequest()
    method = service.hazards.ListMajorHazardStandards
    return to_json(await service.call(method, request, caller, _LIST))
