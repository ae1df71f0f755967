"""The credit routes over HTTP in front of the real credit service: every method, and the
service's refusals as the HTTP statuses and FastAPI-shaped 422s clients expect."""

import uuid
from datetime import timedelta
from typing import Any

import httpx
from gateway_support import BAOSHAN, COUNTY, YUXI, Gateway, bearer, new_credit_code, today

from anjian_kernel.auth import Role

ID_NUMBER = "11010519491231002X"


def _enterprise(tenant: str = YUXI, **fields: Any) -> dict[str, Any]:
    return {
        "credit_code": new_credit_code(COUNTY[tenant]),
        "display_name": "玉溪网关测试化工有限公司",
        "county_code": COUNTY[tenant],
        "industry": "chemicals",
        "size": "small",
        "principal": "赵六",
        **fields,
    }


async def _register(gateway: Gateway, **fields: Any) -> dict[str, Any]:
    response = await gateway.client.post(
        f"/v1/prefectures/{YUXI}/enterprises",
        json={"enterprise": _enterprise(**fields)},
        headers=bearer(YUXI),
    )
    assert response.status_code == 200, response.text
    enterprise: dict[str, Any] = response.json()
    return enterprise


def _listing(code: str, days_ago: int, **fields: Any) -> dict[str, Any]:
    listing = {
        "credit_code": code,
        "reason": "LISTING_REASON_MAJOR_ACCIDENT",
        "penalty_document": "玉应急罚〔2026〕7号",
        "deciding_department": "玉溪市应急管理局",
        "facts_id": f"case-{uuid.uuid4().hex[:8]}",
        "start_date": (today() - timedelta(days=days_ago)).isoformat(),
        **fields,
    }
    return {"listing": listing, "request_id": str(uuid.uuid4())}


async def _list(gateway: Gateway, code: str, days_ago: int) -> dict[str, Any]:
    response = await gateway.client.post(
        f"/v1/prefectures/{YUXI}/listings", json=_listing(code, days_ago), headers=bearer(YUXI)
    )
    assert response.status_code == 200, response.text
    listing: dict[str, Any] = response.json()
    return listing


def _locations(response: httpx.Response) -> list[list[str | int]]:
    assert response.status_code == 422, response.text
    return [error["loc"] for error in response.json()["detail"]]


async def test_register_get_and_list_enterprises(gateway: Gateway) -> None:
    enterprise = await _register(gateway)
    code = enterprise["credit_code"]
    assert enterprise["name"] == f"prefectures/{YUXI}/enterprises/{code}"
    assert enterprise["listed"] is False
    assert enterprise["principal"] == "赵六"

    got = await gateway.client.get(f"/v1/{enterprise['name']}", headers=bearer(YUXI))
    assert got.status_code == 200
    assert got.json() == enterprise

    listed = await gateway.client.get(
        f"/v1/prefectures/{YUXI}/enterprises",
        params={"county_code": COUNTY[YUXI], "page_size": 500},
        headers=bearer(YUXI),
    )
    assert listed.status_code == 200
    assert code in {e["credit_code"] for e in listed.json()["enterprises"]}


async def test_registration_refusals_keep_their_meaning_over_http(gateway: Gateway) -> None:
    url = f"/v1/prefectures/{YUXI}/enterprises"
    good = new_credit_code(COUNTY[YUXI])
    wrong_check = good[:17] + ("1" if good[17] != "1" else "2")
    bad_code = await gateway.client.post(
        url, json={"enterprise": _enterprise(credit_code=wrong_check)}, headers=bearer(YUXI)
    )
    assert _locations(bad_code) == [["body", "enterprise", "credit_code"]]
    assert "check character" in bad_code.json()["detail"][0]["msg"]

    other_county = await gateway.client.post(
        url, json={"enterprise": _enterprise(county_code="530102")}, headers=bearer(YUXI)
    )
    assert _locations(other_county) == [["body", "enterprise", "county_code"]]
    missing_name = _enterprise()
    del missing_name["display_name"]
    unnamed = await gateway.client.post(
        url, json={"enterprise": missing_name}, headers=bearer(YUXI)
    )
    assert _locations(unnamed) == [["body", "enterprise", "display_name"]]

    enterprise = await _register(gateway)
    twice = await gateway.client.post(
        url,
        json={"enterprise": _enterprise(credit_code=enterprise["credit_code"])},
        headers=bearer(YUXI),
    )
    assert (twice.status_code, twice.json()["status"]) == (409, "ALREADY_EXISTS")

    anonymous = await gateway.client.post(url, json={"enterprise": _enterprise()})
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"
    other_tenant = await gateway.client.post(
        f"/v1/prefectures/{BAOSHAN}/enterprises",
        json={"enterprise": _enterprise(BAOSHAN)},
        headers=bearer(YUXI),
    )
    assert (other_tenant.status_code, other_tenant.json()["status"]) == (403, "PERMISSION_DENIED")
    impostor = await gateway.client.post(
        url,
        json={"enterprise": _enterprise()},
        headers=bearer(YUXI, Role.ENTERPRISE, enterprise=good),
    )
    assert impostor.status_code == 403

    unknown = await gateway.client.get(
        f"/v1/prefectures/{YUXI}/enterprises/{good}", headers=bearer(YUXI)
    )
    assert (unknown.status_code, unknown.json()["status"]) == (404, "NOT_FOUND")


async def test_import_keeps_legacy_codes_and_reports_rejected_records(gateway: Gateway) -> None:
    valid = new_credit_code(COUNTY[YUXI])
    legacy = new_credit_code(COUNTY[YUXI])
    legacy = legacy[:17] + ("1" if legacy[17] != "1" else "2")
    records = [
        {"credit_code": code, "display_name": name, "county_code": COUNTY[YUXI]}
        for code, name in [(valid, "甲矿业"), (legacy, "乙矿业"), ("91530402IOSVZ00001", "丙矿业")]
    ]
    response = await gateway.client.post(
        f"/v1/prefectures/{YUXI}/enterprises:import",
        json={"enterprises": records, "source": "玉溪市市场监督管理局 2026-11 导出"},
        headers=bearer(YUXI, Role.ADMIN),
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["imported"], result["legacy"]) == (2, 1)
    assert [r["index"] for r in result["rejected"]] == [2]

    kept = await gateway.client.get(
        f"/v1/prefectures/{YUXI}/enterprises/{legacy}", headers=bearer(YUXI)
    )
    assert kept.json()["legacy_code"] is True

    by_inspector = await gateway.client.post(
        f"/v1/prefectures/{YUXI}/enterprises:import",
        json={"enterprises": records, "source": "x"},
        headers=bearer(YUXI),
    )
    assert by_inspector.status_code == 403


async def test_credit_records_and_the_score_as_of_a_day(gateway: Gateway) -> None:
    enterprise = await _register(gateway)
    url = f"/v1/{enterprise['name']}/creditRecords"
    conduct = today() - timedelta(days=10)
    body = {
        "credit_record": {
            "rule": "penalty-decision",
            "source": "玉溪市应急管理局",
            "source_document": "玉应急罚〔2026〕31号",
            "conduct_date": conduct.isoformat(),
            "evidence": ["现场检查笔录"],
        },
        "request_id": str(uuid.uuid4()),
    }
    created = await gateway.client.post(url, json=body, headers=bearer(YUXI))
    assert created.status_code == 200, created.text
    record = created.json()
    assert (record["kind"], record["points"], record["public"]) == ("CONDUCT_KIND_BAD", -20, True)
    assert record["conduct_date"] == conduct.isoformat()
    retried = await gateway.client.post(url, json=body, headers=bearer(YUXI))
    assert retried.json()["name"] == record["name"]

    listed = await gateway.client.get(url, headers=bearer(YUXI))
    assert [r["name"] for r in listed.json()["credit_records"]] == [record["name"]]

    score_url = f"/v1/{enterprise['name']}/creditScore"
    now = (await gateway.client.get(score_url, headers=bearer(YUXI))).json()
    assert now["score"] == now["base"] - 20
    assert [item["credit_record"] for item in now["items"]] == [record["name"]]
    before = await gateway.client.get(
        score_url,
        params={"as_of": (conduct - timedelta(days=1)).isoformat()},
        headers=bearer(YUXI),
    )
    assert (before.json()["score"], before.json()["items"]) == (before.json()["base"], [])

    bad_day = await gateway.client.get(
        score_url, params={"as_of": "2026-13-01"}, headers=bearer(YUXI)
    )
    assert _locations(bad_day) == [["query", "as_of"]]
    future = {**body["credit_record"], "conduct_date": (today() + timedelta(days=2)).isoformat()}
    refused = await gateway.client.post(
        url, json={"credit_record": {**future, "rule": "no-such-rule"}}, headers=bearer(YUXI)
    )
    assert sorted(_locations(refused)) == [
        ["body", "credit_record", "conduct_date"],
        ["body", "credit_record", "rule"],
    ]


async def test_listing_and_credit_repair_through_their_routes(gateway: Gateway) -> None:
    enterprise = await _register(gateway)
    listing = await _list(gateway, enterprise["credit_code"], days_ago=400)
    assert (listing["state"], listing["rule_version"]) == ("LISTING_STATE_ACTIVE", "2023")
    assert listing["repair_allowed_from"] <= today().isoformat() < listing["end_date"]

    got = await gateway.client.get(f"/v1/{listing['name']}", headers=bearer(YUXI))
    assert got.json() == listing
    active = await gateway.client.get(
        f"/v1/prefectures/{YUXI}/listings",
        params={"active_only": True, "credit_code": enterprise["credit_code"]},
        headers=bearer(YUXI),
    )
    assert [x["name"] for x in active.json()["listings"]] == [listing["name"]]
    now_listed = await gateway.client.get(f"/v1/{enterprise['name']}", headers=bearer(YUXI))
    assert now_listed.json()["listed"] is True

    applied = await gateway.client.post(
        f"/v1/{listing['name']}/repairApplications",
        json={"statement": "已完成全面整改并通过复查", "request_id": str(uuid.uuid4())},
        headers=bearer(YUXI, Role.ENTERPRISE, enterprise=enterprise["credit_code"]),
    )
    assert applied.status_code == 200, applied.text
    application = applied.json()
    assert application["state"] == "STATE_PENDING"

    approved = await gateway.client.post(
        f"/v1/{application['name']}:review",
        json={"etag": application["etag"], "approve": True, "reason": "整改到位"},
        headers=bearer(YUXI),
    )
    assert approved.json()["state"] == "STATE_APPROVED", approved.text
    stale = await gateway.client.post(
        f"/v1/{application['name']}:review",
        json={"etag": application["etag"], "approve": False, "reason": "再审"},
        headers=bearer(YUXI),
    )
    assert stale.status_code == 409
    repaired = await gateway.client.get(f"/v1/{listing['name']}", headers=bearer(YUXI))
    assert repaired.json()["state"] == "LISTING_STATE_REPAIRED"

    revoked = await gateway.client.post(
        f"/v1/{application['name']}:revoke",
        json={"etag": approved.json()["etag"], "reason": "整改材料系伪造"},
        headers=bearer(YUXI),
    )
    assert revoked.json()["state"] == "STATE_REVOKED", revoked.text
    restored = await gateway.client.get(f"/v1/{listing['name']}", headers=bearer(YUXI))
    assert (restored.json()["state"], restored.json()["end_date"]) == (
        "LISTING_STATE_ACTIVE",
        listing["end_date"],
    )


async def test_listing_refusals_keep_their_meaning_over_http(gateway: Gateway) -> None:
    enterprise = await _register(gateway)
    code = enterprise["credit_code"]
    url = f"/v1/prefectures/{YUXI}/listings"
    first = await gateway.client.post(url, json=_listing(code, 30), headers=bearer(YUXI))
    assert first.status_code == 200

    early = await gateway.client.post(
        f"/v1/{first.json()['name']}/repairApplications",
        json={"statement": "申请提前移出"},
        headers=bearer(YUXI),
    )
    assert (early.status_code, early.json()["status"]) == (409, "FAILED_PRECONDITION")
    assert first.json()["repair_allowed_from"] in early.json()["detail"]

    same_facts = _listing(code, 30, facts_id=first.json()["facts_id"])
    again = await gateway.client.post(url, json=same_facts, headers=bearer(YUXI))
    assert (again.status_code, again.json()["status"]) == (409, "ALREADY_EXISTS")

    no_document = _listing(code, 30)
    del no_document["listing"]["penalty_document"]
    undocumented = await gateway.client.post(url, json=no_document, headers=bearer(YUXI))
    assert _locations(undocumented) == [["body", "listing", "penalty_document"]]
    future = await gateway.client.post(url, json=_listing(code, -3), headers=bearer(YUXI))
    assert _locations(future) == [["body", "listing", "start_date"]]
    # A listing starting in 2018 is judged under the 2017 scheme, which had no such reason.
    old = _listing(code, 0, start_date="2018-05-02", reason="LISTING_REASON_MULTIPLE_FINE")
    under_2017 = await gateway.client.post(url, json=old, headers=bearer(YUXI))
    assert _locations(under_2017) == [["body", "listing", "reason"]]

    missing = await gateway.client.get(f"{url}/{uuid.uuid4()}", headers=bearer(YUXI))
    assert missing.status_code == 404
    malformed = await gateway.client.get(f"{url}/not-a-uuid", headers=bearer(YUXI))
    assert _locations(malformed) == [["path", "listing_id"]]


async def test_bans_never_echo_the_id_number(gateway: Gateway) -> None:
    url = f"/v1/prefectures/{YUXI}/bans"
    ban = {
        "subject": "SUBJECT_INDIVIDUAL",
        "display_name": "张某",
        "scope": "矿山企业主要负责人",
        "decision_document": "玉应急禁〔2026〕1号",
        "start_date": today().isoformat(),
    }
    created = await gateway.client.post(
        url, json={"ban": ban, "id_number": ID_NUMBER}, headers=bearer(YUXI)
    )
    assert created.status_code == 200, created.text
    assert created.json()["person_key"]
    assert created.json()["subject"] == "SUBJECT_INDIVIDUAL"
    assert ID_NUMBER not in created.text

    listed = await gateway.client.get(url, params={"active_only": True}, headers=bearer(YUXI))
    assert created.json()["name"] in {b["name"] for b in listed.json()["bans"]}

    wrong = "110105194912310021"
    refused = await gateway.client.post(
        url, json={"ban": ban, "id_number": wrong}, headers=bearer(YUXI)
    )
    assert _locations(refused) == [["body", "id_number"]]
    assert wrong not in refused.text
    intermediary = {**ban, "subject": "SUBJECT_INTERMEDIARY", "credit_code": "91530402IOSVZ00001"}
    bad_code = await gateway.client.post(url, json={"ban": intermediary}, headers=bearer(YUXI))
    assert _locations(bad_code) == [["body", "ban", "credit_code"]]


async def test_expiry_is_for_administrators_and_rules_for_anyone_signed_in(
    gateway: Gateway,
) -> None:
    url = f"/v1/prefectures/{YUXI}/listings:expire"
    by_inspector = await gateway.client.post(url, headers=bearer(YUXI))
    assert by_inspector.status_code == 403
    by_admin = await gateway.client.post(url, headers=bearer(YUXI, Role.ADMIN))
    assert by_admin.status_code == 200
    assert set(by_admin.json()) == {"expired_listings", "expired_bans"}

    rules = await gateway.client.get("/v1/creditRules", headers=bearer(YUXI, Role.PARTNER))
    assert rules.status_code == 200
    assert {r["table"] for r in rules.json()["rules"]} == {
        "event",
        "direct-entry",
        "scoring",
        "listing",
    }


async def test_openapi_documents_the_credit_and_public_methods(gateway: Gateway) -> None:
    spec = (await gateway.client.get("/openapi.json")).json()
    operations = {op["operationId"]: op for path in spec["paths"].values() for op in path.values()}
    credit = {
        "RegisterEnterprise",
        "ImportEnterprises",
        "GetEnterprise",
        "ListEnterprises",
        "CreateCreditRecord",
        "ListCreditRecords",
        "GetCreditScore",
        "CreateListing",
        "GetListing",
        "ListListings",
        "ApplyForRepair",
        "ReviewRepairApplication",
        "RevokeRepair",
        "CreateBan",
        "ListBans",
        "ExpireListings",
        "ListCreditRules",
    }
    assert credit <= set(operations)
    assert {operations[name]["tags"][0] for name in credit} == {"credit"}
    assert {operations[n]["tags"][0] for n in ("SearchPublicCredit", "ListCreditChanges")} == {
        "public"
    }
    public = spec["components"]["schemas"]["PublicEnterprise"]["properties"]
    assert "principal" not in public
