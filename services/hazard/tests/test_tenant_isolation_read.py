"""Case tenant-isolation-read (gRPC part): Kunming cannot read Qujing's hazards in any way."""

import uuid

import grpc
import pytest
from hazard_support import KUNMING, QUJING, Caller, HazardStack, token

from anjian.hazard.v1 import hazard_pb2
from anjian_kernel.auth import Role


async def refusal(call: object) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call  # type: ignore[misc]
    return refused.value


async def test_tenant_isolation_read(stack: HazardStack, inspector: Caller) -> None:
    qujing = stack.caller(token(QUJING, Role.INSPECTOR))
    theirs = await qujing.report(QUJING, title="曲靖的秘密隐患", enterprise_name="曲靖某煤矿")
    their_id = theirs.name.rsplit("/", 1)[-1]
    missing_id = str(uuid.uuid4())
    kunming = inspector.hazards
    md = inspector.metadata

    answers = []
    for name in [
        theirs.name,  # their name as it is
        f"prefectures/{KUNMING}/hazards/{their_id}",  # their id under our prefecture
        f"prefectures/{QUJING}/hazards/{missing_id}",  # a missing id in their prefecture
        f"prefectures/{KUNMING}/hazards/{missing_id}",  # a missing id in ours
    ]:
        error = await refusal(
            kunming.GetHazard(hazard_pb2.GetHazardRequest(name=name), metadata=md)
        )
        answers.append((error.code(), error.details()))
        audit = await refusal(
            kunming.ListHazardAuditRecords(
                hazard_pb2.ListHazardAuditRecordsRequest(name=name), metadata=md
            )
        )
        answers.append((audit.code(), audit.details()))

    assert {code for code, _ in answers} == {grpc.StatusCode.NOT_FOUND}
    assert len({details for _, details in answers}) == 1, "same answer whether or not it exists"

    ours = await kunming.ListHazards(
        hazard_pb2.ListHazardsRequest(
            parent=f"prefectures/{KUNMING}", enterprise_credit_code=theirs.enterprise_credit_code
        ),
        metadata=md,
    )
    assert list(ours.hazards) == []
    all_ours = await kunming.ListHazards(
        hazard_pb2.ListHazardsRequest(parent=f"prefectures/{KUNMING}", page_size=500), metadata=md
    )
    assert theirs.name not in {h.name for h in all_ours.hazards}
    assert all(h.name.startswith(f"prefectures/{KUNMING}/") for h in all_ours.hazards)

    listing = await refusal(
        kunming.ListHazards(
            hazard_pb2.ListHazardsRequest(parent=f"prefectures/{QUJING}"), metadata=md
        )
    )
    assert listing.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "曲靖" not in listing.details()

    change = await refusal(
        kunming.GradeHazard(
            hazard_pb2.GradeHazardRequest(
                name=theirs.name, etag=theirs.etag, grade=hazard_pb2.HAZARD_GRADE_GENERAL
            ),
            metadata=md,
        )
    )
    assert change.code() == grpc.StatusCode.NOT_FOUND
    assert (
        await qujing.hazards.GetHazard(
            hazard_pb2.GetHazardRequest(name=theirs.name), metadata=qujing.metadata
        )
    ).version == 1


async def test_a_county_inspector_sees_only_their_county(
    stack: HazardStack, inspector: Caller
) -> None:
    elsewhere = await inspector.report(county_code="530111")
    wuhua = stack.caller(token(KUNMING, Role.INSPECTOR, county="530102"))

    error = await refusal(
        wuhua.hazards.GetHazard(
            hazard_pb2.GetHazardRequest(name=elsewhere.name), metadata=wuhua.metadata
        )
    )
    assert error.code() == grpc.StatusCode.NOT_FOUND
    listed = await wuhua.hazards.ListHazards(
        hazard_pb2.ListHazardsRequest(parent=f"prefectures/{KUNMING}", page_size=500),
        metadata=wuhua.metadata,
    )
    assert {h.county_code for h in listed.hazards} <= {"530102"}


async def test_an_enterprise_sees_only_its_own_hazards(
    stack: HazardStack, inspector: Caller
) -> None:
    mine = await inspector.report()
    other = await inspector.report()
    enterprise = stack.caller(
        token(KUNMING, Role.ENTERPRISE, enterprise=mine.enterprise_credit_code)
    )

    listed = await enterprise.hazards.ListHazards(
        hazard_pb2.ListHazardsRequest(parent=f"prefectures/{KUNMING}", page_size=500),
        metadata=enterprise.metadata,
    )
    assert [h.name for h in listed.hazards] == [mine.name]
    error = await refusal(
        enterprise.hazards.GetHazard(
            hazard_pb2.GetHazardRequest(name=other.name), metadata=enterprise.metadata
        )
    )
    assert error.code() == grpc.StatusCode.NOT_FOUND


async def test_a_prefecture_this_deployment_does_not_serve_is_refused_cleanly(
    stack: HazardStack,
) -> None:
    yuxi = stack.caller(token("530400", Role.INSPECTOR))
    error = await refusal(
        yuxi.hazards.ListHazards(
            hazard_pb2.ListHazardsRequest(parent="prefectures/530400"), metadata=yuxi.metadata
        )
    )
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "does not serve prefecture 530400" in error.details()
