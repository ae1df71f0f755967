"""The public query page (安全生产严重失信主体名单查询): server-rendered HTML, no script.

Anyone may search one prefecture's register by credit code or name and see each match's
listing status, listings and the records the rules publish. Every refusal is a page too,
with the reason in Chinese and the HTTP status a script would expect (422 for a bad
query, 404 for a prefecture without a public query here, 503 when the service is away).
"""

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from anjian_gateway.dependencies import Credit
from anjian_gateway.errors import Refusal
from anjian_gateway.public import RESULT_LIMIT, BadQuery, search_public, served_prefectures
from anjian_kernel.clock import CHINA_STANDARD_TIME
from anjian_kernel.tenancy import YUNNAN_PREFECTURES

router = APIRouter(tags=["public"])
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

TITLE = "安全生产严重失信主体名单查询"
# The page has no script, loads nothing from elsewhere and is framed by no one.
_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
REASONS = {
    "LISTING_REASON_MAJOR_ACCIDENT": "发生重大、特别重大生产安全事故",
    "LISTING_REASON_REPEATED_LARGER_ACCIDENTS": "12个月内累计发生2起以上较大生产安全事故",
    "LISTING_REASON_MULTIPLE_FINE": "依照《中华人民共和国安全生产法》被处以2倍以上5倍以下罚款",
    "LISTING_REASON_CONCEALED_ACCIDENT": "瞒报、谎报生产安全事故",
    "LISTING_REASON_PRINCIPAL_FLED": "主要负责人未立即组织事故抢救或者逃匿",
    "LISTING_REASON_UNLICENSED_OPERATION": "未依法取得安全生产许可或者超出许可范围从事生产经营活动",
    "LISTING_REASON_FALSE_CERTIFICATION": "安全评价检测检验机构出借资质或者出具虚假报告",
}
STATES = {
    "LISTING_STATE_ACTIVE": "列入中",
    "LISTING_STATE_EXPIRED": "期满移出",
    "LISTING_STATE_REPAIRED": "信用修复移出",
}
BASES = {
    "2023": "《安全生产严重失信主体名单管理办法》（应急管理部令第11号）",
    "2017": "《对安全生产领域失信行为开展联合惩戒的实施办法》（2017年）",
}
KINDS = {"CONDUCT_KIND_GOOD": "守信", "CONDUCT_KIND_BAD": "失信"}
CATEGORIES = {
    "penalty-decision": "行政处罚决定",
    "accident-finding": "事故调查认定",
    "commendation": "表彰奖励",
    "standardisation": "安全生产标准化",
}


def china_day(instant: datetime | None) -> str:
    """The day of `instant` in China Standard Time, or a dash for none."""
    return instant.astimezone(CHINA_STANDARD_TIME).date().isoformat() if instant else "—"


templates.env.filters["china_day"] = china_day
templates.env.globals.update(
    title=TITLE, reasons=REASONS, states=STATES, bases=BASES, kinds=KINDS, categories=CATEGORIES
)


class PageProblem(Exception):
    """A refusal to show on the page: the HTTP status and what the visitor is told."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


def _chosen_prefecture(prefecture: str | None, served: dict[str, str]) -> str:
    """The prefecture to search, or PageProblem saying why it cannot be."""
    if not prefecture:
        raise PageProblem(422, "请选择州（市）。")
    if prefecture not in YUNNAN_PREFECTURES:
        raise PageProblem(422, "州（市）代码有误：请从列表中选择云南省的州（市）。")
    if prefecture not in served:
        name = YUNNAN_PREFECTURES[prefecture]
        raise PageProblem(404, f"本平台暂未开通{name}的严重失信主体名单查询。")
    return prefecture


def _html(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"text/html": {}}}


def _service_problem(refusal: Refusal) -> PageProblem:
    if refusal.status_code == 422:
        return PageProblem(422, "查询条件无效，请核对后重新输入。")
    # Whatever else went wrong, the visitor can only try again later.
    return PageProblem(503, "查询服务暂时不可用，请稍后再试。")


@router.get(
    "/public/credit",
    response_class=HTMLResponse,
    summary=f"{TITLE} (HTML page, anonymous)",
    responses={
        422: _html("A bad query, explained on the page."),
        404: _html("No public query of that prefecture is served here."),
        503: _html("The credit service is unavailable."),
    },
)
async def public_credit_page(
    request: Request,
    credit: Credit,
    prefecture: Annotated[str | None, Query(description="Prefecture (州/市) code.")] = None,
    q: Annotated[str | None, Query(description="Credit code or part of a name.")] = None,
) -> HTMLResponse:
    """The search form; with `q`, the matches in `prefecture` below it."""
    served = served_prefectures(request.app.state.settings)
    context: dict[str, Any] = {
        "prefectures": served,
        "prefecture": prefecture if prefecture in served else "",
        "q": q or "",
        "results": None,
        "truncated": False,
        "limit": RESULT_LIMIT,
        "message": "",
    }
    status = 200
    try:
        if not served:
            raise PageProblem(503, "本平台暂未开通严重失信主体名单查询。")
        if q is not None:
            chosen = _chosen_prefecture(prefecture, served)
            found = await search_public(credit, request.app.state.settings, chosen, q)
            context.update(results=found, truncated=len(found) >= RESULT_LIMIT)
    except BadQuery as bad:
        status, context["message"] = 422, bad.chinese
    except PageProblem as problem:
        status, context["message"] = problem.status_code, problem.message
    except Refusal as refusal:
        unanswered = _service_problem(refusal)
        status, context["message"] = unanswered.status_code, unanswered.message
    return templates.TemplateResponse(
        request, "public_credit.html", context, status_code=status, headers=_HEADERS
    )
