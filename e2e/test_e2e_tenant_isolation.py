"""Journey: one prefecture cannot see or change another's hazards, by gRPC or over HTTP."""

import grpc
import pytest
from e2e_support import KUNMING, QUJING, Deployment

from anjian.hazard.v1 import hazard_pb2
from anjian_kernel.auth import Role

pytestmark = pytest.mark.e2e


async def test_kunming_is_denied_qujings_hazard_everywhere(deployment: Deployment) -> None:
    qujing = deployment.person(QUJING, Role.INSPECTOR)
    kunming = deployment.person(KUNMING, Role.INSPECTOR)
    theirs = await qujing.report(title="曲靖专属隐患")
    hazard_id = theirs.name.rsplit("/", 1)[-1]

    for name in [theirs.name, f"prefectures/{KUNMING}/hazards/{hazard_id}"]:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await kunming.hazards.GetHazard(
                hazard_pb2.GetHazardRequest(name=name), metadata=kunming.metadata
            )
        assert refused.value.code() == grpc.StatusCode.NOT_FOUND
        assert "曲靖" not in refused.value.details()

    listed = await kunming.hazards.ListHazards(
        hazard_pb2.ListHazardsRequest(
            parent=f"prefectures/{KUNMING}", enterprise_credit_code=theirs.enterprise_credit_code
        ),
        metadata=kunming.metadata,
    )
    assert list(listed.hazards) == []

    async with kunming.http() as own_gateway:
        own = await own_gateway.get(f"/v1/prefectures/{KUNMING}/hazards/{hazard_id}")
        foreign = await own_gateway.get(f"/v1/prefectures/{QUJING}/hazards/{hazard_id}")
    assert own.status_code == 404
    assert foreign.status_code in {403, 404}
    assert "曲靖专属隐患" not in own.text + foreign.text

    # Even at Qujing's own gateway, a Kunming token opens nothing of Qujing's.
    async with kunming.http(QUJING) as their_gateway:
        reply = await their_gateway.get(f"/v1/prefectures/{QUJING}/hazards/{hazard_id}")
    assert reply.status_code in {403, 404}
    assert "曲靖专属隐患" not in reply.text


async def test_a_call_without_a_token_is_refused(deployment: Deployment) -> None:
    anonymous = deployment.person(KUNMING, Role.INSPECTOR)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await anonymous.hazards.ListHazards(
            hazard_pb2.ListHazardsRequest(parent=f"prefectures/{KUNMING}")
        )
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
