"""Case tenant-isolation-read, the bus part: a tenant's NATS user cannot read another tenant."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import nats
import nats.errors
import pytest
from nats.js.errors import Error as JetStreamError

from anjian_cli.embedded import EmbeddedNats
from anjian_kernel.bus import Bus, stream_name, subject
from anjian_kernel.bus_access import NatsUser, authorization_config, inbox_prefix
from anjian_kernel.settings import KernelSettings

KUNMING = "530100"
QUJING = "530300"
USERS = [
    NatsUser("anjian", "platform-password"),
    NatsUser("tenant-530100", "kunming-password", KUNMING),
    NatsUser("tenant-530300", "qujing-password", QUJING),
]


@pytest.fixture(scope="module")
def guarded_nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedNats]:
    store = tmp_path_factory.mktemp("guarded-nats") / "store"
    with EmbeddedNats(Path(store), config=authorization_config(USERS)) as server:
        yield server


async def connect_as(
    server: EmbeddedNats, user: NatsUser, errors: list[Exception]
) -> nats.aio.client.Client:
    async def remember(error: Exception) -> None:
        errors.append(error)

    return await nats.connect(
        server.url,
        user=user.name,
        password=user.password,
        error_cb=remember,
        inbox_prefix=inbox_prefix(user.tenant) if user.tenant else "_INBOX",
        allow_reconnect=False,
    )


async def test_tenant_nats_credentials(guarded_nats: EmbeddedNats) -> None:
    kunming_user, qujing_user = USERS[1], USERS[2]
    for tenant, user in [(KUNMING, kunming_user), (QUJING, qujing_user)]:
        settings = KernelSettings(
            nats_url=guarded_nats.url,
            nats_user=user.name,
            nats_password=user.password,
            token_secret="x" * 32,
            nats_inbox_prefix=inbox_prefix(tenant),
        )
        bus = Bus(settings, f"test-{tenant}")
        await bus.connect()
        await bus.ensure_stream(tenant)
        await bus.jetstream.publish(subject(tenant, "hazard", "reported"), tenant.encode())
        await bus.drain()

    errors: list[Exception] = []
    kunming = await connect_as(guarded_nats, kunming_user, errors)
    try:
        own = await kunming.jetstream().pull_subscribe(
            f"anjian.{KUNMING}.>", durable="own", stream=stream_name(KUNMING)
        )
        assert [m.data for m in await own.fetch(1, timeout=5)] == [KUNMING.encode()]

        snooper = await kunming.subscribe(f"anjian.{QUJING}.>")
        await kunming.flush()
        await asyncio.sleep(0.5)
        assert any("permissions violation" in str(e).lower() for e in errors), errors
        with pytest.raises(nats.errors.TimeoutError):
            await snooper.next_msg(timeout=1)

        with pytest.raises(
            (JetStreamError, nats.errors.TimeoutError, nats.errors.NoRespondersError)
        ):
            await kunming.jetstream().pull_subscribe(
                f"anjian.{QUJING}.>", durable="snoop", stream=stream_name(QUJING)
            )
    finally:
        await kunming.close()


async def test_a_tenant_cannot_publish_into_another_tenants_subjects(
    guarded_nats: EmbeddedNats,
) -> None:
    errors: list[Exception] = []
    kunming = await connect_as(guarded_nats, USERS[1], errors)
    try:
        await kunming.publish(f"anjian.{QUJING}.hazard.reported", b"forged")
        await kunming.flush()
        await asyncio.sleep(0.5)
        assert any("permissions violation" in str(e).lower() for e in errors), errors
    finally:
        await kunming.close()
