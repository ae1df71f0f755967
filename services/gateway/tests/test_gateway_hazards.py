"""The hazard API over HTTP: the whole closed loop, and how refusals are answered."""

import uuid

from gateway_support import (
    KUNMING,
    QUJING,
    Gateway,
    bearer,
    days_from_today,
    hazard_body,
    new_credit_code,
)

from anjian_kernel.auth import Role

INSPECTOR = bearer(KUNMING, Role.INSPECTOR)
ADMIN = bearer(KUNMING, Role.ADMIN)
MAJOR = {
    "grade": "HAZARD_GRADE_MAJOR",
    "criterion": {"standard": "chemicals", "standard_version": "2017", "item": "CH-2017-01"},
    "reason": "判定为重大事故隐患",
}


async def test_major_hazard_goes_round_the_whole_loop(gateway: Gateway) -> None:
    reported = await gateway.report()
    assert reported["state"] == "HAZARD_STATE_REPORTED"
    assert reported["version"] == 1
    enterprise = bearer(KUNMING, Role.ENTERPRISE, enterprise=reported["enterprise_credit_code"])

    graded = await gateway.act(reported, "grade", INSPECTOR, **MAJOR)
    assert graded.status_code == 200, graded.text
    assert graded.json()["criterion"]["item_text"]
    listed = await gateway.act(
        graded.json(),
        "placeUnderListedSupervision",
        INSPECTOR,
        authority="昆明市应急管理局",
        document_number="昆应急督〔2026〕1号",
    )
    assert listed.status_code == 200, listed.text
    deadline = days_from_today(10)
    assigned = await gateway.act(
        listed.json(),
        "assignRectification",
        INSPECTOR,
        deadline=deadline,
        measures="停产整改，更换接地线",
        responsible_person="张三",
        production_stopped=True,
    )
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["rectification"]["deadline"] == deadline

    hazard = assigned.json()
    for verb, headers, body in [
        ("submitRectification", enterprise, {"report": "已更换"}),
        ("sendBack", INSPECTOR, {"reason": "接地电阻仍超标"}),
        ("submitRectification", enterprise, {"report": "重新施工，电阻合格"}),
        ("reinspect", INSPECTOR, {"notes": "复查合格"}),
        ("accept", INSPECTOR, {}),
        ("close", INSPECTOR, {"notes": "销号"}),
    ]:
        response = await gateway.act(hazard, verb, headers, **body)
        assert response.status_code == 200, f"{verb}: {response.text}"
        hazard = response.json()

    assert hazard["state"] == "HAZARD_STATE_CLOSED"
    assert hazard["send_back_count"] == 1
    assert hazard["listed_supervision"]["delist_time"]
    assert hazard["close_time"]

    fetched = await gateway.client.get(f"/v1/{hazard['name']}", headers=enterprise)
    assert fetched.json() == hazard
    trail = await gateway.client.get(f"/v1/{hazard['name']}/auditRecords", headers=INSPECTOR)
    assert trail.status_code == 200, trail.text
    actions = [record["action"] for record in trail.json()["audit_records"]]
    assert actions[0] == "ReportHazard"
    assert actions[-1] == "CloseHazard"
    assert {record["outcome"] for record in trail.json()["audit_records"]} == {"OUTCOME_APPLIED"}


async def test_list_filters_and_pages(gateway: Gateway) -> None:
    code = new_credit_code()
    first = await gateway.report(enterprise_credit_code=code)
    second = await gateway.report(enterprise_credit_code=code)

    page = await gateway.client.get(
        f"/v1/prefectures/{KUNMING}/hazards",
        params={"enterprise_credit_code": code, "state": "HAZARD_STATE_REPORTED", "page_size": 1},
        headers=INSPECTOR,
    )
    assert page.status_code == 200, page.text
    assert page.json()["total_size"] == 2
    assert [h["name"] for h in page.json()["hazards"]] == [second["name"]]
    following = await gateway.client.get(
        f"/v1/prefectures/{KUNMING}/hazards",
        params={
            "enterprise_credit_code": code,
            "state": "HAZARD_STATE_REPORTED",
            "page_size": 1,
            "page_token": page.json()["next_page_token"],
        },
        headers=INSPECTOR,
    )
    assert [h["name"] for h in following.json()["hazards"]] == [first["name"]]

    foreign_token = await gateway.client.get(
        f"/v1/prefectures/{KUNMING}/hazards",
        params={"page_token": page.json()["next_page_token"]},
        headers=INSPECTOR,
    )
    assert foreign_token.status_code == 422
    assert foreign_token.json()["detail"][0]["loc"] == ["query", "page_token"]


async def test_report_is_idempotent_on_request_id(gateway: Gateway) -> None:
    body = hazard_body()
    first = await gateway.client.post(
        f"/v1/prefectures/{KUNMING}/hazards", json=body, headers=INSPECTOR
    )
    again = await gateway.client.post(
        f"/v1/prefectures/{KUNMING}/hazards", json=body, headers=INSPECTOR
    )
    assert first.status_code == again.status_code == 200
    assert first.json()["name"] == again.json()["name"]


async def test_text_is_taken_without_surrounding_spaces(gateway: Gateway) -> None:
    padded = await gateway.client.post(
        f"/v1/prefectures/{KUNMING}/hazards",
        json=hazard_body(title=" " + "配" * 200 + " ", location=" 一号车间 "),
        headers=INSPECTOR,
    )
    blank = await gateway.client.post(
        f"/v1/prefectures/{KUNMING}/hazards", json=hazard_body(title="   "), headers=INSPECTOR
    )

    assert padded.status_code == 200
    assert (padded.json()["title"], padded.json()["location"]) == ("配" * 200, "一号车间")
    assert blank.status_code == 422
    assert [error["loc"] for error in blank.json()["detail"]] == [["body", "hazard", "title"]]


async def test_service_field_violations_become_422_with_locations(gateway: Gateway) -> None:
    response = await gateway.client.post(
        f"/v1/prefectures/{KUNMING}/hazards",
        json=hazard_body(enterprise_credit_code="915301001000002351", county_code="539999"),
        headers=INSPECTOR,
    )
    assert response.status_code == 422
    errors = {tuple(error["loc"]): error for error in response.json()["detail"]}
    assert set(errors) == {
        ("body", "hazard", "enterprise_credit_code"),
        ("body", "hazard", "county_code"),
    }
    assert all(error["type"] == "value_error" for error in errors.values())
    assert "credit code" in errors["body", "hazard", "enterprise_credit_code"]["msg"]


async def test_a_county_of_another_prefecture_is_a_field_violation(gateway: Gateway) -> None:
    response = await gateway.client.post(
        f"/v1/prefectures/{KUNMING}/hazards",
        json=hazard_body(county_code="530302"),
        headers=INSPECTOR,
    )
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "hazard", "county_code"],
            "msg": f"not a county of prefecture {KUNMING}",
            "type": "value_error",
        }
    ]


async def test_past_deadline_is_a_field_violation(gateway: Gateway) -> None:
    hazard = await gateway.report()
    graded = (await gateway.act(hazard, "grade", INSPECTOR, grade="HAZARD_GRADE_GENERAL")).json()
    response = await gateway.act(
        graded,
        "assignRectification",
        INSPECTOR,
        deadline=days_from_today(-1),
        measures="更换接地线",
        responsible_person="张三",
    )
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "deadline"]
    assert "in the past" in error["msg"]


async def test_gateway_validation_answers_in_the_same_shape(gateway: Gateway) -> None:
    body = hazard_body(title="隐" * 201)
    del body["hazard"]["location"]
    response = await gateway.client.post(
        f"/v1/prefectures/{KUNMING}/hazards", json=body, headers=INSPECTOR
    )
    assert response.status_code == 422
    by_loc = {tuple(error["loc"]): error["type"] for error in response.json()["detail"]}
    assert by_loc == {
        ("body", "hazard", "title"): "string_too_long",
        ("body", "hazard", "location"): "missing",
    }


async def test_malformed_json_is_422(gateway: Gateway) -> None:
    response = await gateway.client.post(
        f"/v1/prefectures/{KUNMING}/hazards",
        content=b'{"hazard": {',
        headers={**INSPECTOR, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"


async def test_missing_and_foreign_hazards_are_the_same_404(gateway: Gateway) -> None:
    qujing = await gateway.report(QUJING)
    qujing_id = qujing["name"].rsplit("/", 1)[-1]

    missing = await gateway.client.get(
        f"/v1/prefectures/{KUNMING}/hazards/{uuid.uuid4()}", headers=INSPECTOR
    )
    foreign_name = await gateway.client.get(f"/v1/{qujing['name']}", headers=INSPECTOR)
    foreign_id = await gateway.client.get(
        f"/v1/prefectures/{KUNMING}/hazards/{qujing_id}", headers=INSPECTOR
    )
    assert missing.status_code == foreign_name.status_code == foreign_id.status_code == 404
    assert missing.json() == foreign_name.json() == foreign_id.json()
    assert missing.json() == {"detail": "hazard not found", "status": "NOT_FOUND"}


async def test_stale_etag_and_wrong_step_are_409(gateway: Gateway) -> None:
    reported = await gateway.report()
    graded = await gateway.act(reported, "grade", INSPECTOR, grade="HAZARD_GRADE_GENERAL")
    assert graded.status_code == 200

    # The hazard as first read: its etag is stale now, and its state no longer fits grading.
    wrong_step = await gateway.act(reported, "grade", INSPECTOR, grade="HAZARD_GRADE_GENERAL")
    assert wrong_step.status_code == 409
    assert wrong_step.json()["status"] == "FAILED_PRECONDITION"
    assert wrong_step.json()["violations"][0]["type"] == "STATE"

    stale = await gateway.act(
        {**graded.json(), "etag": reported["etag"]},
        "assignRectification",
        INSPECTOR,
        working_days=5,
        measures="更换接地线",
        responsible_person="张三",
    )
    assert stale.status_code == 409
    assert stale.json()["status"] == "ABORTED"
    assert "stale etag" in stale.json()["detail"]


async def test_no_token_is_401_before_any_call(gateway: Gateway) -> None:
    missing = await gateway.client.get(f"/v1/prefectures/{KUNMING}/hazards")
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    malformed = await gateway.client.get(
        f"/v1/prefectures/{KUNMING}/hazards", headers={"Authorization": "Bearer a b"}
    )
    assert malformed.status_code == 401


async def test_a_token_the_service_refuses_is_401(gateway: Gateway) -> None:
    response = await gateway.client.get(
        f"/v1/prefectures/{KUNMING}/hazards", headers={"Authorization": "Bearer not.a.jwt"}
    )
    assert response.status_code == 401
    assert response.json()["status"] == "UNAUTHENTICATED"


async def test_another_prefecture_and_a_missing_role_are_403(gateway: Gateway) -> None:
    foreign = await gateway.client.get(f"/v1/prefectures/{QUJING}/hazards", headers=INSPECTOR)
    assert foreign.status_code == 403
    not_admin = await gateway.client.post(
        f"/v1/prefectures/{KUNMING}/hazards:detectOverdue", headers=INSPECTOR
    )
    assert not_admin.status_code == 403
    assert not_admin.json()["status"] == "PERMISSION_DENIED"


async def test_overdue_detection_runs_for_admins(gateway: Gateway) -> None:
    response = await gateway.client.post(
        f"/v1/prefectures/{KUNMING}/hazards:detectOverdue", headers=ADMIN
    )
    assert response.status_code == 200, response.text
    assert isinstance(response.json()["newly_overdue"], list)


async def test_major_hazard_standards_are_listed(gateway: Gateway) -> None:
    response = await gateway.client.get("/v1/majorHazardStandards", headers=INSPECTOR)
    assert response.status_code == 200
    standards = {(s["standard"], s["standard_version"]) for s in response.json()["standards"]}
    assert ("chemicals", "2017") in standards


async def test_limits_of_ids_and_tokens_read_as_string_limits(gateway: Gateway) -> None:
    reported = await gateway.report()
    no_etag = await gateway.act(
        {**reported, "etag": ""}, "grade", INSPECTOR, grade="HAZARD_GRADE_GENERAL"
    )
    long_token = await gateway.client.get(
        f"/v1/prefectures/{KUNMING}/hazards", params={"page_token": "x" * 1001}, headers=INSPECTOR
    )

    assert no_etag.status_code == long_token.status_code == 422
    assert [(e["loc"], e["msg"]) for e in no_etag.json()["detail"]] == [
        (["body", "etag"], "String should have at least 1 character")
    ]
    assert [(e["loc"], e["msg"]) for e in long_token.json()["detail"]] == [
        (["query", "page_token"], "String should have at most 1000 characters")
    ]
