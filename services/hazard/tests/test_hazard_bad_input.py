"""Bad input is refused with the field and the reason, and stores and publishes nothing."""

import base64
import json
import uuid

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from google.rpc import error_details_pb2
from google.type.date_pb2 import Date
from grpc_status import rpc_status
from hazard_support import KUNMING, QUJING, Caller, HazardStack, hazard_fields, token

from anjian.hazard.v1 import hazard_pb2
from anjian_kernel.auth import Role

CREDIT_CODE_CASES = {
    "915301001000002351": "wrong check character",
    "111111111111111111": "wrong check character",
    "11010519491231002X": "resident ID",
    "91530100MA6NIO1X2S": "outside the credit-code alphabet",
    "9153010010000023": "18 characters",
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


async def refused_report(caller: Caller, **fields: object) -> grpc.aio.AioRpcError:
    request_id = str(uuid.uuid4())
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await caller.report(request_id=request_id, **fields)
    return refused.value


async def count_hazards(caller: Caller, code: str) -> int:
    listed = await caller.hazards.ListHazards(
        hazard_pb2.ListHazardsRequest(parent=f"prefectures/{KUNMING}", enterprise_credit_code=code),
        metadata=caller.metadata,
    )
    return listed.total_size


@pytest.mark.parametrize(("code", "reason"), CREDIT_CODE_CASES.items())
async def test_credit_code_checksum_over_grpc(inspector: Caller, code: str, reason: str) -> None:
    error = await refused_report(inspector, enterprise_credit_code=code)

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert reason in violations_of(error)["hazard.enterprise_credit_code"]
    assert await count_hazards(inspector, code) == 0


async def test_lower_case_and_spaces_are_one_enterprise(inspector: Caller) -> None:
    code = "915301001000002350"
    before = await count_hazards(inspector, code)

    first = await inspector.report(enterprise_credit_code=code)
    second = await inspector.report(enterprise_credit_code=f"  {code.lower()} ")

    assert first.enterprise_credit_code == second.enterprise_credit_code == code
    assert await count_hazards(inspector, code) == before + 2


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({"county_code": "110101"}, "hazard.county_code", "not a Yunnan county"),
        ({"county_code": "530302"}, "hazard.county_code", "not a county of prefecture 530100"),
        ({"county_code": ""}, "hazard.county_code", "required"),
        ({"title": "隐" * 201}, "hazard.title", "at most 200"),
        ({"description": "x" * 4001}, "hazard.description", "at most 4000"),
        ({"title": "   "}, "hazard.title", "required"),
        ({"industry": "bakery"}, "hazard.industry", "must be one of"),
    ],
)
async def test_bad_report_fields_name_the_field(
    inspector: Caller, fields: dict[str, object], field: str, reason: str
) -> None:
    code = str(hazard_fields()["enterprise_credit_code"])
    error = await refused_report(inspector, enterprise_credit_code=code, **fields)

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert reason in violations_of(error)[field]
    assert await count_hazards(inspector, code) == 0


async def test_every_bad_field_is_reported_at_once(inspector: Caller) -> None:
    error = await refused_report(
        inspector, enterprise_credit_code="bad", county_code="999999", title=""
    )
    assert set(violations_of(error)) >= {
        "hazard.enterprise_credit_code",
        "hazard.county_code",
        "hazard.title",
    }


async def test_a_parent_that_is_not_the_token_tenant_is_refused(inspector: Caller) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await inspector.hazards.ReportHazard(
            hazard_pb2.ReportHazardRequest(
                parent=f"prefectures/{QUJING}",
                hazard=hazard_pb2.Hazard(**hazard_fields(QUJING)),
                request_id=str(uuid.uuid4()),
            ),
            metadata=inspector.metadata,
        )
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "parent" in refused.value.details()


async def test_an_enterprise_cannot_report_for_another(stack: HazardStack) -> None:
    enterprise = stack.caller(token(KUNMING, Role.ENTERPRISE, enterprise="915301001000002350"))
    error = await refused_report(enterprise)
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_steps_out_of_order_are_refused(inspector: Caller) -> None:
    reported = await inspector.report()
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await inspector.hazards.CloseHazard(
            hazard_pb2.CloseHazardRequest(name=reported.name, etag=reported.etag),
            metadata=inspector.metadata,
        )
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "REPORTED" in refused.value.details()


async def test_a_major_grade_needs_a_known_criterion(inspector: Caller) -> None:
    reported = await inspector.report()
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await inspector.hazards.GradeHazard(
            hazard_pb2.GradeHazardRequest(
                name=reported.name,
                etag=reported.etag,
                grade=hazard_pb2.HAZARD_GRADE_MAJOR,
                criterion=hazard_pb2.MajorHazardCriterion(
                    standard="chemicals", standard_version="2099", item="X"
                ),
            ),
            metadata=inspector.metadata,
        )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "criterion" in violations_of(refused.value)


async def test_listed_supervision_is_for_major_hazards_only(inspector: Caller) -> None:
    hazard = await inspector.report()
    hazard = await inspector.hazards.GradeHazard(
        hazard_pb2.GradeHazardRequest(
            name=hazard.name, etag=hazard.etag, grade=hazard_pb2.HAZARD_GRADE_GENERAL
        ),
        metadata=inspector.metadata,
    )
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await inspector.hazards.PlaceUnderListedSupervision(
            hazard_pb2.PlaceUnderListedSupervisionRequest(
                name=hazard.name,
                etag=hazard.etag,
                authority="昆明市应急管理局",
                document_number="1",
            ),
            metadata=inspector.metadata,
        )
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "GENERAL" in refused.value.details()


async def test_a_page_token_from_another_query_is_refused(inspector: Caller) -> None:
    for _ in range(3):
        await inspector.report(county_code="530112")
    first = await inspector.hazards.ListHazards(
        hazard_pb2.ListHazardsRequest(
            parent=f"prefectures/{KUNMING}", county_code="530112", page_size=2
        ),
        metadata=inspector.metadata,
    )
    assert first.next_page_token

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await inspector.hazards.ListHazards(
            hazard_pb2.ListHazardsRequest(
                parent=f"prefectures/{KUNMING}",
                county_code="530102",
                page_size=2,
                page_token=first.next_page_token,
            ),
            metadata=inspector.metadata,
        )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "page_token" in violations_of(refused.value)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "配电柜\x00接地"}, "hazard.title"),
        ({"location": "\x00"}, "hazard.location"),
        ({"title": "\x1b[31m红色标题"}, "hazard.title"),
        ({"description": "看起来正常\u202e文字反转"}, "hazard.description"),
        ({"title": "配电柜接地\x1f"}, "hazard.title"),
        ({"location": "\x1c一号车间"}, "hazard.location"),
    ],
)
async def test_control_characters_are_refused_by_name(
    inspector: Caller, fields: dict[str, object], field: str
) -> None:
    code = str(hazard_fields()["enterprise_credit_code"])
    error = await refused_report(inspector, enterprise_credit_code=code, **fields)

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violations_of(error)[field] == "contains a control character"
    assert await count_hazards(inspector, code) == 0


async def test_hundreds_of_bad_fields_still_fit_in_the_reply(stack: HazardStack) -> None:
    code = str(hazard_fields()["enterprise_credit_code"])
    enterprise = stack.caller(token(KUNMING, Role.ENTERPRISE, enterprise=code))
    items = [hazard_pb2.ChecklistItem(code="", text="") for _ in range(400)]
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await enterprise.self_inspection.CreateChecklist(
            hazard_pb2.CreateChecklistRequest(
                parent=f"prefectures/{KUNMING}",
                checklist=hazard_pb2.Checklist(enterprise_credit_code=code, items=items),
            ),
            metadata=enterprise.metadata,
        )

    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert 0 < len(violations_of(refused.value)) <= 20
    assert "more" in refused.value.details()


async def test_a_deadline_years_ahead_is_a_typing_error(inspector: Caller) -> None:
    hazard = await inspector.report()
    hazard = await inspector.hazards.GradeHazard(
        hazard_pb2.GradeHazardRequest(
            name=hazard.name, etag=hazard.etag, grade=hazard_pb2.HAZARD_GRADE_GENERAL
        ),
        metadata=inspector.metadata,
    )
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await inspector.hazards.AssignRectification(
            hazard_pb2.AssignRectificationRequest(
                name=hazard.name,
                etag=hazard.etag,
                deadline=Date(year=9999, month=12, day=31),
                measures="m",
                responsible_person="p",
            ),
            metadata=inspector.metadata,
        )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "more than a year ahead" in violations_of(refused.value)["deadline"]


async def test_a_forged_page_token_is_bad_input_not_a_crash(inspector: Caller) -> None:
    for _ in range(3):
        await inspector.report(county_code="530113")
    query = {"parent": f"prefectures/{KUNMING}", "county_code": "530113", "page_size": 2}
    genuine = await inspector.hazards.ListHazards(
        hazard_pb2.ListHazardsRequest(**query), metadata=inspector.metadata
    )
    decoded = json.loads(base64.urlsafe_b64decode(genuine.next_page_token))
    forged = base64.urlsafe_b64encode(json.dumps({**decoded, "o": 10**20}).encode()).decode()

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await inspector.hazards.ListHazards(
            hazard_pb2.ListHazardsRequest(**query, page_token=forged), metadata=inspector.metadata
        )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "page_token" in violations_of(refused.value)


async def test_a_find_time_from_year_one_is_bad_input(inspector: Caller) -> None:
    code = str(hazard_fields()["enterprise_credit_code"])
    error = await refused_report(
        inspector, enterprise_credit_code=code, find_time=Timestamp(seconds=-62135596800)
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "hazard.find_time" in violations_of(error)


async def test_a_missing_etag_is_named(inspector: Caller) -> None:
    reported = await inspector.report()
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await inspector.hazards.GradeHazard(
            hazard_pb2.GradeHazardRequest(
                name=reported.name, grade=hazard_pb2.HAZARD_GRADE_GENERAL
            ),
            metadata=inspector.metadata,
        )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "etag" in violations_of(refused.value)


async def test_a_page_token_from_another_callers_scope_is_refused(
    stack: HazardStack, inspector: Caller
) -> None:
    for _ in range(3):
        await inspector.report()
    first = await inspector.hazards.ListHazards(
        hazard_pb2.ListHazardsRequest(parent=f"prefectures/{KUNMING}", page_size=2),
        metadata=inspector.metadata,
    )
    assert first.next_page_token
    others = [
        (QUJING, stack.caller(token(QUJING, Role.INSPECTOR))),
        (KUNMING, stack.caller(token(KUNMING, Role.INSPECTOR, county="530102"))),
    ]

    for tenant, other in others:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await other.hazards.ListHazards(
                hazard_pb2.ListHazardsRequest(
                    parent=f"prefectures/{tenant}",
                    page_size=2,
                    page_token=first.next_page_token,
                ),
                metadata=other.metadata,
            )
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "page_token" in violations_of(refused.value)


@pytest.mark.parametrize(
    "forged",
    [
        '{"o": 1e999, "q": "x"}',
        '{"o": 2.5, "q": "x"}',
        '{"o": "7", "q": "x"}',
        '[{"o": 1, "q": "x"}]',
        "[" * 3000 + "]" * 3000,
    ],
    ids=["infinite-offset", "fractional-offset", "text-offset", "not-an-object", "deep-nesting"],
)
async def test_a_forged_page_token_is_invalid_argument(inspector: Caller, forged: str) -> None:
    token = base64.urlsafe_b64encode(forged.encode()).decode()
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await inspector.hazards.ListHazards(
            hazard_pb2.ListHazardsRequest(parent=f"prefectures/{KUNMING}", page_token=token),
            metadata=inspector.metadata,
        )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "page_token" in violations_of(refused.value)
