"""Public credit query (安全生产严重失信主体名单查询) for anyone, and the partners' feed.

Anonymous access: nobody logs in to look an enterprise up, so the gateway calls the
credit service's `SearchPublicCredit` with a `partner` token of the prefecture asked
about, taken from `ANJIAN_PUBLIC_TOKENS` (issued by whoever deploys, e.g. with
`anjian token`). It sends that token with no other call. Pre-issued tokens rather than
minting them here keep the token secret out of the one process that faces the internet:
a compromised gateway leaks partner tokens of its prefectures, not the power to sign an
administrator's token. The feed is for partner platforms with tokens of their own.
"""

import re
import unicodedata
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import AfterValidator

from anjian.credit.v1 import credit_pb2
from anjian_gateway.bodies import INT32_MAX, PLAIN
from anjian_gateway.credit_resources import (
    ListCreditChangesResponse,
    PublicEnterprise,
    PublicSearchResponse,
)
from anjian_gateway.dependencies import PROBLEMS, Caller, Credit
from anjian_gateway.errors import Origin, Refusal
from anjian_gateway.resources import to_json
from anjian_gateway.settings import GatewaySettings
from anjian_gateway.upstream import CreditUpstream, Metadata
from anjian_kernel.identifiers import (
    is_legacy_credit_code,
    is_resident_id_number,
    is_valid_credit_code,
    normalise_credit_code,
)
from anjian_kernel.logs import get_logger
from anjian_kernel.tenancy import YUNNAN_PREFECTURES

log = get_logger(__name__)
# Limitation: anonymous queries are not rate-limited here; the ingress in front must be.
router = APIRouter(prefix="/v1/public", tags=["public"], responses=PROBLEMS)

MIN_QUERY, MAX_QUERY = 2, 100
RESULT_LIMIT = 20
# Registered names are written in Chinese characters, so 18 letters and digits are a code.
_CODE_SHAPE = re.compile(r"^[0-9A-Z]{18}$")
_SEARCH = Origin("query", {"parent": "prefecture"}, renamed={"query": "q"})
_FEED = Origin("query", {"parent": "prefecture"})


class BadQuery(Exception):
    """A public query that cannot be answered, said for the page (Chinese) and the API."""

    def __init__(self, chinese: str, english: str) -> None:
        super().__init__(english)
        self.chinese = chinese
        self.english = english


def _yunnan(code: str) -> str:
    if code not in YUNNAN_PREFECTURES:
        raise ValueError("not a Yunnan prefecture (州/市) code under GB/T 2260")
    return code


YunnanPrefecture = Annotated[
    str,
    Path(
        pattern=r"^\d{6}$",
        description="GB/T 2260 code of one of Yunnan's 16 prefectures (州/市).",
        examples=["530100"],
    ),
    AfterValidator(_yunnan),
]


def served_prefectures(settings: GatewaySettings) -> dict[str, str]:
    """Prefectures with a public query here (code → name), in code order."""
    return {code: YUNNAN_PREFECTURES[code] for code in sorted(settings.public_tokens)}


def _public_metadata(settings: GatewaySettings, prefecture: str) -> Metadata:
    # Limitation: a partner token may do more than public reads (ImportEnterprises, reading
    # the prefecture's hazards); a role for public reads alone would narrow a leaked one.
    token = settings.public_tokens.get(prefecture)
    if token is None:
        raise Refusal(
            404,
            {
                "detail": f"no public credit query of prefecture {prefecture} is served here",
                "status": "NOT_FOUND",
            },
        )
    return (("authorization", f"Bearer {token.get_secret_value()}"),)


def check_query(raw: str) -> tuple[str, bool]:
    """The query to send, and whether it is a legacy-shaped code; BadQuery if unusable."""
    query = raw.strip()
    if len(query) < MIN_QUERY:
        raise BadQuery(
            f"请至少输入{MIN_QUERY}个字符：统一社会信用代码，或企业名称的一部分。",
            f"at least {MIN_QUERY} characters: a credit code or part of a name",
        )
    if len(query) > MAX_QUERY:
        raise BadQuery(f"最多输入{MAX_QUERY}个字符。", f"at most {MAX_QUERY} characters")
    if any(unicodedata.category(char).startswith("C") for char in query):
        raise BadQuery("查询内容含有无法识别的字符。", "must not contain control characters")
    code = normalise_credit_code(query)
    if not _CODE_SHAPE.match(code):
        return query, False
    if is_valid_credit_code(code):
        return code, False
    if is_resident_id_number(code):
        # Searched for nothing and echoed nowhere: this page looks up no individual.
        raise BadQuery(
            "这是居民身份证号码，不是统一社会信用代码；本页面不查询个人信息。",
            "this is a resident ID number, not a credit code",
        )
    if is_legacy_credit_code(code):
        return code, True
    raise BadQuery(
        "统一社会信用代码含有不使用的字母（I、O、S、V、Z）。",
        "characters outside the credit-code alphabet (digits and capitals except I, O, S, V, Z)",
    )


async def search_public(
    credit: CreditUpstream, settings: GatewaySettings, prefecture: str, raw_query: str
) -> list[PublicEnterprise]:
    """What the public may see of the enterprises matching `raw_query` in `prefecture`.

    Raises BadQuery for an unusable query and Refusal when the service cannot answer.
    """
    query, legacy = check_query(raw_query)
    metadata = _public_metadata(settings, prefecture)
    request = credit_pb2.SearchPublicCreditRequest(
        parent=f"prefectures/{prefecture}", query=query, page_size=RESULT_LIMIT
    )
    try:
        reply = await credit.call(credit.public.SearchPublicCredit, request, metadata, _SEARCH)
    except Refusal as refusal:
        if refusal.status_code not in (401, 403):
            raise
        # The deployer's token expired or names another tenant: no visitor can fix that.
        log.error(
            "public_token_refused",
            tenant=prefecture,
            status=refusal.status_code,
            reason=refusal.body.get("detail"),
        )
        raise Refusal(
            503, {"detail": "the public credit query is unavailable", "status": "UNAVAILABLE"}
        ) from refusal
    # Validated into the public models, so no field they do not name can reach the visitor.
    found = PublicSearchResponse.model_validate(to_json(reply)).enterprises
    # An imported record may carry a code failing its check characters; only when there
    # is none is the code a typing mistake.
    if legacy and not found:
        raise BadQuery(
            "统一社会信用代码校验位不正确，请核对后重新输入。",
            "the credit code fails its GB 32100 check characters",
        )
    return found


@router.get(
    "/prefectures/{prefecture}/enterprises",
    response_model=PublicSearchResponse,
    operation_id="SearchPublicCredit",
    summary="Look up enterprises' listing status and public records (anonymous)",
)
async def search_public_credit(
    request: Request,
    prefecture: YunnanPrefecture,
    credit: Credit,
    q: Annotated[
        str,
        Query(
            max_length=1000,
            description="A credit code (exact) or part of a registered name (2+ characters).",
        ),
        PLAIN,
    ],
) -> dict[str, Any]:
    """Anyone may ask, without a token: name, code, listing status, listings and the records
    the rules publish, at most 20 enterprises. A prefecture without a public query is 404."""
    try:
        found = await search_public(credit, request.app.state.settings, prefecture, q)
    except BadQuery as bad:
        raise Refusal(
            422, {"detail": [{"loc": ["query", "q"], "msg": bad.english, "type": "value_error"}]}
        ) from bad
    return {"enterprises": [enterprise.model_dump() for enterprise in found]}


@router.get(
    "/prefectures/{prefecture}/creditChanges",
    response_model=ListCreditChangesResponse,
    operation_id="ListCreditChanges",
    summary="The feed partner credit platforms pull",
)
async def list_credit_changes(
    prefecture: YunnanPrefecture,
    caller: Caller,
    credit: Credit,
    cursor: Annotated[
        str,
        Query(
            max_length=40,
            description="`next_cursor` of the previous page; empty to start at the beginning.",
        ),
        PLAIN,
    ] = "",
    page_size: Annotated[
        int, Query(ge=0, le=INT32_MAX, description="At most this many (0: 100; at most 1000).")
    ] = 0,
) -> dict[str, Any]:
    """Listings, removals and published records after the cursor, in commit order: pulling
    with each `next_cursor` in turn misses nothing and repeats nothing. Needs a token."""
    request = credit_pb2.ListCreditChangesRequest(
        parent=f"prefectures/{prefecture}", cursor=cursor, page_size=page_size
    )
    return to_json(await credit.call(credit.public.ListCreditChanges, request, caller, _FEED))
