"""HTTP routes of the SelfInspectionService: checklists (一企一标准) and monthly returns."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from anjian.hazard.v1 import hazard_pb2
from anjian_gateway import resources
from anjian_gateway.bodies import CreateChecklistBody, CreditCode, SubmitSelfInspectionReturnBody
from anjian_gateway.dependencies import (
    PROBLEMS,
    Caller,
    PageSize,
    PageToken,
    Prefecture,
    Service,
)
from anjian_gateway.errors import Origin
from anjian_gateway.resources import to_json

router = APIRouter(prefix="/v1", tags=["self-inspection"], responses=PROBLEMS)

_CREATE = Origin("body", {"parent": "prefecture"})
_LIST = Origin("query", {"parent": "prefecture"})
_READ = Origin("query", {"name": "enterprise_credit_code"})


@router.post(
    "/prefectures/{prefecture}/checklists",
    response_model=resources.Checklist,
    operation_id="CreateChecklist",
    summary="Create a checklist version (一企一标准)",
)
async def create_checklist(
    prefecture: Prefecture, body: CreateChecklistBody, caller: Caller, service: Service
) -> dict[str, Any]:
    """Store an enterprise's self-inspection checklist, or a new version of it."""
    request = body.to_proto(f"prefectures/{prefecture}")
    method = service.self_inspection.CreateChecklist
    return to_json(await service.call(method, request, caller, _CREATE))


@router.get(
    "/prefectures/{prefecture}/checklists/{enterprise_credit_code}",
    response_model=resources.Checklist,
    operation_id="GetChecklist",
    summary="Get an enterprise's current checklist",
)
async def get_checklist(
    prefecture: Prefecture,
    enterprise_credit_code: Annotated[
        str,
        Path(
            pattern=r"^[0-9A-Za-z]{18}$",
            description="Unified social credit code (统一社会信用代码) of the enterprise.",
        ),
    ],
    caller: Caller,
    service: Service,
) -> dict[str, Any]:
    """The current version of an enterprise's checklist."""
    request = hazard_pb2.GetChecklistRequest(
        name=f"prefectures/{prefecture}/checklists/{enterprise_credit_code}"
    )
    method = service.self_inspection.GetChecklist
    return to_json(await service.call(method, request, caller, _READ))


@router.post(
    "/prefectures/{prefecture}/selfInspectionReturns",
    response_model=resources.SelfInspectionReturn,
    operation_id="SubmitSelfInspectionReturn",
    summary="File a monthly self-inspection return (企业自查月度申报)",
)
async def submit_self_inspection_return(
    prefecture: Prefecture,
    body: SubmitSelfInspectionReturnBody,
    caller: Caller,
    service: Service,
) -> dict[str, Any]:
    """File a month's return against the current checklist; one per enterprise and month.

    A retry with the same `request_id` returns the same return; another return for the
    same month is a 409.
    """
    request = body.to_proto(f"prefectures/{prefecture}")
    method = service.self_inspection.SubmitSelfInspectionReturn
    return to_json(await service.call(method, request, caller, _CREATE))


@router.get(
    "/prefectures/{prefecture}/selfInspectionReturns",
    response_model=resources.ListSelfInspectionReturnsResponse,
    operation_id="ListSelfInspectionReturns",
    summary="List monthly self-inspection returns",
)
async def list_self_inspection_returns(
    prefecture: Prefecture,
    caller: Caller,
    service: Service,
    enterprise_credit_code: Annotated[
        CreditCode | None, Query(description="Only this enterprise's returns.")
    ] = None,
    month: Annotated[
        str | None,
        Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="Only this month, `YYYY-MM`."),
    ] = None,
    page_size: PageSize = 0,
    page_token: PageToken = "",
) -> dict[str, Any]:
    """Returns in the caller's scope, newest month first (default 50, max 500)."""
    request = hazard_pb2.ListSelfInspectionReturnsRequest(
        parent=f"prefectures/{prefecture}",
        page_size=page_size,
        page_token=page_token,
        enterprise_credit_code=enterprise_credit_code or "",
        month=month or "",
    )
    method = service.self_inspection.ListSelfInspectionReturns
    return to_json(await service.call(method, request, caller, _LIST))
