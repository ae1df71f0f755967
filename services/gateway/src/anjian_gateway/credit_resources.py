"""The JSON form of the credit API's resources, as the gateway answers them.

Like `resources.py`, each model mirrors one protobuf message of `anjian.credit.v1`
field for field, so the OpenAPI document describes exactly what `to_json` produces.
The `Public…` models are narrower on purpose: they are what an anonymous caller gets,
and FastAPI drops every field they do not name, whatever the service sends.
"""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from anjian.credit.v1 import credit_pb2
from anjian_gateway.resources import CalendarDate, mirrors


@mirrors(credit_pb2.ConductKind.DESCRIPTOR)
class ConductKind(StrEnum):
    """守信 (CONDUCT_KIND_GOOD) or 失信 (CONDUCT_KIND_BAD)."""

    CONDUCT_KIND_UNSPECIFIED = "CONDUCT_KIND_UNSPECIFIED"
    CONDUCT_KIND_GOOD = "CONDUCT_KIND_GOOD"
    CONDUCT_KIND_BAD = "CONDUCT_KIND_BAD"


@mirrors(credit_pb2.ListingReason.DESCRIPTOR)
class ListingReason(StrEnum):
    """Why an entity is listed as seriously dishonest (应急管理部令第11号, and the 2017 scheme)."""

    LISTING_REASON_UNSPECIFIED = "LISTING_REASON_UNSPECIFIED"
    LISTING_REASON_MAJOR_ACCIDENT = "LISTING_REASON_MAJOR_ACCIDENT"
    LISTING_REASON_REPEATED_LARGER_ACCIDENTS = "LISTING_REASON_REPEATED_LARGER_ACCIDENTS"
    LISTING_REASON_MULTIPLE_FINE = "LISTING_REASON_MULTIPLE_FINE"
    LISTING_REASON_CONCEALED_ACCIDENT = "LISTING_REASON_CONCEALED_ACCIDENT"
    LISTING_REASON_PRINCIPAL_FLED = "LISTING_REASON_PRINCIPAL_FLED"
    LISTING_REASON_UNLICENSED_OPERATION = "LISTING_REASON_UNLICENSED_OPERATION"
    LISTING_REASON_FALSE_CERTIFICATION = "LISTING_REASON_FALSE_CERTIFICATION"


@mirrors(credit_pb2.ListingState.DESCRIPTOR)
class ListingState(StrEnum):
    """On the list (ACTIVE), removed at the end of its term (EXPIRED) or by credit repair
    (REPAIRED)."""

    LISTING_STATE_UNSPECIFIED = "LISTING_STATE_UNSPECIFIED"
    LISTING_STATE_ACTIVE = "LISTING_STATE_ACTIVE"
    LISTING_STATE_EXPIRED = "LISTING_STATE_EXPIRED"
    LISTING_STATE_REPAIRED = "LISTING_STATE_REPAIRED"


@mirrors(credit_pb2.RepairApplication.State.DESCRIPTOR)
class RepairState(StrEnum):
    """A credit-repair application: pending, approved, refused, or revoked for fraud."""

    STATE_UNSPECIFIED = "STATE_UNSPECIFIED"
    STATE_PENDING = "STATE_PENDING"
    STATE_APPROVED = "STATE_APPROVED"
    STATE_REFUSED = "STATE_REFUSED"
    STATE_REVOKED = "STATE_REVOKED"


@mirrors(credit_pb2.Ban.Subject.DESCRIPTOR)
class BanSubject(StrEnum):
    """An individual (职业禁入) or an intermediary organisation (行业禁入)."""

    SUBJECT_UNSPECIFIED = "SUBJECT_UNSPECIFIED"
    SUBJECT_INDIVIDUAL = "SUBJECT_INDIVIDUAL"
    SUBJECT_INTERMEDIARY = "SUBJECT_INTERMEDIARY"


class Enterprise(BaseModel):
    """An enterprise in the register, keyed by its unified social credit code."""

    name: str = Field(description="`prefectures/{prefecture}/enterprises/{credit_code}`.")
    credit_code: str = Field(description="Unified social credit code (GB 32100), normalised.")
    display_name: str = Field(description="Registered name.")
    county_code: str = Field(description="GB/T 2260 code of the county (县/区).")
    industry: str
    size: str = Field(description="`large`, `medium`, `small` or `micro`; empty if unknown.")
    principal: str = Field(description="Principal (主要负责人); empty unless an official asks.")
    legacy_code: bool = Field(description="An imported code that fails the GB 32100 check.")
    listed: bool = Field(description="On the serious-dishonesty list (严重失信主体名单) now.")
    score: int = Field(description="Credit score as of today (China Standard Time).")
    create_time: datetime | None = None
    source: str = Field(description="`self-registration` or where the import came from.")


class ImportRejection(BaseModel):
    """One imported record the service did not take, and why."""

    index: int = Field(description="Position in the request's `enterprises`.")
    reason: str


class ImportEnterprisesResponse(BaseModel):
    """What an import took."""

    imported: int = Field(description="Records added or updated.")
    legacy: int = Field(description="Of those, records with legacy codes.")
    rejected: list[ImportRejection]


class ListEnterprisesResponse(BaseModel):
    """One page of enterprises."""

    enterprises: list[Enterprise]
    next_page_token: str = Field(description="Pass as `page_token` for the next page; empty last.")
    total_size: int


class CreditRecord(BaseModel):
    """Good or bad conduct (守信、失信记录) with its source, rule and evidence."""

    name: str = Field(description="`…/enterprises/{credit_code}/creditRecords/{id}`.")
    credit_code: str
    kind: ConductKind
    category: str = Field(description="e.g. `penalty-decision`, `hazard-overdue`.")
    description: str
    source: str = Field(description="The service or agency it came from.")
    source_document: str = Field(description="Decision number, or the event's resource name.")
    conduct_date: CalendarDate = Field(default=None, description="Day of the conduct (CST).")
    rule: str
    rule_version: str
    points: int = Field(description="Score points the rule gives (negative for bad conduct).")
    evidence: list[str]
    public: bool = Field(description="Whether the rules publish it on the public page.")
    create_time: datetime | None = None
    event_id: str = Field(description="Id of the event it came from, if any.")


class ListCreditRecordsResponse(BaseModel):
    """One page of an enterprise's records, newest first."""

    credit_records: list[CreditRecord]
    next_page_token: str


class ScoreItem(BaseModel):
    """One record's contribution to a score."""

    credit_record: str
    points: int
    explanation: str = Field(description="The rule, its version, and until when it counts.")


class CreditScore(BaseModel):
    """A score as of a day, explained item by item."""

    enterprise: str
    as_of: CalendarDate = None
    score: int
    rule_version: str = Field(description="Scoring rule version applied.")
    base: int
    items: list[ScoreItem]


class Listing(BaseModel):
    """An entry of the serious-dishonesty list (严重失信主体名单)."""

    name: str = Field(description="`prefectures/{prefecture}/listings/{id}`.")
    credit_code: str
    reason: ListingReason
    penalty_document: str = Field(description="Penalty decision document number.")
    deciding_department: str = Field(description="Department that penalised and listed.")
    facts_id: str = Field(description="The facts (accident or case number); one listing each.")
    rule_version: str = Field(description="`2023` (应急管理部令第11号) or `2017`.")
    start_date: CalendarDate = None
    end_date: CalendarDate = Field(default=None, description="Last day unless removed early.")
    repair_allowed_from: CalendarDate = Field(
        default=None, description="Earliest day a credit-repair application is allowed."
    )
    state: ListingState
    remove_time: datetime | None = None
    create_time: datetime | None = None
    etag: str


class ListListingsResponse(BaseModel):
    """One page of listings, active ones first."""

    listings: list[Listing]
    next_page_token: str


class RepairApplication(BaseModel):
    """An application for early removal from the list (信用修复)."""

    name: str = Field(description="`…/listings/{listing}/repairApplications/{id}`.")
    listing: str
    statement: str
    state: RepairState
    review_reason: str
    create_time: datetime | None = None
    review_time: datetime | None = None
    etag: str


class Ban(BaseModel):
    """A ban of an individual from a trade, or of an intermediary from the market."""

    name: str = Field(description="`prefectures/{prefecture}/bans/{id}`.")
    subject: BanSubject
    display_name: str
    credit_code: str = Field(description="An intermediary's credit code; empty for a person.")
    person_key: str = Field(
        description="For an individual: a salted hash of the ID number, for officials only."
    )
    scope: str = Field(description="Trade or market barred from.")
    decision_document: str
    start_date: CalendarDate = None
    end_date: CalendarDate = Field(default=None, description="Unset for a lifetime ban.")
    active: bool


class ListBansResponse(BaseModel):
    """One page of bans, newest first."""

    bans: list[Ban]
    next_page_token: str


class ExpireListingsResponse(BaseModel):
    """What one run of expiry removed."""

    expired_listings: list[str]
    expired_bans: list[str]


class CreditRule(BaseModel):
    """One row of a versioned rule table."""

    table: str = Field(description="`event`, `direct-entry`, `scoring` or `listing`.")
    rule: str
    version: str
    description: str
    definition: str = Field(description="The rule as data (JSON text).")


class ListCreditRulesResponse(BaseModel):
    """Every rule of every version the service ships."""

    rules: list[CreditRule]


class CreditChange(BaseModel):
    """One change of the feed partner credit platforms pull."""

    sequence: int = Field(description="Position in the feed; increases in commit order.")
    kind: str = Field(description="`listed`, `delisted` or `record_published`.")
    credit_code: str
    listing: Listing | None = Field(default=None, description="For listed and delisted.")
    credit_record: CreditRecord | None = Field(default=None, description="For record_published.")
    change_time: datetime | None = None


class ListCreditChangesResponse(BaseModel):
    """Changes after the cursor, in order."""

    changes: list[CreditChange]
    next_cursor: str = Field(
        description="Send as `cursor` next time; the same as sent when nothing is new."
    )


class PublicListing(BaseModel):
    """What the public may see of a listing."""

    reason: ListingReason
    state: ListingState
    penalty_document: str
    deciding_department: str
    rule_version: str
    start_date: CalendarDate = None
    end_date: CalendarDate = None
    remove_time: datetime | None = None


class PublicRecord(BaseModel):
    """What the public may see of a record the rules publish."""

    kind: ConductKind
    category: str
    description: str
    source: str
    source_document: str
    conduct_date: CalendarDate = None


class PublicEnterprise(BaseModel):
    """What the public may see of an enterprise: no principal, no personal data."""

    credit_code: str
    display_name: str
    listed: bool = Field(description="On the serious-dishonesty list now.")
    listings: list[PublicListing] = Field(description="Active and past listings.")
    public_records: list[PublicRecord]


class PublicSearchResponse(BaseModel):
    """Enterprises matching a public query."""

    enterprises: list[PublicEnterprise]
