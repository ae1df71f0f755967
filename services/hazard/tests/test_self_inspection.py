"""Enterprises' own checklists (一企一标准) and their monthly self-inspection returns."""

import uuid

import grpc
import pytest
from hazard_support import KUNMING, Caller, HazardStack, new_credit_code, token

from anjian.hazard.v1 import hazard_pb2
from anjian_kernel.auth import Role

PARENT = f"prefectures/{KUNMING}"
ITEMS = [("A1", "安全出口畅通"), ("A2", "配电柜接地可靠"), ("A3", "有限空间作业审批")]


async def checklist_for(
    enterprise: Caller, code: str, items: list[tuple[str, str]] = ITEMS
) -> hazard_pb2.Checklist:
    return await enterprise.self_inspection.CreateChecklist(
        hazard_pb2.CreateChecklistRequest(
            parent=PARENT,
            checklist=hazard_pb2.Checklist(
                enterprise_credit_code=code,
                items=[hazard_pb2.ChecklistItem(code=c, text=t) for c, t in items],
            ),
        ),
        metadata=enterprise.metadata,
    )


def monthly_return(
    code: str, month: str, results: list[tuple[str, bool, str]], hazards: tuple[str, ...] = ()
) -> hazard_pb2.SelfInspectionReturn:
    return hazard_pb2.SelfInspectionReturn(
        enterprise_credit_code=code,
        month=month,
        hazards=list(hazards),
        results=[hazard_pb2.ItemResult(code=c, compliant=ok, notes=n) for c, ok, n in results],
    )


async def test_an_enterprise_files_its_month_against_its_current_checklist(
    stack: HazardStack,
    inspector: Caller,
) -> None:
    code = new_credit_code()
    enterprise = stack.caller(token(KUNMING, Role.ENTERPRISE, enterprise=code))
    first = await checklist_for(enterprise, code)
    second = await checklist_for(enterprise, code, [*ITEMS, ("A4", "消防器材在有效期内")])
    assert (first.version, second.version) == (1, 2)

    hazard = await enterprise.report(enterprise_credit_code=code)
    request_id = str(uuid.uuid4())
    filed = monthly_return(
        code,
        "2026-10",
        [("A1", True, ""), ("A2", False, "接地线松脱"), ("A3", True, ""), ("A4", True, "")],
        [hazard.name],
    )
    reply = await enterprise.self_inspection.SubmitSelfInspectionReturn(
        hazard_pb2.SubmitSelfInspectionReturnRequest(
            parent=PARENT, self_inspection_return=filed, request_id=request_id
        ),
        metadata=enterprise.metadata,
    )
    again = await enterprise.self_inspection.SubmitSelfInspectionReturn(
        hazard_pb2.SubmitSelfInspectionReturnRequest(
            parent=PARENT, self_inspection_return=filed, request_id=request_id
        ),
        metadata=enterprise.metadata,
    )

    assert reply.checklist_version == 2
    assert again.name == reply.name
    listed = await inspector.self_inspection.ListSelfInspectionReturns(
        hazard_pb2.ListSelfInspectionReturnsRequest(parent=PARENT, enterprise_credit_code=code),
        metadata=inspector.metadata,
    )
    assert [r.name for r in listed.self_inspection_returns] == [reply.name]
    assert list(listed.self_inspection_returns[0].hazards) == [hazard.name]

    with pytest.raises(grpc.aio.AioRpcError) as second_filing:
        await enterprise.self_inspection.SubmitSelfInspectionReturn(
            hazard_pb2.SubmitSelfInspectionReturnRequest(
                parent=PARENT, self_inspection_return=filed, request_id=str(uuid.uuid4())
            ),
            metadata=enterprise.metadata,
        )
    assert second_filing.value.code() == grpc.StatusCode.ALREADY_EXISTS


@pytest.mark.parametrize(
    ("results", "month", "field"),
    [
        ([("A1", True, ""), ("A2", True, "")], "2026-10", "self_inspection_return.results"),
        (
            [("A1", True, ""), ("A2", False, ""), ("A3", True, "")],
            "2026-10",
            "self_inspection_return.results[1].notes",
        ),
        (
            [("A1", True, ""), ("A2", True, ""), ("A3", True, "")],
            "2026-13",
            "self_inspection_return.month",
        ),
        (
            [("A1", True, ""), ("A2", True, ""), ("A3", True, "")],
            "2027-01",
            "self_inspection_return.month",
        ),
    ],
)
async def test_a_return_that_does_not_match_the_checklist_is_refused(
    stack: HazardStack,
    results: list[tuple[str, bool, str]],
    month: str,
    field: str,
) -> None:
    code = new_credit_code()
    enterprise = stack.caller(token(KUNMING, Role.ENTERPRISE, enterprise=code))
    await checklist_for(enterprise, code)

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await enterprise.self_inspection.SubmitSelfInspectionReturn(
            hazard_pb2.SubmitSelfInspectionReturnRequest(
                parent=PARENT, self_inspection_return=monthly_return(code, month, results)
            ),
            metadata=enterprise.metadata,
        )

    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in refused.value.details()


async def test_an_enterprise_cannot_file_for_another(stack: HazardStack) -> None:
    code = new_credit_code()
    enterprise = stack.caller(token(KUNMING, Role.ENTERPRISE, enterprise=new_credit_code()))
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await checklist_for(enterprise, code)
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
