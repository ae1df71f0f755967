"""Credit records from other services' events: once per event, from the real hazard service."""

import uuid

import grpc
import nats
from credit_support import (
    KUNMING,
    Caller,
    CreditStack,
    credit_events,
    cst,
    eventually,
    new_credit_code,
    token,
)
from google.protobuf.timestamp_pb2 import Timestamp
from google.type.date_pb2 import Date

from anjian.credit.v1 import credit_pb2
from anjian.events.v1.credit_events_pb2 import CreditEvent
from anjian.events.v1.envelope_pb2 import EventMetadata
from anjian.events.v1.hazard_events_pb2 import HazardEvent
from anjian.hazard.v1 import hazard_pb2, hazard_pb2_grpc
from anjian_credit.consumer import DURABLE
from anjian_kernel.auth import Role
from anjian_kernel.bus import stream_name


def overdue_event(code: str, stack: CreditStack) -> HazardEvent:
    occurred = Timestamp()
    occurred.FromDatetime(stack.clock.now())
    hazard_name = f"prefectures/{KUNMING}/hazards/{uuid.uuid4()}"
    return HazardEvent(
        metadata=EventMetadata(
            event_id=str(uuid.uuid4()),
            tenant=KUNMING,
            occur_time=occurred,
            resource=hazard_name,
            resource_version=5,
            actor="system",
        ),
        kind=HazardEvent.KIND_OVERDUE,
        hazard=hazard_pb2.Hazard(
            name=hazard_name,
            enterprise_credit_code=code,
            enterprise_name="滇池精细化工有限公司",
            county_code="530102",
            industry="chemicals",
            state=hazard_pb2.HAZARD_STATE_RECTIFYING,
            grade=hazard_pb2.HAZARD_GRADE_MAJOR,
            overdue=True,
        ),
        from_state=hazard_pb2.HAZARD_STATE_RECTIFYING,
    )


async def records_of(caller: Caller, code: str) -> list[credit_pb2.CreditRecord]:
    try:
        reply = await caller.credit.ListCreditRecords(
            credit_pb2.ListCreditRecordsRequest(parent=f"{caller.parent}/enterprises/{code}"),
            metadata=caller.metadata,
        )
    except grpc.aio.AioRpcError as error:
        if error.code() == grpc.StatusCode.NOT_FOUND:
            return []
        raise
    return list(reply.credit_records)


async def consumer_caught_up(stack: CreditStack) -> bool:
    info = await stack.host.bus.jetstream.consumer_info(stream_name(KUNMING), DURABLE)
    return info.num_pending == 0 and info.num_ack_pending == 0


async def test_a_duplicated_event_makes_one_record(stack: CreditStack, inspector: Caller) -> None:
    code = new_credit_code()
    event = overdue_event(code, stack)
    payload = event.SerializeToString()
    subject = f"anjian.{KUNMING}.hazard.overdue"
    client = await nats.connect(stack.nats.url)
    try:
        jetstream = client.jetstream()
        for message_id in (event.metadata.event_id, event.metadata.event_id, str(uuid.uuid4())):
            # The last one is a republish JetStream cannot recognise: only the record's
            # unique event id stops it.
            await jetstream.publish(subject, payload, headers={"Nats-Msg-Id": message_id})
    finally:
        await client.close()

    await eventually(lambda: records_of(inspector, code))
    await eventually(lambda: consumer_caught_up(stack))

    [record] = await records_of(inspector, code)
    assert record.event_id == event.metadata.event_id
    assert record.rule == "hazard-overdue-major"
    assert record.points == -10
    assert record.source_document == event.hazard.name
    assert record.kind == credit_pb2.CONDUCT_KIND_BAD
    enterprise = await inspector.credit.GetEnterprise(
        credit_pb2.GetEnterpriseRequest(name=f"{inspector.parent}/enterprises/{code}"),
        metadata=inspector.metadata,
    )
    assert enterprise.display_name == "滇池精细化工有限公司"
    assert enterprise.source == "event:hazard"
    created = await credit_events(
        stack.nats.url,
        KUNMING,
        lambda e: e.kind == CreditEvent.KIND_RECORD_CREATED and e.credit_code == code,
        1,
    )
    assert len(created) == 1


async def test_an_overdue_major_hazard_becomes_a_credit_record_and_moves_the_score(
    stack: CreditStack, inspector: Caller, hazard_channel: grpc.aio.Channel
) -> None:
    hazards = hazard_pb2_grpc.HazardServiceStub(hazard_channel)
    official = (("authorization", f"Bearer {token(KUNMING, Role.INSPECTOR)}"),)
    admin = (("authorization", f"Bearer {token(KUNMING, Role.ADMIN)}"),)
    code = new_credit_code()
    reported = await hazards.ReportHazard(
        hazard_pb2.ReportHazardRequest(
            parent=f"prefectures/{KUNMING}",
            request_id=str(uuid.uuid4()),
            hazard=hazard_pb2.Hazard(
                enterprise_credit_code=code,
                enterprise_name="螳螂川化肥厂",
                county_code="530102",
                title="液氨储罐区未设置泄漏报警",
                description="液氨储罐区可燃有毒气体泄漏报警装置缺失",
                location="液氨储罐区",
                industry="chemicals",
            ),
        ),
        metadata=official,
    )
    graded = await hazards.GradeHazard(
        hazard_pb2.GradeHazardRequest(
            name=reported.name,
            etag=reported.etag,
            grade=hazard_pb2.HAZARD_GRADE_MAJOR,
            criterion=hazard_pb2.MajorHazardCriterion(
                standard="chemicals", standard_version="2017", item="CH-2017-01"
            ),
            reason="判定为重大事故隐患",
        ),
        metadata=official,
    )
    await hazards.AssignRectification(
        hazard_pb2.AssignRectificationRequest(
            name=graded.name,
            etag=graded.etag,
            deadline=Date(year=2026, month=11, day=20),
            measures="增设泄漏报警装置",
            responsible_person="张三",
        ),
        metadata=official,
    )
    stack.clock.instant = cst(2026, 11, 21, 0, 30)
    detected = await hazards.DetectOverdueHazards(
        hazard_pb2.DetectOverdueHazardsRequest(parent=f"prefectures/{KUNMING}"), metadata=admin
    )
    assert reported.name in detected.newly_overdue

    [record] = await eventually(lambda: records_of(inspector, code))
    assert record.rule == "hazard-overdue-major"
    assert record.source == "hazard"
    assert record.source_document == reported.name
    assert record.conduct_date == Date(year=2026, month=11, day=21)
    [changed] = await credit_events(
        stack.nats.url,
        KUNMING,
        lambda e: e.kind == CreditEvent.KIND_SCORE_CHANGED and e.credit_code == code,
        1,
    )
    assert (changed.score_before, changed.score_after) == (100, 90)
    enterprise = await inspector.credit.GetEnterprise(
        credit_pb2.GetEnterpriseRequest(name=f"{inspector.parent}/enterprises/{code}"),
        metadata=inspector.metadata,
    )
    assert enterprise.score == 90
    assert enterprise.display_name == "螳螂川化肥厂"
