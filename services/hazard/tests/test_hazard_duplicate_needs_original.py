"""Case hazard-duplicate-needs-original: a duplicate must name a valid original."""

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from hazard_support import KUNMING, QUJING, Caller, HazardStack, token

from anjian.hazard.v1 import hazard_pb2
from anjian_kernel.auth import Role


def field_violations(error: grpc.aio.AioRpcError) -> dict[str, str]:
    """The BadRequest field violations of an INVALID_ARGUMENT reply."""
    status = rpc_status.from_call(error)
    assert status is not None
    found: dict[str, str] = {}
    for detail in status.details:
        bad_request = error_details_pb2.BadRequest()
        if detail.Unpack(bad_request):
            found.update({v.field: v.description for v in bad_request.field_violations})
    return found


async def mark(inspector: Caller, hazard: hazard_pb2.Hazard, original: str) -> hazard_pb2.Hazard:
    return await inspector.hazards.MarkDuplicateHazard(
        hazard_pb2.MarkDuplicateHazardRequest(
            name=hazard.name, etag=hazard.etag, original=original, reason="同一隐患重复上报"
        ),
        metadata=inspector.metadata,
    )


@pytest.mark.parametrize(
    "original", ["", "missing", "other-tenant", "other-enterprise", "itself-duplicate", "self"]
)
async def test_hazard_duplicate_needs_original(
    stack: HazardStack, inspector: Caller, original: str
) -> None:
    hazard = await inspector.report()
    code = hazard.enterprise_credit_code
    if original == "missing":
        target = f"prefectures/{KUNMING}/hazards/00000000-0000-4000-8000-000000000000"
    elif original == "other-tenant":
        qujing = stack.caller(token(QUJING, Role.INSPECTOR))
        target = (await qujing.report(QUJING)).name
    elif original == "other-enterprise":
        target = (await inspector.report()).name
    elif original == "itself-duplicate":
        first = await inspector.report(enterprise_credit_code=code)
        second = await inspector.report(enterprise_credit_code=code)
        await mark(inspector, second, first.name)
        target = second.name
    elif original == "self":
        target = hazard.name
    else:
        target = ""

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await mark(inspector, hazard, target)

    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "original" in field_violations(refused.value)
    after = await inspector.hazards.GetHazard(
        hazard_pb2.GetHazardRequest(name=hazard.name), metadata=inspector.metadata
    )
    assert after.state == hazard_pb2.HAZARD_STATE_REPORTED
    assert after.version == hazard.version


async def test_a_valid_duplicate_closes_with_a_link_and_the_original_stays_open(
    inspector: Caller,
) -> None:
    original = await inspector.report()
    copy = await inspector.report(enterprise_credit_code=original.enterprise_credit_code)

    closed = await mark(inspector, copy, original.name)

    assert closed.state == hazard_pb2.HAZARD_STATE_DUPLICATE
    assert closed.duplicate_of == original.name
    assert closed.HasField("close_time")
    still = await inspector.hazards.GetHazard(
        hazard_pb2.GetHazardRequest(name=original.name), metadata=inspector.metadata
    )
    assert still.state == hazard_pb2.HAZARD_STATE_REPORTED
