"""Caller tokens: what verifies, what is refused, and how refusals look over real gRPC."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import grpc
import jwt
import pytest
from google.rpc import code_pb2, error_details_pb2
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from grpc_status import rpc_status
from kernel_support import (
    KUNMING,
    SECRET,
    SERVING,
    RunningHazard,
    bearer,
    hazard_settings,
    health_status,
    running_hazard,
    token,
)

from anjian.hazard.v1 import hazard_pb2
from anjian_cli.embedded import EmbeddedNats, EmbeddedPostgres
from anjian_kernel.auth import Principal, Role, issue_token, verify_token
from anjian_kernel.errors import Unauthenticated
from anjian_kernel.tenancy import YUNNAN_PREFECTURES


def claims(**overrides: object) -> dict[str, object]:
    """The claims of a valid inspector token, with `overrides` applied (None removes one)."""
    now = datetime.now(UTC)
    values: dict[str, object] = {
        "sub": "inspector-1",
        "aud": "anjian",
        "tenant": KUNMING,
        "role": "inspector",
        "iat": now,
        "exp": now + timedelta(hours=1),
    }
    values |= overrides
    return {key: value for key, value in values.items() if value is not None}


def signed(secret: str = SECRET, **overrides: object) -> str:
    """A token with the given claims, signed HS256."""
    return jwt.encode(claims(**overrides), secret, algorithm="HS256")


@pytest.mark.parametrize(
    "principal",
    [
        Principal(subject="insp", tenant=KUNMING, role=Role.INSPECTOR),
        Principal(subject="county", tenant=KUNMING, role=Role.INSPECTOR, county="530102"),
        Principal(subject="admin", tenant="533100", role=Role.ADMIN),
        Principal(subject="partner", tenant="532300", role=Role.PARTNER),
        Principal(
            subject="officer", tenant=KUNMING, role=Role.ENTERPRISE, enterprise="914403001922038216"
        ),
    ],
    ids=lambda principal: principal.subject,
)
def test_an_issued_token_verifies_to_the_same_principal(principal: Principal) -> None:
    assert verify_token(SECRET, issue_token(SECRET, principal)) == principal


@pytest.mark.parametrize(
    ("bad_token", "reason"),
    [
        (signed(exp=datetime.now(UTC) - timedelta(seconds=5)), "expired"),
        (signed("another-secret-of-at-least-32-bytes!!"), "Signature verification failed"),
        (signed(aud="someone-else"), "(?i)audience"),
        (signed(aud=None), "aud"),
        (signed(exp=None), "exp"),
        (signed(iat=None), "iat"),
        (signed(sub=""), "names no subject"),
        (signed(sub="insp\x00ector"), "control character"),
        (signed(enterprise="9153\x00", role="enterprise"), "control character"),
        (signed(iat=str(int(datetime.now(UTC).timestamp()))), "iat"),
        (signed(exp=str(int(datetime.now(UTC).timestamp()) + 60)), "exp"),
        (signed(sub="  "), "names no subject"),
        (signed(exp=datetime.now(UTC) + timedelta(days=91)), "longer than 2160 hours"),
        (signed(tenant=None), "tenant"),
        (signed(role="superuser"), "superuser"),
        (signed(tenant="110100"), "no Yunnan prefecture"),
        (signed(tenant="530102"), "no Yunnan prefecture"),
        (signed(tenant="530000"), "no Yunnan prefecture"),
        (signed(county="530302"), "not a county of its tenant"),
        (signed(county="110101"), "not a county of its tenant"),
        (signed(role="enterprise"), "must name its enterprise"),
        (signed(role="enterprise", enterprise=""), "must name its enterprise"),
        ("not-a-token", "invalid token"),
        (jwt.encode(claims(), None, algorithm="none"), "invalid token"),
    ],
    ids=[
        "expired",
        "wrong-secret",
        "wrong-audience",
        "no-audience",
        "no-expiry",
        "no-issue-time",
        "empty-subject",
        "subject-with-nul",
        "enterprise-with-nul",
        "iat-as-text",
        "exp-as-text",
        "blank-subject",
        "lives-too-long",
        "no-tenant",
        "unknown-role",
        "tenant-outside-yunnan",
        "tenant-is-a-county",
        "tenant-is-the-province",
        "county-of-another-prefecture",
        "county-outside-yunnan",
        "enterprise-role-without-enterprise",
        "enterprise-role-with-empty-enterprise",
        "garbage",
        "unsigned",
    ],
)
def test_a_bad_token_is_unauthenticated(bad_token: str, reason: str) -> None:
    with pytest.raises(Unauthenticated, match=reason) as refused:
        verify_token(SECRET, bad_token)
    assert refused.value.code == code_pb2.UNAUTHENTICATED


def test_a_token_may_live_as_long_as_the_deployment_allows() -> None:
    long_lived = signed(exp=datetime.now(UTC) + timedelta(days=89))

    assert verify_token(SECRET, long_lived).subject == "inspector-1"
    with pytest.raises(Unauthenticated, match="longer than 24 hours"):
        verify_token(SECRET, long_lived, max_lifetime=timedelta(hours=24))


def test_every_yunnan_prefecture_is_a_tenant_and_there_are_sixteen() -> None:
    assert len(YUNNAN_PREFECTURES) == 16
    for tenant in YUNNAN_PREFECTURES:
        assert verify_token(SECRET, signed(tenant=tenant)).tenant == tenant


@pytest.fixture(scope="module")
async def service(
    postgres: EmbeddedPostgres, nats_server: EmbeddedNats
) -> AsyncIterator[RunningHazard]:
    """A hazard service on its own databases, over the session's PostgreSQL and NATS."""
    settings = hazard_settings(postgres.url_for("anjian_kauth_{tenant}"), nats_server.url)
    async with running_hazard(settings) as running:
        yield running


def list_request() -> hazard_pb2.ListHazardsRequest:
    """A harmless read of Kunming's hazards."""
    return hazard_pb2.ListHazardsRequest(parent=f"prefectures/{KUNMING}")


async def test_a_call_without_metadata_is_unauthenticated(service: RunningHazard) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await service.hazards.ListHazards(list_request())
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "authorization" in (refused.value.details() or "")


@pytest.mark.parametrize(
    "metadata",
    [
        bearer("garbage"),
        bearer(signed("another-secret-of-at-least-32-bytes!!")),
        bearer(signed(exp=datetime.now(UTC) - timedelta(minutes=1))),
        (("authorization", "Basic dXNlcjpwYXNz"),),
        (("authorization", "Bearer "),),
    ],
    ids=["garbage", "wrong-secret", "expired", "basic-scheme", "empty-bearer"],
)
async def test_a_call_with_a_bad_token_is_unauthenticated(
    service: RunningHazard, metadata: tuple[tuple[str, str], ...]
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await service.hazards.ListHazards(list_request(), metadata=metadata)
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_a_call_with_a_good_token_is_served(service: RunningHazard) -> None:
    reply = await service.hazards.ListHazards(list_request(), metadata=bearer(token()))
    assert isinstance(reply, hazard_pb2.ListHazardsResponse)


async def test_health_answers_without_a_token(service: RunningHazard) -> None:
    assert await health_status(service.channel) == SERVING
    assert await health_status(service.channel, "anjian.hazard.v1.HazardService") == SERVING


async def test_reflection_answers_without_a_token(service: RunningHazard) -> None:
    stub = reflection_pb2_grpc.ServerReflectionStub(service.channel)
    requests = [
        reflection_pb2.ServerReflectionRequest(list_services=""),
        reflection_pb2.ServerReflectionRequest(
            file_containing_symbol="anjian.hazard.v1.HazardService"
        ),
    ]
    replies = [reply async for reply in stub.ServerReflectionInfo(iter(requests))]

    listed = {service.name for service in replies[0].list_services_response.service}
    assert {
        "anjian.hazard.v1.HazardService",
        "anjian.hazard.v1.SelfInspectionService",
        health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
    } <= listed
    assert replies[1].file_descriptor_response.file_descriptor_proto


async def test_a_bad_request_carries_field_violations(service: RunningHazard) -> None:
    hazard = hazard_pb2.Hazard(
        enterprise_credit_code="915301001000002351",
        enterprise_name="内核测试化工有限公司",
        county_code="530302",
        title="",
        description="三号储罐静电接地线断开",
        location="储罐区",
        industry="chemicals",
    )
    request = hazard_pb2.ReportHazardRequest(parent=f"prefectures/{KUNMING}", hazard=hazard)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await service.hazards.ReportHazard(request, metadata=bearer(token()))

    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    status = rpc_status.from_call(refused.value)
    assert status is not None
    assert status.code == code_pb2.INVALID_ARGUMENT
    assert len(status.details) == 1
    bad_request = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(bad_request)
    violations = {v.field: v.description for v in bad_request.field_violations}
    assert set(violations) == {
        "hazard.enterprise_credit_code",
        "hazard.title",
        "hazard.county_code",
    }
    assert "wrong check character" in violations["hazard.enterprise_credit_code"]
    assert violations["hazard.title"] == "required"
    assert "530100" in violations["hazard.county_code"]
