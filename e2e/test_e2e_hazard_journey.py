"""Journey: an enterprise's hazard goes from report to closing (销号), over HTTP and gRPC."""

import uuid
from datetime import datetime, timedelta

import pytest
from e2e_support import KUNMING, Deployment, as_date, new_hazard, service_today

from anjian.hazard.v1 import hazard_pb2
from anjian_kernel.auth import Role
from anjian_kernel.clock import china_date

pytestmark = pytest.mark.e2e


async def test_a_hazard_is_reported_rectified_and_closed_over_http(deployment: Deployment) -> None:
    inspector = deployment.person(KUNMING, Role.INSPECTOR)
    draft = new_hazard(KUNMING)
    enterprise = deployment.person(
        KUNMING, Role.ENTERPRISE, enterprise=str(draft["enterprise_credit_code"])
    )
    base = f"/v1/prefectures/{KUNMING}/hazards"

    async with enterprise.http() as officer, inspector.http() as official:
        reply = await officer.post(base, json={"hazard": draft, "request_id": str(uuid.uuid4())})
        assert reply.status_code == 200, reply.text
        hazard = reply.json()
        path = f"{base}/{hazard['name'].rsplit('/', 1)[-1]}"
        today = china_date(datetime.fromisoformat(hazard["create_time"].replace("Z", "+00:00")))

        steps = [
            (official, ":grade", {"grade": "HAZARD_GRADE_GENERAL", "reason": "一般隐患"}),
            (
                official,
                ":assignRectification",
                {
                    "deadline": (today + timedelta(days=10)).isoformat(),
                    "measures": "更换报警器探头并校验",
                    "responsible_person": "设备科长",
                },
            ),
            (officer, ":submitRectification", {"report": "已更换并校验合格"}),
            (official, ":reinspect", {"notes": "复查合格"}),
            (official, ":accept", {"notes": "验收合格"}),
            (official, ":close", {"notes": "销号"}),
        ]
        for client, verb, body in steps:
            reply = await client.post(f"{path}{verb}", json={"etag": hazard["etag"], **body})
            assert reply.status_code == 200, (verb, reply.text)
            hazard = reply.json()

        assert hazard["state"] == "HAZARD_STATE_CLOSED"
        trail = await official.get(f"{path}/auditRecords")
        assert [r["action"] for r in trail.json()["audit_records"]][-1] == "CloseHazard"

        stale = await officer.post(
            f"{path}:submitRectification", json={"etag": "3", "report": "离线补交"}
        )
        assert stale.status_code == 409


async def test_a_major_hazard_goes_under_listed_supervision_over_grpc(
    deployment: Deployment,
) -> None:
    inspector = deployment.person(KUNMING, Role.INSPECTOR)
    hazard = await inspector.report()
    md = inspector.metadata
    hazard = await inspector.hazards.GradeHazard(
        hazard_pb2.GradeHazardRequest(
            name=hazard.name,
            etag=hazard.etag,
            grade=hazard_pb2.HAZARD_GRADE_MAJOR,
            criterion=hazard_pb2.MajorHazardCriterion(
                standard="chemicals", standard_version="2017", item="CH-2017-01"
            ),
        ),
        metadata=md,
    )
    hazard = await inspector.hazards.PlaceUnderListedSupervision(
        hazard_pb2.PlaceUnderListedSupervisionRequest(
            name=hazard.name,
            etag=hazard.etag,
            authority="昆明市应急管理局",
            document_number="昆应急督〔2026〕E2E号",
        ),
        metadata=md,
    )
    hazard = await inspector.hazards.AssignRectification(
        hazard_pb2.AssignRectificationRequest(
            name=hazard.name,
            etag=hazard.etag,
            measures="停产整改",
            deadline=as_date(service_today(hazard) + timedelta(days=20)),
            responsible_person="主要负责人",
            production_stopped=True,
        ),
        metadata=md,
    )

    assert hazard.grade == hazard_pb2.HAZARD_GRADE_MAJOR
    assert hazard.criterion.item_text
    assert hazard.listed_supervision.authority == "昆明市应急管理局"
    assert hazard.state == hazard_pb2.HAZARD_STATE_RECTIFYING
