"""HTTP routes of the CreditService: the enterprise register, credit records and scores, the
serious-dishonesty list (严重失信主体名单) with credit repair, and bans.

Paths follow the AIP HTTP mapping of the gRPC API, as the hazard routes do: standard
methods on `/v1/prefectures/{prefecture}/…`, custom methods as `POST …:verb`.
"""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from anjian.credit.v1 import credit_pb2
from anjian_gateway import credit_resources
from anjian_gateway.bodies import CountyCode, CreditCode
from anjian_gateway.credit_bodies import (
    ApplyForRepairBody,
    CreateBanBody,
    CreateCreditRecordBody,
    CreateListingBody,
    Day,
    ImportEnterprisesBody,
    RegisterEnterpriseBody,
    ReviewRepairBody,
    RevokeRepairBody,
    calendar_day,
)
from anjian_gateway.dependencies import PROBLEMS, Caller, Credit, PageSize, PageToken, Prefecture
from anjian_gateway.errors import Origin
from anjian_gateway.resources import to_json

router = APIRouter(prefix="/v1", tags=["credit"], responses=PROBLEMS)

EnterpriseCode = Annotated[
    str,
    Path(
        pattern=r"^[0-9A-Za-z]{18}$",
        description="Unified social credit code (统一社会信用代码) of the enterprise; legacy "
        "codes of imported records too.",
    ),
]
ListingId = Annotated[uuid.UUID, Path(description="Id of the listing.")]
ApplicationId = Annotated[uuid.UUID, Path(description="Id of the repair application.")]

# Where the fields of each kind of gRPC request came from, to locate field violations.
_CREATE = Origin("body", {"parent": "prefecture"})
_LIST = Origin("query", {"parent": "prefecture"})
_ENTERPRISE = Origin("query", {"name": "credit_code"})
_RECORD_CREATE = Origin("body", {"parent": "credit_code"})
_RECORD_LIST = Origin("query", {"parent": "credit_code"})
_LISTING = Origin("query", {"name": "listing_id"})
_APPLY = Origin("body", {"parent": "listing_id"})
_REVIEW = Origin("body", {"name": "application_id"})


def _parent(prefecture: str) -> str:
    return f"prefectures/{prefecture}"


def _enterprise(prefecture: str, code: str) -> str:
    return f"prefectures/{prefecture}/enterprises/{code}"


def _listing(prefecture: str, listing_id: uuid.UUID) -> str:
    return f"prefectures/{prefecture}/listings/{listing_id}"


def _application(prefecture: str, listing_id: uuid.UUID, application_id: uuid.UUID) -> str:
    return f"{_listing(prefecture, listing_id)}/repairApplications/{application_id}"


@router.post(
    "/prefectures/{prefecture}/enterprises",
    response_model=credit_resources.Enterprise,
    operation_id="RegisterEnterprise",
    summary="Register an enterprise (企业登记)",
)
async def register_enterprise(
    prefecture: Prefecture, body: RegisterEnterpriseBody, caller: Caller, credit: Credit
) -> dict[str, Any]:
    """Self-registration: the code must pass the GB 32100 check; one code, one enterprise."""
    request = body.to_proto(_parent(prefecture))
    return to_json(await credit.call(credit.credit.RegisterEnterprise, request, caller, _CREATE))


@router.post(
    "/prefectures/{prefecture}/enterprises:import",
    response_model=credit_resources.ImportEnterprisesResponse,
    operation_id="ImportEnterprises",
    summary="Import records of the registration authority",
)
async def import_enterprises(
    prefecture: Prefecture, body: ImportEnterprisesBody, caller: Caller, credit: Credit
) -> dict[str, Any]:
    """Take records of the registration authority; codes failing only their check
    characters are kept and marked legacy, other bad records are listed as rejected."""
    request = body.to_proto(_parent(prefecture))
    return to_json(await credit.call(credit.credit.ImportEnterprises, request, caller, _CREATE))


@router.get(
    "/prefectures/{prefecture}/enterprises/{credit_code}",
    response_model=credit_resources.Enterprise,
    operation_id="GetEnterprise",
    summary="Get an enterprise",
)
async def get_enterprise(
    prefecture: Prefecture, credit_code: EnterpriseCode, caller: Caller, credit: Credit
) -> dict[str, Any]:
    """One enterprise of the register, with its listing status and today's score."""
    request = credit_pb2.GetEnterpriseRequest(name=_enterprise(prefecture, credit_code))
    return to_json(await credit.call(credit.credit.GetEnterprise, request, caller, _ENTERPRISE))


@router.get(
    "/prefectures/{prefecture}/enterprises",
    response_model=credit_resources.ListEnterprisesResponse,
    operation_id="ListEnterprises",
    summary="List enterprises",
)
async def list_enterprises(
    prefecture: Prefecture,
    caller: Caller,
    credit: Credit,
    county_code: Annotated[CountyCode | None, Query(description="Only this county.")] = None,
    listed_only: Annotated[bool, Query(description="Only listed enterprises (严重失信).")] = False,
    page_size: PageSize = 0,
    page_token: PageToken = "",
) -> dict[str, Any]:
    """Enterprises of the register, paged (default 50, max 500)."""
    request = credit_pb2.ListEnterprisesRequest(
        parent=_parent(prefecture),
        page_size=page_size,
        page_token=page_token,
        county_code=county_code or "",
        listed_only=listed_only,
    )
    return to_json(await credit.call(credit.credit.ListEnterprises, request, caller, _LIST))


@router.post(
    "/prefectures/{prefecture}/enterprises/{credit_code}/creditRecords",
    response_model=credit_resources.CreditRecord,
    operation_id="CreateCreditRecord",
    summary="Record good or bad conduct (信用记录)",
)
async def create_credit_record(
    prefecture: Prefecture,
    credit_code: EnterpriseCode,
    body: CreateCreditRecordBody,
    caller: Caller,
    credit: Credit,
) -> dict[str, Any]:
    """A direct entry by an official (penalty decision, accident finding, commendation…).
    A retry with the same `request_id` returns the same record."""
    request = body.to_proto(_enterprise(prefecture, credit_code))
    method = credit.credit.CreateCreditRecord
    return to_json(await credit.call(method, request, caller, _RECORD_CREATE))


@router.get(
    "/prefectures/{prefecture}/enterprises/{credit_code}/creditRecords",
    response_model=credit_resources.ListCreditRecordsResponse,
    operation_id="ListCreditRecords",
    summary="List an enterprise's credit records",
)
async def list_credit_records(
    prefecture: Prefecture,
    credit_code: EnterpriseCode,
    caller: Caller,
    credit: Credit,
    page_size: PageSize = 0,
    page_token: PageToken = "",
) -> dict[str, Any]:
    """An enterprise's records, newest first (default 50, max 500); partners see public ones."""
    request = credit_pb2.ListCreditRecordsRequest(
        parent=_enterprise(prefecture, credit_code), page_size=page_size, page_token=page_token
    )
    method = credit.credit.ListCreditRecords
    return to_json(await credit.call(method, request, caller, _RECORD_LIST))


@router.get(
    "/prefectures/{prefecture}/enterprises/{credit_code}/creditScore",
    response_model=credit_resources.CreditScore,
    operation_id="GetCreditScore",
    summary="An enterprise's credit score as of a day",
)
async def get_credit_score(
    prefecture: Prefecture,
    credit_code: EnterpriseCode,
    caller: Caller,
    credit: Credit,
    as_of: Annotated[
        Day | None, Query(description="As of this day (China Standard Time); today if unset.")
    ] = None,
) -> dict[str, Any]:
    """The score recomputed from the records and the scoring rules in force, item by item."""
    request = credit_pb2.GetCreditScoreRequest(
        name=_enterprise(prefecture, credit_code),
        as_of=calendar_day(as_of) if as_of else None,
    )
    return to_json(await credit.call(credit.credit.GetCreditScore, request, caller, _ENTERPRISE))


@router.post(
    "/prefectures/{prefecture}/listings",
    response_model=credit_resources.Listing,
    operation_id="CreateListing",
    summary="List an enterprise as seriously dishonest (列入严重失信主体名单)",
)
async def create_listing(
    prefecture: Prefecture, body: CreateListingBody, caller: Caller, credit: Credit
) -> dict[str, Any]:
    """Decided by the department that issued the penalty, for a reason the rules name; one
    active listing per enterprise and facts. A retry with the same `request_id` returns it."""
    request = body.to_proto(_parent(prefecture))
    return to_json(await credit.call(credit.credit.CreateListing, request, caller, _CREATE))


@router.get(
    "/prefectures/{prefecture}/listings/{listing_id}",
    response_model=credit_resources.Listing,
    operation_id="GetListing",
    summary="Get a listing",
)
async def get_listing(
    prefecture: Prefecture, listing_id: ListingId, caller: Caller, credit: Credit
) -> dict[str, Any]:
    """One listing; another tenant's is a 404."""
    request = credit_pb2.GetListingRequest(name=_listing(prefecture, listing_id))
    return to_json(await credit.call(credit.credit.GetListing, request, caller, _LISTING))


@router.get(
    "/prefectures/{prefecture}/listings",
    response_model=credit_resources.ListListingsResponse,
    operation_id="ListListings",
    summary="List listings",
)
async def list_listings(
    prefecture: Prefecture,
    caller: Caller,
    credit: Credit,
    active_only: Annotated[bool, Query(description="Only listings in force.")] = False,
    credit_code: Annotated[CreditCode | None, Query(description="Only this enterprise.")] = None,
    page_size: PageSize = 0,
    page_token: PageToken = "",
) -> dict[str, Any]:
    """Listings, active ones first (default 50, max 500)."""
    request = credit_pb2.ListListingsRequest(
        parent=_parent(prefecture),
        page_size=page_size,
        page_token=page_token,
        active_only=active_only,
        credit_code=credit_code or "",
    )
    return to_json(await credit.call(credit.credit.ListListings, request, caller, _LIST))


@router.post(
    "/prefectures/{prefecture}/listings:expire",
    response_model=credit_resources.ExpireListingsResponse,
    operation_id="ExpireListings",
    summary="Remove listings and bans whose term has ended",
)
async def expire_listings(prefecture: Prefecture, caller: Caller, credit: Credit) -> dict[str, Any]:
    """Run expiry now (it also runs periodically). Administrators only."""
    request = credit_pb2.ExpireListingsRequest(parent=_parent(prefecture))
    return to_json(await credit.call(credit.credit.ExpireListings, request, caller, _CREATE))


@router.post(
    "/prefectures/{prefecture}/listings/{listing_id}/repairApplications",
    response_model=credit_resources.RepairApplication,
    operation_id="ApplyForRepair",
    summary="Apply for credit repair (信用修复)",
)
async def apply_for_repair(
    prefecture: Prefecture,
    listing_id: ListingId,
    body: ApplyForRepairBody,
    caller: Caller,
    credit: Credit,
) -> dict[str, Any]:
    """Apply for early removal; before `repair_allowed_from` (CST) it is a 409 naming it."""
    request = body.to_proto(_listing(prefecture, listing_id))
    return to_json(await credit.call(credit.credit.ApplyForRepair, request, caller, _APPLY))


@router.post(
    "/prefectures/{prefecture}/listings/{listing_id}/repairApplications/{application_id}:review",
    response_model=credit_resources.RepairApplication,
    operation_id="ReviewRepairApplication",
    summary="Approve or refuse a repair application",
)
async def review_repair_application(
    prefecture: Prefecture,
    listing_id: ListingId,
    application_id: ApplicationId,
    body: ReviewRepairBody,
    caller: Caller,
    credit: Credit,
) -> dict[str, Any]:
    """Approval removes the listing (REPAIRED); refusal leaves it in force."""
    request = body.to_proto(_application(prefecture, listing_id, application_id))
    method = credit.credit.ReviewRepairApplication
    return to_json(await credit.call(method, request, caller, _REVIEW))


@router.post(
    "/prefectures/{prefecture}/listings/{listing_id}/repairApplications/{application_id}:revoke",
    response_model=credit_resources.RepairApplication,
    operation_id="RevokeRepair",
    summary="Revoke a repair obtained by fraud",
)
async def revoke_repair(
    prefecture: Prefecture,
    listing_id: ListingId,
    application_id: ApplicationId,
    body: RevokeRepairBody,
    caller: Caller,
    credit: Credit,
) -> dict[str, Any]:
    """The listing is restored with its original end date."""
    request = body.to_proto(_application(prefecture, listing_id, application_id))
    return to_json(await credit.call(credit.credit.RevokeRepair, request, caller, _REVIEW))


@router.post(
    "/prefectures/{prefecture}/bans",
    response_model=credit_resources.Ban,
    operation_id="CreateBan",
    summary="Ban an individual (职业禁入) or an intermediary (行业禁入)",
)
async def create_ban(
    prefecture: Prefecture, body: CreateBanBody, caller: Caller, credit: Credit
) -> dict[str, Any]:
    """An individual is identified by a salted hash of the ID number, which is never stored."""
    request = body.to_proto(_parent(prefecture))
    return to_json(await credit.call(credit.credit.CreateBan, request, caller, _CREATE))


@router.get(
    "/prefectures/{prefecture}/bans",
    response_model=credit_resources.ListBansResponse,
    operation_id="ListBans",
    summary="List bans",
)
async def list_bans(
    prefecture: Prefecture,
    caller: Caller,
    credit: Credit,
    active_only: Annotated[bool, Query(description="Only bans in force.")] = False,
    page_size: PageSize = 0,
    page_token: PageToken = "",
) -> dict[str, Any]:
    """Bans, newest first (default 50, max 500); the person key only for officials."""
    request = credit_pb2.ListBansRequest(
        parent=_parent(prefecture),
        page_size=page_size,
        page_token=page_token,
        active_only=active_only,
    )
    return to_json(await credit.call(credit.credit.ListBans, request, caller, _LIST))


@router.get(
    "/creditRules",
    response_model=credit_resources.ListCreditRulesResponse,
    operation_id="ListCreditRules",
    summary="List the credit rule tables and their versions",
)
async def list_credit_rules(caller: Caller, credit: Credit) -> dict[str, Any]:
    """Events to records, direct entries, scoring and listing terms, every version shipped."""
    request = credit_pb2.ListCreditRulesRequest()
    return to_json(await credit.call(credit.credit.ListCreditRules, request, caller, _LIST))
