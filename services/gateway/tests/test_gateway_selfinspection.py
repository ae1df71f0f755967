"""Checklists and monthly self-inspection returns over HTTP."""

import uuid

from gateway_support import KUNMING, Gateway, bearer, new_credit_code, today

from anjian_kernel.auth import Role

ITEMS = [
    {"code": "E-01", "text": "配电柜接地是否可靠"},
    {"code": "F-01", "text": "消防通道是否畅通"},
]


async def test_checklist_and_returns_round_trip(gateway: Gateway) -> None:
    code = new_credit_code()
    enterprise = bearer(KUNMING, Role.ENTERPRISE, enterprise=code)
    base = f"/v1/prefectures/{KUNMING}"

    created = await gateway.client.post(
        f"{base}/checklists",
        json={"checklist": {"enterprise_credit_code": code, "items": ITEMS}},
        headers=enterprise,
    )
    assert created.status_code == 200, created.text
    assert created.json()["version"] == 1
    fetched = await gateway.client.get(f"{base}/checklists/{code}", headers=enterprise)
    assert fetched.json() == created.json()

    month = today().strftime("%Y-%m")
    body = {
        "self_inspection_return": {
            "enterprise_credit_code": code,
            "month": month,
            "results": [
                {"code": "E-01", "compliant": True},
                {"code": "F-01", "compliant": False, "notes": "通道堆放杂物"},
            ],
        },
        "request_id": str(uuid.uuid4()),
    }
    returns = f"{base}/selfInspectionReturns"
    filed = await gateway.client.post(returns, json=body, headers=enterprise)
    assert filed.status_code == 200, filed.text
    assert filed.json()["checklist_version"] == 1
    replayed = await gateway.client.post(returns, json=body, headers=enterprise)
    assert replayed.json()["name"] == filed.json()["name"]

    second = await gateway.client.post(
        returns, json={**body, "request_id": str(uuid.uuid4())}, headers=enterprise
    )
    assert second.status_code == 409
    assert second.json()["status"] == "ALREADY_EXISTS"

    listed = await gateway.client.get(
        returns,
        params={"enterprise_credit_code": code, "month": month},
        headers=enterprise,
    )
    assert [r["name"] for r in listed.json()["self_inspection_returns"]] == [filed.json()["name"]]


async def test_violations_in_lists_are_located_by_index(gateway: Gateway) -> None:
    code = new_credit_code()
    enterprise = bearer(KUNMING, Role.ENTERPRISE, enterprise=code)
    base = f"/v1/prefectures/{KUNMING}"
    await gateway.client.post(
        f"{base}/checklists",
        json={"checklist": {"enterprise_credit_code": code, "items": ITEMS}},
        headers=enterprise,
    )

    response = await gateway.client.post(
        f"{base}/selfInspectionReturns",
        json={
            "self_inspection_return": {
                "enterprise_credit_code": code,
                "month": today().strftime("%Y-%m"),
                "results": [
                    {"code": "E-01", "compliant": True},
                    {"code": "F-01", "compliant": False},
                ],
            }
        },
        headers=enterprise,
    )
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "self_inspection_return", "results", 1, "notes"],
            "msg": "required when the item is not compliant",
            "type": "value_error",
        }
    ]


async def test_missing_checklist_is_404(gateway: Gateway) -> None:
    response = await gateway.client.get(
        f"/v1/prefectures/{KUNMING}/checklists/{new_credit_code()}",
        headers=bearer(KUNMING, Role.INSPECTOR),
    )
    assert response.status_code == 404
    assert response.json()["status"] == "NOT_FOUND"


async def test_hundreds_of_violations_still_arrive_as_one_422(gateway: Gateway) -> None:
    code = new_credit_code()
    enterprise = bearer(KUNMING, Role.ENTERPRISE, enterprise=code)
    base = f"/v1/prefectures/{KUNMING}"
    await gateway.client.post(
        f"{base}/checklists",
        json={"checklist": {"enterprise_credit_code": code, "items": ITEMS}},
        headers=enterprise,
    )

    results = [{"code": f"X-{index}", "compliant": False} for index in range(500)]
    response = await gateway.client.post(
        f"{base}/selfInspectionReturns",
        json={
            "self_inspection_return": {
                "enterprise_credit_code": code,
                "month": today().strftime("%Y-%m"),
                "results": results,
            }
        },
        headers=enterprise,
    )
    assert response.status_code == 422, response.text
    locations = [tuple(error["loc"]) for error in response.json()["detail"]]
    # The service names at most 20 of the 501 bad fields, so the reply fits in gRPC trailers.
    assert 0 < len(locations) <= 20
    assert ("body", "self_inspection_return", "results", 0, "notes") in locations
