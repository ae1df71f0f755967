"""Case hazard-retry-duplicates: retries with one request id make one hazard and one event."""

import asyncio
import uuid

import grpc
import pytest
from hazard_support import KUNMING, Caller, HazardStack, hazard_events, new_credit_code, token

from anjian.events.v1.hazard_events_pb2 import HazardEvent
from anjian.hazard.v1 import hazard_pb2
from anjian_kernel.auth import Role


async def test_hazard_retry_duplicates(stack: HazardStack, inspector: Caller) -> None:
    request_id = str(uuid.uuid4())
    code = new_credit_code()

    replies = await asyncio.gather(
        *(inspector.report(request_id=request_id, enterprise_credit_code=code) for _ in range(10))
    )

    assert len({reply.name for reply in replies}) == 1
    assert {reply.version for reply in replies} == {1}
    # One reply is built from what was inserted, the others read back the stored row.
    assert all(reply == replies[0] for reply in replies)
    listed = await inspector.hazards.ListHazards(
        hazard_pb2.ListHazardsRequest(parent=f"prefectures/{KUNMING}", enterprise_credit_code=code),
        metadata=inspector.metadata,
    )
    assert [h.name for h in listed.hazards] == [replies[0].name]
    events = await hazard_events(stack.nats.url, KUNMING, replies[0].name, 1)
    assert [e.kind for e in events] == [HazardEvent.Kind.KIND_REPORTED]
    trail = await inspector.hazards.ListHazardAuditRecords(
        hazard_pb2.ListHazardAuditRecordsRequest(name=replies[0].name),
        metadata=inspector.metadata,
    )
    assert [(r.action, r.to_state, r.request_id) for r in trail.audit_records] == [
        ("ReportHazard", "REPORTED", request_id)
    ]


async def test_same_content_with_a_new_request_id_is_a_new_hazard_flagged_as_likely_duplicate(
    inspector: Caller,
) -> None:
    code = new_credit_code()
    first = await inspector.report(enterprise_credit_code=code)
    second = await inspector.report(enterprise_credit_code=code)

    assert second.name != first.name
    assert second.likely_duplicate_of == first.name
    stored = await inspector.hazards.GetHazard(
        hazard_pb2.GetHazardRequest(name=second.name), metadata=inspector.metadata
    )
    assert second == stored
    assert second.state == hazard_pb2.HAZARD_STATE_REPORTED
    assert not first.likely_duplicate_of


async def test_a_likely_duplicate_is_found_whatever_spaces_surround_its_title(
    inspector: Caller,
) -> None:
    code = new_credit_code()
    first = await inspector.report(enterprise_credit_code=code, title="配电柜接地线松脱")
    second = await inspector.report(enterprise_credit_code=code, title="  配电柜接地线松脱 ")

    assert second.title == first.title
    assert second.likely_duplicate_of == first.name


async def test_a_request_id_reused_for_a_different_hazard_is_refused(inspector: Caller) -> None:
    request_id = str(uuid.uuid4())
    first = await inspector.report(request_id=request_id, title="标题甲")

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await inspector.report(request_id=request_id, title="标题乙")

    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "request_id" in refused.value.details()
    listed = await inspector.hazards.ListHazards(
        hazard_pb2.ListHazardsRequest(
            parent=f"prefectures/{KUNMING}",
            enterprise_credit_code=first.enterprise_credit_code,
        ),
        metadata=inspector.metadata,
    )
    assert [h.title for h in listed.hazards] == ["标题甲"]


async def test_a_request_id_another_caller_used_is_refused_not_reported_missing(
    stack: HazardStack,
) -> None:
    first_code, second_code = new_credit_code(), new_credit_code()
    first = stack.caller(token(KUNMING, Role.ENTERPRISE, enterprise=first_code))
    second = stack.caller(token(KUNMING, Role.ENTERPRISE, enterprise=second_code))
    request_id = str(uuid.uuid4())
    await first.report(request_id=request_id, enterprise_credit_code=first_code)

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await second.report(request_id=request_id, enterprise_credit_code=second_code)

    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "request_id" in refused.value.details()


async def test_text_is_stored_without_surrounding_spaces_and_duplicates_still_match(
    inspector: Caller,
) -> None:
    code = new_credit_code()
    first = await inspector.report(enterprise_credit_code=code, location="一号车间")
    padded = await inspector.report(
        enterprise_credit_code=code,
        location=" 一号车间 ",
        description="\n二号车间配电柜接地线松脱  ",
        title=" " + "配" * 200 + " ",
    )

    assert padded.location == "一号车间"
    assert padded.description == "二号车间配电柜接地线松脱"
    assert padded.title == "配" * 200
    stored = await inspector.hazards.GetHazard(
        hazard_pb2.GetHazardRequest(name=padded.name), metadata=inspector.metadata
    )
    assert stored == padded
    retitled = await inspector.report(
        enterprise_credit_code=code, title=" " + first.title, location=" 一号车间 "
    )
    assert retitled.likely_duplicate_of == first.name
