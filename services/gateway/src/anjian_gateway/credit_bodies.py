"""Request bodies of the credit API over HTTP and the gRPC requests they become.

Lengths and formats mirror the credit service's own rules, so malformed input is a 422
naming the field before any call; what only the service can judge (check characters,
counties of the caller's prefecture, rule tables in force, dates in the future) comes
back from it as field violations in the same 422 shape.
"""

from datetime import date
from typing import Annotated, Literal

from google.type.date_pb2 import Date
from pydantic import Field

from anjian.credit.v1 import credit_pb2
from anjian_gateway.bodies import (
    EARLIEST,
    LATEST,
    PLAIN,
    CountyCode,
    CreditCode,
    Etag,
    Industry,
    RequestId,
    StrictBody,
    Text,
)
from anjian_gateway.credit_resources import ListingReason

Day = Annotated[date, Field(ge=EARLIEST.date(), lt=LATEST.date())]
Size = Literal["large", "medium", "small", "micro"]


def calendar_day(value: date) -> Date:
    """A `google.type.Date`."""
    return Date(year=value.year, month=value.month, day=value.day)


class EnterpriseDraft(StrictBody):
    """An enterprise registering itself; the credit code must pass the GB 32100 check."""

    credit_code: CreditCode
    display_name: Text = Field(min_length=1, max_length=200, description="Registered name.")
    county_code: CountyCode
    industry: Industry = "other"
    size: Size | None = Field(default=None, description="Size class, if known.")
    principal: Text = Field(default="", max_length=100, description="主要负责人.")

    def to_proto(self) -> credit_pb2.Enterprise:
        """The protobuf Enterprise."""
        return credit_pb2.Enterprise(
            credit_code=self.credit_code,
            display_name=self.display_name,
            county_code=self.county_code,
            industry=self.industry,
            size=self.size or "",
            principal=self.principal,
        )


class RegisterEnterpriseBody(StrictBody):
    """Body of RegisterEnterprise."""

    enterprise: EnterpriseDraft

    def to_proto(self, parent: str) -> credit_pb2.RegisterEnterpriseRequest:
        """The gRPC request."""
        return credit_pb2.RegisterEnterpriseRequest(
            parent=parent, enterprise=self.enterprise.to_proto()
        )


class ImportedEnterprise(StrictBody):
    """One record of the registration authority.

    Loosely bounded here on purpose: the service judges each record on its own and
    reports the ones it cannot take in `rejected`, instead of refusing the whole import.
    """

    credit_code: Text = Field(min_length=1, max_length=100, description="Legacy codes are kept.")
    display_name: Text = Field(max_length=1000)
    county_code: Text = Field(max_length=100)
    industry: Text = Field(default="", max_length=100)
    size: Text = Field(default="", max_length=100)
    principal: Text = Field(default="", max_length=1000)

    def to_proto(self) -> credit_pb2.Enterprise:
        """The protobuf Enterprise."""
        return credit_pb2.Enterprise(**self.model_dump())


class ImportEnterprisesBody(StrictBody):
    """Body of `enterprises:import`."""

    enterprises: list[ImportedEnterprise] = Field(min_length=1, max_length=1000)
    source: Text = Field(min_length=1, max_length=200, examples=["市场监督管理局 2026-11 export"])

    def to_proto(self, parent: str) -> credit_pb2.ImportEnterprisesRequest:
        """The gRPC request."""
        return credit_pb2.ImportEnterprisesRequest(
            parent=parent,
            enterprises=[enterprise.to_proto() for enterprise in self.enterprises],
            source=self.source,
        )


class CreditRecordDraft(StrictBody):
    """A direct entry by an official, under a rule of the direct-entry table in force."""

    rule: Text = Field(
        min_length=1,
        max_length=80,
        description="Direct-entry rule, e.g. `penalty-decision`; see `GET /v1/creditRules`.",
    )
    kind: Literal["CONDUCT_KIND_GOOD", "CONDUCT_KIND_BAD"] | None = Field(
        default=None, description="Optional: when given, it must be the rule's kind."
    )
    source: Text = Field(min_length=1, max_length=200, examples=["昆明市应急管理局"])
    source_document: Text = Field(min_length=1, max_length=200, examples=["昆应急罚〔2026〕12号"])
    description: Text = Field(default="", max_length=2000, description="Defaults to the rule's.")
    conduct_date: Day = Field(description="Day of the conduct (CST); not in the future.")
    evidence: list[Annotated[str, Field(min_length=1, max_length=500), PLAIN]] = Field(
        default_factory=list, max_length=20
    )

    def to_proto(self) -> credit_pb2.CreditRecord:
        """The protobuf CreditRecord."""
        return credit_pb2.CreditRecord(
            rule=self.rule,
            kind=credit_pb2.ConductKind.Value(self.kind or "CONDUCT_KIND_UNSPECIFIED"),
            source=self.source,
            source_document=self.source_document,
            description=self.description,
            conduct_date=calendar_day(self.conduct_date),
            evidence=self.evidence,
        )


class CreateCreditRecordBody(StrictBody):
    """Body of CreateCreditRecord."""

    credit_record: CreditRecordDraft
    request_id: RequestId = ""

    def to_proto(self, parent: str) -> credit_pb2.CreateCreditRecordRequest:
        """The gRPC request."""
        return credit_pb2.CreateCreditRecordRequest(
            parent=parent, credit_record=self.credit_record.to_proto(), request_id=self.request_id
        )


class ListingDraft(StrictBody):
    """A listing decided by the department that issued the penalty."""

    credit_code: CreditCode
    reason: ListingReason = Field(description="A reason the rule version in force allows.")
    penalty_document: Text = Field(min_length=1, max_length=200, examples=["昆应急罚〔2026〕12号"])
    deciding_department: Text = Field(min_length=1, max_length=200, examples=["昆明市应急管理局"])
    facts_id: Text = Field(
        min_length=1, max_length=200, description="The accident or case number; one listing each."
    )
    start_date: Day = Field(description="First day on the list (CST); not in the future.")
    rule_version: Text = Field(
        default="",
        max_length=20,
        description="Optional: when given, it must be the version in force on the start date.",
    )

    def to_proto(self) -> credit_pb2.Listing:
        """The protobuf Listing."""
        return credit_pb2.Listing(
            credit_code=self.credit_code,
            reason=credit_pb2.ListingReason.Value(self.reason),
            penalty_document=self.penalty_document,
            deciding_department=self.deciding_department,
            facts_id=self.facts_id,
            start_date=calendar_day(self.start_date),
            rule_version=self.rule_version,
        )


class CreateListingBody(StrictBody):
    """Body of CreateListing."""

    listing: ListingDraft
    request_id: RequestId = ""

    def to_proto(self, parent: str) -> credit_pb2.CreateListingRequest:
        """The gRPC request."""
        return credit_pb2.CreateListingRequest(
            parent=parent, listing=self.listing.to_proto(), request_id=self.request_id
        )


class ApplyForRepairBody(StrictBody):
    """Body of ApplyForRepair (信用修复申请)."""

    statement: Text = Field(
        min_length=1, max_length=4000, description="The statement and the rectification made."
    )
    request_id: RequestId = ""

    def to_proto(self, parent: str) -> credit_pb2.ApplyForRepairRequest:
        """The gRPC request."""
        return credit_pb2.ApplyForRepairRequest(
            parent=parent, statement=self.statement, request_id=self.request_id
        )


class ReviewRepairBody(StrictBody):
    """Body of `:review`: approve (the listing is removed) or refuse, with the reason."""

    etag: Etag
    approve: bool
    reason: Text = Field(min_length=1, max_length=2000)

    def to_proto(self, name: str) -> credit_pb2.ReviewRepairApplicationRequest:
        """The gRPC request."""
        return credit_pb2.ReviewRepairApplicationRequest(
            name=name, etag=self.etag, approve=self.approve, reason=self.reason
        )


class RevokeRepairBody(StrictBody):
    """Body of `:revoke`: the approval was obtained by fraud; the listing is restored."""

    etag: Etag
    reason: Text = Field(min_length=1, max_length=2000, description="The fraud found.")

    def to_proto(self, name: str) -> credit_pb2.RevokeRepairRequest:
        """The gRPC request."""
        return credit_pb2.RevokeRepairRequest(name=name, etag=self.etag, reason=self.reason)


class BanDraft(StrictBody):
    """A ban: an individual by ID number (sent beside it), an intermediary by credit code."""

    subject: Literal["SUBJECT_INDIVIDUAL", "SUBJECT_INTERMEDIARY"]
    display_name: Text = Field(min_length=1, max_length=200, description="Name as published.")
    credit_code: Text = Field(
        default="", max_length=100, description="An intermediary's credit code only."
    )
    scope: Text = Field(min_length=1, max_length=200, description="Trade or market barred from.")
    decision_document: Text = Field(min_length=1, max_length=200)
    start_date: Day
    end_date: Day | None = Field(default=None, description="Unset for a lifetime ban.")

    def to_proto(self) -> credit_pb2.Ban:
        """The protobuf Ban."""
        ban = credit_pb2.Ban(
            subject=credit_pb2.Ban.Subject.Value(self.subject),
            display_name=self.display_name,
            credit_code=self.credit_code,
            scope=self.scope,
            decision_document=self.decision_document,
            start_date=calendar_day(self.start_date),
        )
        if self.end_date is not None:
            ban.end_date.CopyFrom(calendar_day(self.end_date))
        return ban


class CreateBanBody(StrictBody):
    """Body of CreateBan (职业禁入、行业禁入)."""

    ban: BanDraft
    id_number: Text = Field(
        default="",
        max_length=100,
        description="An individual's resident ID number: hashed by the service on arrival, "
        "never stored or echoed.",
    )
    request_id: RequestId = ""

    def to_proto(self, parent: str) -> credit_pb2.CreateBanRequest:
        """The gRPC request."""
        return credit_pb2.CreateBanRequest(
            parent=parent,
            ban=self.ban.to_proto(),
            id_number=self.id_number,
            request_id=self.request_id,
        )
