"""The public credit query and the partners' feed over HTTP, in front of the real credit
service: anyone may search and sees public fields only, refusals are pages with the right
status, and pulling the feed with its cursor misses nothing and repeats nothing."""

import asyncio
import uuid
from typing import Any

import grpc
import httpx
from gateway_support import (
    BAOSHAN,
    COUNTY,
    YUXI,
    CreditOfficial,
    Gateway,
    bearer,
    new_credit_code,
    public_token,
    token,
)

from anjian.credit.v1 import credit_pb2, credit_pb2_grpc
from anjian_gateway.main import create_app
from anjian_gateway.settings import GatewaySettings
from anjian_kernel.auth import Principal, Role, issue_token

SEARCH = f"/v1/public/prefectures/{YUXI}/enterprises"
FEED = f"/v1/public/prefectures/{YUXI}/creditChanges"
PAGE = "/public/credit"
PUBLIC_LISTING_FIELDS = {
    "reason",
    "state",
    "penalty_document",
    "deciding_department",
    "rule_version",
    "start_date",
    "end_date",
    "remove_time",
}


async def test_anyone_may_search_and_sees_public_fields_only(
    gateway: Gateway, credit_channel: grpc.aio.Channel
) -> None:
    official = CreditOfficial(credit_channel)
    tag = uuid.uuid4().hex[:6]
    listed = await official.register(f"玉溪{tag}危险化学品有限公司", principal="钱七")
    listing = await official.list(listed.credit_code)
    await official.record(listed.credit_code, "penalty-decision", f"未按规定排查治理隐患{tag}")
    await official.record(listed.credit_code, "self-inspection-missed", f"内部记录{tag}")

    response = await gateway.client.get(SEARCH, params={"q": tag})
    assert response.status_code == 200, response.text
    [found] = response.json()["enterprises"]
    assert (found["credit_code"], found["listed"]) == (listed.credit_code, True)
    [shown] = found["listings"]
    assert set(shown) == PUBLIC_LISTING_FIELDS
    assert shown["penalty_document"] == listing.penalty_document
    assert [r["description"] for r in found["public_records"]] == [f"未按规定排查治理隐患{tag}"]
    for private in ("钱七", f"内部记录{tag}", listing.facts_id, listing.name, '"etag"'):
        assert private not in response.text

    by_code = await gateway.client.get(SEARCH, params={"q": f" {listed.credit_code.lower()} "})
    assert [e["credit_code"] for e in by_code.json()["enterprises"]] == [listed.credit_code]


async def test_public_search_refusals(gateway: Gateway, credit_channel: grpc.aio.Channel) -> None:
    async def refused(path: str, **params: str) -> list[Any]:
        response = await gateway.client.get(path, params=params)
        assert response.status_code == 422, response.text
        return [(e["loc"], e["msg"]) for e in response.json()["detail"]]

    [(where, _)] = await refused(SEARCH, q=" a ")
    assert where == ["query", "q"]
    [(_, why)] = await refused(SEARCH, q="11010519491231002X")
    assert "resident ID number" in why
    [(_, why)] = await refused(SEARCH, q="91530402IOSVZ00001")
    assert "alphabet" in why
    typo = new_credit_code(COUNTY[YUXI])
    typo = typo[:17] + ("1" if typo[17] != "1" else "2")
    [(_, why)] = await refused(SEARCH, q=typo)
    assert "check characters" in why
    [(where, _)] = await refused(SEARCH)
    assert where == ["query", "q"]
    [(where, _)] = await refused("/v1/public/prefectures/110100/enterprises", q="化工")
    assert where == ["path", "prefecture"]

    unserved = await gateway.client.get(
        f"/v1/public/prefectures/{BAOSHAN}/enterprises", params={"q": "化工"}
    )
    assert (unserved.status_code, unserved.json()["status"]) == (404, "NOT_FOUND")

    # The registration authority's records may carry codes failing their check: findable.
    admin = (("authorization", f"Bearer {token(YUXI, Role.ADMIN)}"),)
    imported = credit_pb2.Enterprise(
        credit_code=typo, display_name="老代码矿业有限公司", county_code=COUNTY[YUXI]
    )
    await credit_pb2_grpc.CreditServiceStub(credit_channel).ImportEnterprises(
        credit_pb2.ImportEnterprisesRequest(
            parent=f"prefectures/{YUXI}", enterprises=[imported], source="测试导入"
        ),
        metadata=admin,
    )
    legacy = await gateway.client.get(SEARCH, params={"q": typo})
    assert [e["credit_code"] for e in legacy.json()["enterprises"]] == [typo]


async def _pull(client: httpx.AsyncClient, cursor: str, page_size: int) -> dict[str, Any]:
    response = await client.get(
        FEED,
        params={"cursor": cursor, "page_size": page_size},
        headers=bearer(YUXI, Role.PARTNER),
    )
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def test_the_feed_over_http_misses_nothing_and_repeats_nothing(
    gateway: Gateway, credit_channel: grpc.aio.Channel
) -> None:
    cursor = ""
    while (page := await _pull(gateway.client, cursor, 1000))["changes"]:
        cursor = page["next_cursor"]

    official = CreditOfficial(credit_channel)
    enterprises = [await official.register(f"供稿测试{i}号企业", "孙八") for i in range(4)]
    writes = [official.list(e.credit_code) for e in enterprises] + [
        official.record(e.credit_code, "penalty-decision", f"供稿记录{i}")
        for i, e in enumerate(enterprises * 2)
    ]
    writers = asyncio.gather(*writes)

    seen: list[dict[str, Any]] = []
    expected = len(writes)
    async with asyncio.timeout(30):
        # Small pages pulled while the writers commit: the cursor must hold across them.
        while len(seen) < expected:
            page = await _pull(gateway.client, cursor, 3)
            assert len(page["changes"]) <= 3
            seen += page["changes"]
            cursor = page["next_cursor"]
            if not page["changes"]:
                await asyncio.sleep(0.05)
    written = await writers

    sequences = [change["sequence"] for change in seen]
    assert sequences == sorted(set(sequences))
    assert {c["listing"]["name"] for c in seen if c["kind"] == "listed"} == {
        w.name for w in written if isinstance(w, credit_pb2.Listing)
    }
    assert {c["credit_record"]["name"] for c in seen if c["kind"] == "record_published"} == {
        w.name for w in written if isinstance(w, credit_pb2.CreditRecord)
    }
    caught_up = await _pull(gateway.client, cursor, 3)
    assert (caught_up["changes"], caught_up["next_cursor"]) == ([], cursor)


async def test_the_feed_needs_a_token_of_its_prefecture(gateway: Gateway) -> None:
    anonymous = await gateway.client.get(FEED)
    assert anonymous.status_code == 401
    other = await gateway.client.get(
        f"/v1/public/prefectures/{BAOSHAN}/creditChanges", headers=bearer(YUXI, Role.PARTNER)
    )
    assert other.status_code == 403
    bad = await gateway.client.get(
        FEED, params={"cursor": "yesterday"}, headers=bearer(YUXI, Role.PARTNER)
    )
    assert bad.status_code == 422
    assert [e["loc"] for e in bad.json()["detail"]] == [["query", "cursor"]]


async def test_the_page_answers_refusals_as_pages_with_their_status(gateway: Gateway) -> None:
    form = await gateway.client.get(PAGE)
    assert form.status_code == 200
    assert form.headers["content-type"].startswith("text/html")
    assert "安全生产严重失信主体名单查询" in form.text
    assert "default-src 'none'" in form.headers["content-security-policy"]
    # Only prefectures with a public query here are offered.
    assert ("玉溪市" in form.text, "保山市" in form.text) == (True, False)

    cases = [
        ({"prefecture": YUXI, "q": "a"}, 422, "请至少输入2个字符"),
        ({"prefecture": YUXI, "q": "11010519491231002X"}, 422, "居民身份证号码"),
        ({"prefecture": YUXI, "q": "91530402IOSVZ00001"}, 422, "不使用的字母"),
        ({"prefecture": "110100", "q": "化工"}, 422, "州（市）代码有误"),
        ({"q": "化工"}, 422, "请选择州（市）"),
        ({"prefecture": BAOSHAN, "q": "化工"}, 404, "暂未开通保山市"),
    ]
    for params, status, message in cases:
        page = await gateway.client.get(PAGE, params=params)
        assert (page.status_code, message in page.text) == (status, True), params
        assert page.headers["content-type"].startswith("text/html")

    markup = await gateway.client.get(PAGE, params={"prefecture": YUXI, "q": "<b>无此企业</b>"})
    assert markup.status_code == 200
    assert "<b>无此企业</b>" not in markup.text
    assert "&lt;b&gt;无此企业&lt;/b&gt;" in markup.text


async def test_a_refused_public_token_is_a_503_for_the_visitor(
    gateway_settings: GatewaySettings,
) -> None:
    forged = issue_token(
        "not-the-services-secret-but-long-enough",
        Principal(subject="public-credit-query", tenant=YUXI, role=Role.PARTNER),
    )
    wrong_tenant = public_token(BAOSHAN)
    for refused_token in (forged, wrong_tenant):
        settings = GatewaySettings(
            hazard_address=gateway_settings.hazard_address,
            credit_address=gateway_settings.credit_address,
            public_tokens={YUXI: refused_token},
        )
        app = create_app(settings)
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client,
        ):
            page = await client.get(PAGE, params={"prefecture": YUXI, "q": "化工"})
            assert (page.status_code, "暂时不可用" in page.text) == (503, True)
            api = await client.get(SEARCH, params={"q": "化工"})
            assert (api.status_code, api.json()["status"]) == (503, "UNAVAILABLE")
            assert "WWW-Authenticate" not in api.headers


async def test_without_public_tokens_the_page_says_there_is_no_public_query(
    gateway_settings: GatewaySettings,
) -> None:
    app = create_app(GatewaySettings(credit_address=gateway_settings.credit_address))
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client,
    ):
        page = await client.get(PAGE)
        assert (page.status_code, "暂未开通" in page.text) == (503, True)
        api = await client.get(SEARCH, params={"q": "化工"})
        assert api.status_code == 404
