"""The gRPC servicers: CreditService for officials, enterprises and partners, and
PublicCreditService for anyone with a token (the gateway holds one for anonymous users)."""

from anjian.credit.v1 import credit_pb2, credit_pb2_grpc
from anjian_credit import rules
from anjian_credit.bans import Bans
from anjian_credit.conduct import ConductRecords
from anjian_credit.enterprises import EnterpriseRegister
from anjian_credit.listings import SeriousDishonestyList, expire
from anjian_credit.public import PublicCredit
from anjian_credit.rules import RuleBook
from anjian_kernel.auth import Role, current_principal
from anjian_kernel.clock import Clock
from anjian_kernel.database import TenantDatabases
from anjian_kernel.interceptors import ServicerContext as Context
from anjian_kernel.resources import check_parent


class CreditService(credit_pb2_grpc.CreditServiceServicer):
    """Enterprises, credit records and scores, the serious-dishonesty list, repair and bans."""

    def __init__(
        self, databases: TenantDatabases, clock: Clock, book: RuleBook, person_salt: bytes
    ) -> None:
        self._databases = databases
        self._clock = clock
        self._book = book
        self._register = EnterpriseRegister(databases, clock, book)
        self._records = ConductRecords(databases, clock, book)
        self._list = SeriousDishonestyList(databases, clock, book)
        self._bans = Bans(databases, clock, person_salt)

    async def RegisterEnterprise(
        self, request: credit_pb2.RegisterEnterpriseRequest, context: Context
    ) -> credit_pb2.Enterprise:
        """Register an enterprise itself; its code must pass GB 32100."""
        return await self._register.register(current_principal(), request)

    async def ImportEnterprises(
        self, request: credit_pb2.ImportEnterprisesRequest, context: Context
    ) -> credit_pb2.ImportEnterprisesResponse:
        """Import the registration authority's records; failing codes are kept as legacy."""
        return await self._register.import_records(current_principal(), request)

    async def GetEnterprise(
        self, request: credit_pb2.GetEnterpriseRequest, context: Context
    ) -> credit_pb2.Enterprise:
        """One enterprise with its listing status and today's score."""
        return await self._register.get(current_principal(), request.name)

    async def ListEnterprises(
        self, request: credit_pb2.ListEnterprisesRequest, context: Context
    ) -> credit_pb2.ListEnterprisesResponse:
        """Enterprises in the caller's scope."""
        return await self._register.list(current_principal(), request)

    async def CreateCreditRecord(
        self, request: credit_pb2.CreateCreditRecordRequest, context: Context
    ) -> credit_pb2.CreditRecord:
        """Record conduct by direct entry under a direct-entry rule; idempotent on request_id."""
        return await self._records.create(current_principal(), request)

    async def ListCreditRecords(
        self, request: credit_pb2.ListCreditRecordsRequest, context: Context
    ) -> credit_pb2.ListCreditRecordsResponse:
        """An enterprise's records, newest first."""
        return await self._records.list(current_principal(), request)

    async def GetCreditScore(
        self, request: credit_pb2.GetCreditScoreRequest, context: Context
    ) -> credit_pb2.CreditScore:
        """The score as of a day, explained item by item."""
        return await self._records.score(current_principal(), request)

    async def CreateListing(
        self, request: credit_pb2.CreateListingRequest, context: Context
    ) -> credit_pb2.Listing:
        """Put an enterprise on the serious-dishonesty list."""
        return await self._list.create(current_principal(), request)

    async def GetListing(
        self, request: credit_pb2.GetListingRequest, context: Context
    ) -> credit_pb2.Listing:
        """One listing."""
        return await self._list.get(current_principal(), request.name)

    async def ListListings(
        self, request: credit_pb2.ListListingsRequest, context: Context
    ) -> credit_pb2.ListListingsResponse:
        """Listings, active first."""
        return await self._list.list(current_principal(), request)

    async def ApplyForRepair(
        self, request: credit_pb2.ApplyForRepairRequest, context: Context
    ) -> credit_pb2.RepairApplication:
        """Apply for credit repair once the listing's rules allow it."""
        return await self._list.apply_for_repair(current_principal(), request)

    async def ReviewRepairApplication(
        self, request: credit_pb2.ReviewRepairApplicationRequest, context: Context
    ) -> credit_pb2.RepairApplication:
        """Approve or refuse a repair application."""
        return await self._list.review(current_principal(), request)

    async def RevokeRepair(
        self, request: credit_pb2.RevokeRepairRequest, context: Context
    ) -> credit_pb2.RepairApplication:
        """Revoke a repair obtained by fraud; the listing is restored."""
        return await self._list.revoke(current_principal(), request)

    async def CreateBan(
        self, request: credit_pb2.CreateBanRequest, context: Context
    ) -> credit_pb2.Ban:
        """Bar an individual or an intermediary."""
        return await self._bans.create(current_principal(), request)

    async def ListBans(
        self, request: credit_pb2.ListBansRequest, context: Context
    ) -> credit_pb2.ListBansResponse:
        """Bans, newest first."""
        return await self._bans.list(current_principal(), request)

    async def ExpireListings(
        self, request: credit_pb2.ExpireListingsRequest, context: Context
    ) -> credit_pb2.ExpireListingsResponse:
        """Remove listings and end bans whose last day has passed, now."""
        principal = current_principal()
        principal.require(Role.ADMIN)
        check_parent(principal, request.parent)
        listings, bans = await expire(self._databases, self._clock, principal.tenant)
        return credit_pb2.ExpireListingsResponse(expired_listings=listings, expired_bans=bans)

    async def ListCreditRules(
        self, request: credit_pb2.ListCreditRulesRequest, context: Context
    ) -> credit_pb2.ListCreditRulesResponse:
        """Every rule of every version shipped."""
        current_principal()
        return credit_pb2.ListCreditRulesResponse(rules=rules.to_proto(self._book))


class PublicCreditService(credit_pb2_grpc.PublicCreditServiceServicer):
    """Public search and the change feed."""

    def __init__(self, databases: TenantDatabases) -> None:
        self._public = PublicCredit(databases)

    async def SearchPublicCredit(
        self, request: credit_pb2.SearchPublicCreditRequest, context: Context
    ) -> credit_pb2.SearchPublicCreditResponse:
        """Enterprises by code or name: listing status and public records only."""
        return await self._public.search(current_principal(), request)

    async def ListCreditChanges(
        self, request: credit_pb2.ListCreditChangesRequest, context: Context
    ) -> credit_pb2.ListCreditChangesResponse:
        """Published changes after a cursor, in order."""
        return await self._public.changes(current_principal(), request)
