"""../shared/cases/credit-code-checksum.md over gRPC: the checksum decides, not the shape."""

import grpc
import pytest
from credit_support import KUNMING, Caller, CreditStack, token
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from anjian.credit.v1 import credit_pb2
from anjian_kernel.auth import Role

VALID = ["914403001922038216", "9144030071526726XG", "915301001000002350"]
REJECTED = {
    "915301001000002351": "wrong check character",
    "111111111111111111": "wrong check character",
    "11010519491231002X": "resident ID number",
    "91530100MA6NIO1X2S": "outside the credit-code alphabet",
}


def violations_of(error: grpc.aio.AioRpcError) -> dict[str, str]:
    status = rpc_status.from_call(error)
    assert status is not None
    found: dict[str, str] = {}
    for detail in status.details:
        bad_request = error_details_pb2.BadRequest()
        if detail.Unpack(bad_request):
            found.update({v.field: v.description for v in bad_request.field_violations})
    return found


async def register_once(caller: Caller, code: str) -> credit_pb2.Enterprise | None:
    """Register, or None when the code is registered already (the cases share codes)."""
    try:
        return await caller.register(code)
    except grpc.aio.AioRpcError as error:
        if error.code() != grpc.StatusCode.ALREADY_EXISTS:
            raise
        return None


async def count_enterprises(caller: Caller, code: str) -> int:
    found = await caller.public.SearchPublicCredit(
        credit_pb2.SearchPublicCreditRequest(parent=caller.parent, query=code),
        metadata=caller.metadata,
    )
    return sum(1 for e in found.enterprises if e.credit_code == code.strip().upper())


@pytest.mark.parametrize("code", VALID)
async def test_credit_code_checksum_valid_codes_register(inspector: Caller, code: str) -> None:
    registered = await register_once(inspector, code)
    if registered is not None:
        assert registered.credit_code == code
        assert not registered.legacy_code
        assert registered.source == "self-registration"
    assert await count_enterprises(inspector, code) == 1


@pytest.mark.parametrize(("code", "reason"), REJECTED.items())
async def test_credit_code_checksum_rejections_name_the_field_and_store_nothing(
    inspector: Caller, code: str, reason: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await inspector.register(code)

    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert reason in violations_of(refused.value)["enterprise.credit_code"]
    assert await count_enterprises(inspector, code) == 0


async def test_credit_code_checksum_lower_case_and_spaces_are_one_enterprise(
    stack: CreditStack, inspector: Caller
) -> None:
    code = "9144030071526726XG"
    variants = [" 9144030071526726xg", "9144030071526726xg ", "\t9144030071526726XG"]
    for variant in [code, *variants]:
        registered = await register_once(inspector, variant)
        assert registered is None or registered.credit_code == code

    assert await count_enterprises(inspector, code) == 1
    assert await count_enterprises(inspector, "9144030071526726xg") == 1


async def test_credit_code_checksum_import_keeps_legacy_codes_marked(
    stack: CreditStack,
) -> None:
    partner = stack.caller(token(KUNMING, Role.PARTNER))
    records = [
        credit_pb2.Enterprise(
            credit_code=" 915301001000002351 ", display_name="老字号建材厂", county_code="530102"
        ),
        credit_pb2.Enterprise(
            credit_code="914403001922038216", display_name="某某科技公司", county_code="530102"
        ),
        credit_pb2.Enterprise(
            credit_code="11010519491231002X", display_name="个人", county_code="530102"
        ),
        credit_pb2.Enterprise(
            credit_code="91530100MA6NIO1X2S", display_name="字母错", county_code="530102"
        ),
    ]
    reply = await partner.credit.ImportEnterprises(
        credit_pb2.ImportEnterprisesRequest(
            parent=partner.parent, enterprises=records, source="市场监督管理局 2026-11 导出"
        ),
        metadata=partner.metadata,
    )

    assert reply.imported == 2
    assert reply.legacy == 1
    assert [r.index for r in reply.rejected] == [2, 3]
    assert "resident ID" in reply.rejected[0].reason
    legacy = await partner.credit.GetEnterprise(
        credit_pb2.GetEnterpriseRequest(
            name=f"prefectures/{KUNMING}/enterprises/915301001000002351"
        ),
        metadata=partner.metadata,
    )
    assert legacy.legacy_code
    assert legacy.source == "市场监督管理局 2026-11 导出"
    assert await count_enterprises(partner, "915301001000002351") == 1


async def test_credit_code_checksum_an_enterprise_registers_only_itself(
    stack: CreditStack,
) -> None:
    own = "914403001922038216"
    enterprise = stack.caller(token(KUNMING, Role.ENTERPRISE, enterprise=own))
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await enterprise.register("9144030071526726XG")
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
