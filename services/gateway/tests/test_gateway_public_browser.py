"""The public query page in a real headless Chromium, the gateway served by uvicorn on a
free port in front of the real credit service.

Chromium is Debian's (`apt-get install -y chromium chromium-driver`, as `.ci/run` does),
driven by Playwright without Playwright's own browser download, which cannot reach its
servers here. Without it the test fails in CI (`CI=true`) and is skipped elsewhere.
"""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import grpc
import pytest
import uvicorn
from fastapi import FastAPI
from gateway_support import YUXI, CreditOfficial, today
from playwright.async_api import Browser, Page, async_playwright

from anjian_gateway.main import create_app
from anjian_gateway.public_page import REASONS
from anjian_gateway.settings import GatewaySettings

CHROMIUM = Path("/usr/bin/chromium")
# Headless, and nothing the browser would fetch or start on its own behind the test's back.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _chromium() -> Path:
    """Debian's Chromium; its absence fails the test in CI and skips it elsewhere."""
    if CHROMIUM.exists():
        return CHROMIUM
    why = f"{CHROMIUM} is missing: apt-get update && apt-get install -y chromium chromium-driver"
    if os.environ.get("CI") == "true":
        pytest.fail(why)
    pytest.skip(why)


@asynccontextmanager
async def _served(app: FastAPI) -> AsyncIterator[str]:
    """`app` served by uvicorn on a free port of this machine; its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, access_log=False)
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    async with asyncio.timeout(15):
        while not server.started:
            if serving.done():
                serving.result()
            await asyncio.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving


@asynccontextmanager
async def _chromium_browser() -> AsyncIterator[Browser]:
    executable = _chromium()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(executable), args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()


async def _search(page: Page, query: str) -> None:
    """Fill in the form as a visitor would and wait for the answer."""
    await page.select_option("#prefecture", YUXI)
    await page.fill("#q", query)
    async with page.expect_navigation():
        await page.click("button[type=submit]")


@pytest.mark.slow
async def test_the_public_page_in_headless_chromium(
    gateway_settings: GatewaySettings, credit_channel: grpc.aio.Channel, tmp_path: Path
) -> None:
    official = CreditOfficial(credit_channel)
    tag = uuid.uuid4().hex[:6]
    listed = await official.register(f"玉溪{tag}爆破工程有限公司", principal="周九")
    listing = await official.list(listed.credit_code, days_ago=20)
    await official.record(listed.credit_code, "penalty-decision", f"违规储存爆炸物品{tag}")
    clear = await official.register(f"玉溪{tag}机械制造有限公司", principal="吴十")

    async with _served(create_app(gateway_settings)) as base, _chromium_browser() as browser:
        page = await browser.new_page()
        await page.goto(f"{base}/public/credit")
        assert await page.title() == "安全生产严重失信主体名单查询"

        await _search(page, listed.credit_code)
        found = page.locator(f"article[data-credit-code='{listed.credit_code}']")
        assert "严重失信" in await found.locator(".status").inner_text()
        row = await found.locator("table.listings tbody tr").inner_text()
        for shown in (
            REASONS["LISTING_REASON_MAJOR_ACCIDENT"],
            "玉溪市应急管理局",
            listing.penalty_document,
            (today() - timedelta(days=20)).isoformat(),
            "列入中",
        ):
            assert shown in row
        assert f"违规储存爆炸物品{tag}" in await found.locator("table.records").inner_text()
        await page.screenshot(path=tmp_path / "listed.png", full_page=True)
        listed_html = await page.content()

        await _search(page, f"玉溪{tag}机械")
        assert await page.locator("article").count() == 1
        other = page.locator(f"article[data-credit-code='{clear.credit_code}']")
        assert "未列入" in await other.locator(".status").inner_text()
        await page.screenshot(path=tmp_path / "not-listed.png", full_page=True)
        for html in (listed_html, await page.content()):
            assert "周九" not in html
            assert "吴十" not in html

        refused = await page.goto(f"{base}/public/credit?prefecture={YUXI}&q=a")
        assert refused is not None
        assert refused.status == 422
        assert "请至少输入2个字符" in await page.locator("#message").inner_text()
        await page.screenshot(path=tmp_path / "bad-query.png", full_page=True)

    for name in ("listed.png", "not-listed.png", "bad-query.png"):
        assert (tmp_path / name).stat().st_size > 0
