"""The operator against a real API server, PostgreSQL and NATS: provisioning, failures,
retries and clean-up, object by object."""

import asyncio
import base64
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import asyncpg
import nats
import pytest
from kopf.testing import KopfRunner
from lightkube import AsyncClient, KubeConfig
from lightkube.core.exceptions import ApiError
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.core_v1 import Event, LimitRange, Namespace, ResourceQuota, Secret
from lightkube.resources.networking_v1 import NetworkPolicy
from lightkube.resources.rbac_authorization_v1 import RoleBinding
from lightkube.types import PatchType
from nats.js.errors import NotFoundError
from operator_env import (
    NATS_SYSTEM_PASSWORD,
    NATS_SYSTEM_USER,
    SYSTEM_NAMESPACE,
    TOKEN_SECRET,
    AccountsNats,
    Cluster,
)

from anjian_cli.embedded import EmbeddedPostgres, free_port
from anjian_operator.nats_accounts import (
    NatsAdmin,
    SecretAccountStore,
    account_block,
    hash_password,
)
from anjian_operator.person_keys import PersonKeySalts
from anjian_operator.prefecture import NatsSpec, Prefecture, TenantNames

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

WAIT_SECONDS = 120.0
SALTS_SECRET = "anjian-person-keys"
T = TypeVar("T")


@pytest.fixture
async def kube(cluster: Cluster, operator: KopfRunner) -> AsyncIterator[AsyncClient]:
    """An admin API client; requesting it starts the operator."""
    client = AsyncClient(config=KubeConfig.from_file(cluster.kubeconfig))
    yield client
    await client.close()


async def eventually(
    probe: Callable[[], Awaitable[T | None]], what: str, timeout: float = WAIT_SECONDS
) -> T:
    """Poll until `probe` returns something truthy; fail naming `what` otherwise."""
    deadline = asyncio.get_running_loop().time() + timeout
    last: T | None = None
    while asyncio.get_running_loop().time() < deadline:
        last = await probe()
        if last:
            return last
        await asyncio.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}; last seen {last!r}")


def condition(obj: Any, kind: str) -> dict[str, Any]:
    """One status condition of a Prefecture (empty if not reported yet)."""
    status = obj.get("status") or {}
    return next((c for c in status.get("conditions") or [] if c["type"] == kind), {})


async def create(kube: AsyncClient, name: str, **spec: Any) -> None:
    """Create a Prefecture object."""
    body = Prefecture(metadata={"name": name}, spec=spec)
    await kube.create(body)


async def wait_condition(
    kube: AsyncClient, name: str, kind: str, status: str, reason: str | None = None
) -> dict[str, Any]:
    """Wait until a condition has the given status (and reason) and return the object."""

    async def probe() -> dict[str, Any] | None:
        obj = (await kube.get(Prefecture, name)).to_dict()
        found = condition(obj, kind)
        ok = found.get("status") == status and (reason is None or found.get("reason") == reason)
        return obj if ok else None

    return await eventually(probe, f"{name}: {kind}={status} ({reason})")


async def secret_data(kube: AsyncClient, namespace: str, name: str) -> dict[str, str]:
    """A Secret's data, decoded."""
    secret = await kube.get(Secret, name, namespace=namespace)
    return {k: base64.b64decode(v).decode() for k, v in (secret.data or {}).items()}


async def gone(kube: AsyncClient, resource: Any, name: str) -> bool:
    """Whether an object no longer exists."""
    try:
        await kube.get(resource, name)
    except ApiError as error:
        return error.status.code == 404
    return False


async def recorded_salts(kube: AsyncClient) -> dict[str, str]:
    """The operator's record of person-key salts (empty before the first tenant)."""
    try:
        return await secret_data(kube, SYSTEM_NAMESPACE, SALTS_SECRET)
    except ApiError as error:
        if error.status.code == 404:
            return {}
        raise


async def test_admission_rejects_codes_outside_yunnan(kube: AsyncClient) -> None:
    with pytest.raises(ApiError) as caught:
        await create(kube, "beijing", code="110100")
    assert caught.value.status.code == 422
    assert "spec.code" in str(caught.value)


async def test_provisions_every_object_of_a_tenant(
    kube: AsyncClient, postgres: EmbeddedPostgres, nats_accounts: AccountsNats
) -> None:
    await create(kube, "kunming", code="530100", displayName="昆明市", quota={"pods": 30})
    obj = await wait_condition(kube, "kunming", "Ready", "True", "Provisioned")
    assert obj["status"]["phase"] == "Ready"
    assert condition(obj, "Degraded")["status"] == "False"
    ns = "anjian-530100"
    assert obj["status"]["namespace"] == ns

    namespace = await kube.get(Namespace, ns)
    assert namespace.metadata.labels["anjian.io/tenant"] == "530100"
    assert namespace.metadata.labels["pod-security.kubernetes.io/enforce"] == "restricted"
    quota = await kube.get(ResourceQuota, "anjian-tenant", namespace=ns)
    assert quota.spec.hard["pods"] == "30"
    limits = await kube.get(LimitRange, "anjian-tenant", namespace=ns)
    assert limits.spec.limits[0].default["memory"] == "512Mi"
    policy = await kube.get(NetworkPolicy, "anjian-tenant-isolation", namespace=ns)
    assert set(policy.spec.policyTypes) == {"Ingress", "Egress"}
    binding = await kube.get(RoleBinding, "anjian-operator", namespace=ns)
    assert binding.roleRef.name == "anjian-operator-tenant"

    assert (await secret_data(kube, ns, "anjian-token"))["secret"] == TOKEN_SECRET
    db = await secret_data(kube, ns, "anjian-database")
    assert db["username"] == "anjian_530100"
    assert db["url"].startswith("postgresql+asyncpg://anjian_530100:")
    assert db["url"].endswith("/anjian_530100")

    conn = await asyncpg.connect(postgres.dsn)
    try:
        owner = await conn.fetchval(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'anjian_530100'"
        )
        assert owner == "anjian_530100"
    finally:
        await conn.close()

    creds = await secret_data(kube, ns, "anjian-nats")
    assert creds["user"] == "anjian-530100"
    nc = await nats.connect(nats_accounts.url, user=creds["user"], password=creds["password"])
    try:
        info = await nc.jetstream().stream_info("ANJIAN_530100")
        assert info.config.subjects == ["anjian.530100.>"]
        ack = await nc.jetstream().publish("anjian.530100.hazard.reported", b"{}")
        assert ack.stream == "ANJIAN_530100"
    finally:
        await nc.close()
    assert "anjian-530100" in nats_accounts.accounts_file.read_text()
    assert creds["password"] not in nats_accounts.accounts_file.read_text()

    deployments = [d async for d in kube.list(Deployment, namespace=ns)]
    names = sorted(d.metadata.name for d in deployments)
    assert names == ["anjian-credit", "anjian-gateway", "anjian-hazard"]
    hazard = next(d for d in deployments if d.metadata.name == "anjian-hazard")
    env = {e.name: e for e in hazard.spec.template.spec.containers[0].env}
    assert env["ANJIAN_TENANTS"].value == "530100"
    assert env["ANJIAN_DATABASE_URL"].valueFrom.secretKeyRef.name == "anjian-database"
    assert env["ANJIAN_DATABASE_CREATE"].value == "false"
    assert "ANJIAN_PERSON_KEY_SALT" not in env

    # Credit starts only with its salt, which must come from a Secret that is really there.
    credit = next(d for d in deployments if d.metadata.name == "anjian-credit")
    env = {e.name: e for e in credit.spec.template.spec.containers[0].env}
    salt_ref = env["ANJIAN_PERSON_KEY_SALT"].valueFrom.secretKeyRef
    assert (salt_ref.name, salt_ref.key) == ("anjian-person-key", "salt")
    salt = (await secret_data(kube, ns, salt_ref.name))[salt_ref.key]
    assert len(salt) >= 16
    assert (await recorded_salts(kube))["530100"] == salt
    gateway = next(d for d in deployments if d.metadata.name == "anjian-gateway")
    env = {e.name: e for e in gateway.spec.template.spec.containers[0].env}
    tokens_ref = env["ANJIAN_PUBLIC_TOKENS"].valueFrom.secretKeyRef
    assert (tokens_ref.name, tokens_ref.optional) == ("anjian-public-tokens", True)

    reasons = {
        e.reason
        async for e in kube.list(
            Event, namespace="default", fields={"involvedObject.name": "kunming"}
        )
    }
    assert {"Provisioned", "Ready"} <= reasons


async def test_tenants_cannot_reach_each_other(
    kube: AsyncClient, postgres: EmbeddedPostgres, nats_accounts: AccountsNats
) -> None:
    await create(kube, "qujing", code="530300", services=["hazard"])
    await wait_condition(kube, "qujing", "Ready", "True")
    await wait_condition(kube, "kunming", "Ready", "True")
    qujing = await secret_data(kube, "anjian-530300", "anjian-nats")
    qujing_db = await secret_data(kube, "anjian-530300", "anjian-database")

    # PostgreSQL: Qujing's role may not connect to Kunming's database.
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await asyncpg.connect(
            host=postgres.host, port=postgres.port, user=qujing_db["username"],
            password=qujing_db["password"], database="anjian_530100",
        )  # fmt: skip

    # NATS: Kunming's stream does not exist in Qujing's account, and Qujing's user may
    # not publish outside its own subjects.
    errors: list[Exception] = []

    async def record(error: Exception) -> None:
        errors.append(error)

    nc = await nats.connect(
        nats_accounts.url, user=qujing["user"], password=qujing["password"], error_cb=record
    )
    try:
        with pytest.raises(NotFoundError):
            await nc.jetstream().stream_info("ANJIAN_530100")
        await nc.publish("anjian.530100.hazard.reported", b"{}")
        await nc.flush()

        async def violated() -> bool:
            return bool(errors)

        await eventually(violated, "a permissions violation")
        assert "permissions violation" in str(errors[0]).lower()
    finally:
        await nc.close()


async def test_claimed_code_is_reported_not_provisioned(kube: AsyncClient) -> None:
    await create(kube, "kunming-again", code="530100")
    obj = await wait_condition(kube, "kunming-again", "Degraded", "True", "InvalidSpec")
    assert "already claimed by kunming" in condition(obj, "Degraded")["message"]
    await kube.delete(Prefecture, "kunming-again")
    await eventually(lambda: gone(kube, Prefecture, "kunming-again"), "kunming-again deleted")


async def test_code_is_immutable(kube: AsyncClient) -> None:
    with pytest.raises(ApiError) as caught:
        await kube.patch(
            Prefecture, "kunming", {"spec": {"code": "530300"}}, patch_type=PatchType.MERGE
        )
    assert caught.value.status.code == 422
    assert "code is immutable" in str(caught.value)


async def test_a_service_the_chart_lacks_is_reported(kube: AsyncClient) -> None:
    await create(kube, "zhaotong", code="530600", services=["elevator"], retention="Delete")
    obj = await wait_condition(kube, "zhaotong", "Degraded", "True", "DeployFailed")
    assert "no component elevator" in condition(obj, "Degraded")["message"]
    await kube.delete(Prefecture, "zhaotong")
    await eventually(lambda: gone(kube, Prefecture, "zhaotong"), "zhaotong deleted")


async def test_updates_are_idempotent(kube: AsyncClient, nats_accounts: AccountsNats) -> None:
    await wait_condition(kube, "kunming", "Ready", "True")
    before_db = await secret_data(kube, "anjian-530100", "anjian-database")
    before_salt = await kube.get(Secret, "anjian-person-key", namespace="anjian-530100")
    before_accounts = nats_accounts.accounts_file.read_text()

    patch = {"spec": {"quota": {"pods": 40}}}
    await kube.patch(Prefecture, "kunming", patch, patch_type=PatchType.MERGE)

    async def quota_applied() -> bool:
        quota = await kube.get(ResourceQuota, "anjian-tenant", namespace="anjian-530100")
        return quota.spec.hard["pods"] == "40"

    await eventually(quota_applied, "the new pod quota")
    await wait_condition(kube, "kunming", "Ready", "True")
    assert await secret_data(kube, "anjian-530100", "anjian-database") == before_db
    # A new salt would orphan every person key in the tenant's database: not even a write.
    after_salt = await kube.get(Secret, "anjian-person-key", namespace="anjian-530100")
    assert after_salt.data == before_salt.data
    assert after_salt.metadata.resourceVersion == before_salt.metadata.resourceVersion
    # The same password keeps the same hash: no needless NATS reload, no dropped clients.
    assert nats_accounts.accounts_file.read_text() == before_accounts


async def test_a_restored_salt_is_kept(kube: AsyncClient) -> None:
    # Re-creating a tenant whose data was retained: its old salt is restored into the
    # namespace before the Prefecture exists, and the operator must take it as it is.
    ns, salt = "anjian-530900", "restored-salt-0123456789"
    await kube.create(Namespace(metadata=ObjectMeta(name=ns)))
    meta = ObjectMeta(name="anjian-person-key", namespace=ns)
    await kube.create(Secret(metadata=meta, stringData={"salt": salt}))

    await create(kube, "lincang", code="530900", services=["credit"], retention="Delete")
    await wait_condition(kube, "lincang", "Ready", "True")
    assert await secret_data(kube, ns, "anjian-person-key") == {"salt": salt}
    assert (await recorded_salts(kube))["530900"] == salt
    credit = await kube.get(Deployment, "anjian-credit", namespace=ns)
    env = {e.name: e for e in credit.spec.template.spec.containers[0].env}
    assert env["ANJIAN_PERSON_KEY_SALT"].valueFrom.secretKeyRef.name == "anjian-person-key"
    await kube.delete(Prefecture, "lincang")
    await eventually(lambda: gone(kube, Prefecture, "lincang"), "lincang deleted")
    assert "530900" not in await recorded_salts(kube)


async def test_a_retained_tenant_gets_its_salt_back(
    kube: AsyncClient, postgres: EmbeddedPostgres
) -> None:
    # The database outlives the namespace; re-created, the tenant must hash ID numbers with
    # the same salt, or a banned person's stored key no longer matches and they pass.
    ns = "anjian-532300"
    await create(kube, "chuxiong", code="532300", services=["credit"], retention="Retain")
    await wait_condition(kube, "chuxiong", "Ready", "True")
    salt = (await secret_data(kube, ns, "anjian-person-key"))["salt"]

    await kube.delete(Prefecture, "chuxiong")
    await eventually(lambda: gone(kube, Prefecture, "chuxiong"), "chuxiong deleted")
    await eventually(lambda: gone(kube, Namespace, ns), "the tenant namespace to go")
    assert await _database_exists(postgres, "anjian_532300") == (True, False)
    assert (await recorded_salts(kube))["532300"] == salt

    await create(kube, "chuxiong", code="532300", services=["credit"], retention="Delete")
    await wait_condition(kube, "chuxiong", "Ready", "True")
    assert await secret_data(kube, ns, "anjian-person-key") == {"salt": salt}

    await kube.delete(Prefecture, "chuxiong")
    await eventually(lambda: gone(kube, Prefecture, "chuxiong"), "chuxiong deleted again")
    assert await _database_exists(postgres, "anjian_532300") == (False, None)
    assert "532300" not in await recorded_salts(kube)


async def test_tenants_provisioned_together_keep_both_salts(kube: AsyncClient) -> None:
    tenants = {"dali": "532900", "honghe": "532500"}
    await asyncio.gather(
        *(
            create(kube, name, code=code, services=["credit"], retention="Delete")
            for name, code in tenants.items()
        )
    )
    await asyncio.gather(*(wait_condition(kube, name, "Ready", "True") for name in tenants))
    recorded = await recorded_salts(kube)
    for code in tenants.values():
        copy = await secret_data(kube, f"anjian-{code}", "anjian-person-key")
        assert recorded[code] == copy["salt"]
    assert recorded["532900"] != recorded["532500"]

    await asyncio.gather(*(kube.delete(Prefecture, name) for name in tenants))
    for name in tenants:
        await eventually(lambda name=name: gone(kube, Prefecture, name), f"{name} deleted")
    assert not set(tenants.values()) & set(await recorded_salts(kube))


async def test_concurrent_salt_records_lose_nothing(kube: AsyncClient) -> None:
    # Many reconciles at once, with the operator's own (least-privilege) credentials: every
    # write that lost a race is retried on what the winner wrote, and a salt once recorded
    # is never replaced, not even by a racing candidate for the same code.
    operator_client = AsyncClient(config=KubeConfig.from_file(os.environ["KUBECONFIG"]))
    salts = PersonKeySalts(operator_client, SYSTEM_NAMESPACE, SALTS_SECRET)
    codes = [f"99{n:04d}" for n in range(12)]
    try:
        kept = await asyncio.gather(*(salts.keep(code, f"salt-of-{code}") for code in codes))
        assert kept == [f"salt-of-{code}" for code in codes]
        again = await asyncio.gather(*(salts.keep(code, "another-salt") for code in codes))
        assert again == kept
        recorded = await recorded_salts(kube)
        assert {code: recorded[code] for code in codes} == dict(zip(codes, kept, strict=True))

        await asyncio.gather(*(salts.forget(code) for code in codes))
        assert not set(codes) & set(await recorded_salts(kube))
    finally:
        await operator_client.close()


async def test_recovers_when_the_database_comes_back(
    kube: AsyncClient, postgres: EmbeddedPostgres
) -> None:
    postgres.stop()
    try:
        await create(kube, "yuxi", code="530400", retention="Delete", services=["hazard"])
        obj = await wait_condition(kube, "yuxi", "Degraded", "True", "DatabaseUnavailable")
        assert condition(obj, "Ready")["status"] == "False"
    finally:
        postgres.start()
    obj = await wait_condition(kube, "yuxi", "Ready", "True")
    assert condition(obj, "Degraded")["status"] == "False"


async def test_recovers_when_nats_comes_back(
    kube: AsyncClient, nats_accounts: AccountsNats
) -> None:
    nats_accounts.stop()
    try:
        await create(kube, "baoshan", code="530500", services=["hazard"])
        await wait_condition(kube, "baoshan", "Degraded", "True", "NatsUnavailable")
    finally:
        nats_accounts.start()
    await wait_condition(kube, "baoshan", "Ready", "True")
    creds = await secret_data(kube, "anjian-530500", "anjian-nats")
    nc = await nats.connect(nats_accounts.url, user=creds["user"], password=creds["password"])
    try:
        assert (await nc.jetstream().stream_info("ANJIAN_530500")).config.name == "ANJIAN_530500"
    finally:
        await nc.close()


async def _database_exists(postgres: EmbeddedPostgres, name: str) -> tuple[bool, bool | None]:
    conn = await asyncpg.connect(postgres.dsn)
    try:
        db = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        login = await conn.fetchval("SELECT rolcanlogin FROM pg_roles WHERE rolname = $1", name)
        return bool(db), login
    finally:
        await conn.close()


async def test_delete_keeps_data_by_default(
    kube: AsyncClient, postgres: EmbeddedPostgres, nats_accounts: AccountsNats
) -> None:
    await wait_condition(kube, "qujing", "Ready", "True")
    await kube.delete(Prefecture, "qujing")
    await eventually(lambda: gone(kube, Prefecture, "qujing"), "qujing's finalizer to finish")
    assert await _database_exists(postgres, "anjian_530300") == (True, False)
    assert "anjian-530300" not in nats_accounts.accounts_file.read_text()
    assert "530300" in await recorded_salts(kube)

    async def namespace_leaving() -> bool:
        try:
            ns = await kube.get(Namespace, "anjian-530300")
        except ApiError as error:
            return error.status.code == 404
        return ns.metadata.deletionTimestamp is not None

    await eventually(namespace_leaving, "the tenant namespace to be deleted")


async def test_delete_with_retention_delete_drops_data(
    kube: AsyncClient, postgres: EmbeddedPostgres, nats_accounts: AccountsNats
) -> None:
    await wait_condition(kube, "yuxi", "Ready", "True")
    store = nats_accounts.directory / "js" / "jetstream" / "ANJIAN_530400" / "streams"
    assert (store / "ANJIAN_530400").exists()
    assert "530400" in await recorded_salts(kube)
    await kube.delete(Prefecture, "yuxi")
    await eventually(lambda: gone(kube, Prefecture, "yuxi"), "yuxi's finalizer to finish")
    assert await _database_exists(postgres, "anjian_530400") == (False, None)
    assert "530400" not in await recorded_salts(kube)
    assert not (store / "ANJIAN_530400").exists()


def test_accounts_file_is_valid_json_free_of_secrets(nats_accounts: AccountsNats) -> None:
    # Every user line is JSON the operator wrote; none carries a plain password.
    for line in nats_accounts.accounts_file.read_text().splitlines():
        if line.strip().startswith("users:"):
            user = json.loads(line.strip().removeprefix("users: ")[1:-1])
            assert user["password"].startswith("$2")


async def test_accounts_secret_store_as_the_operator(kube: AsyncClient) -> None:
    # The Kubernetes store, with the operator's own (least-privilege) credentials.
    operator_client = AsyncClient(config=KubeConfig.from_file(os.environ["KUBECONFIG"]))
    store = SecretAccountStore(operator_client, SYSTEM_NAMESPACE, "anjian-nats-accounts")
    try:
        assert await store.read() == {}
        await store.write({"530100": "A: {}\n", "530300": "B: {}\n"})
        assert await store.read() == {"530100": "A: {}\n", "530300": "B: {}\n"}
        await store.write({"530100": "A: {}\n"})
        assert await store.read() == {"530100": "A: {}\n"}
    finally:
        await operator_client.close()
    data = await secret_data(kube, SYSTEM_NAMESPACE, "anjian-nats-accounts")
    assert data == {"530100.conf": "A: {}\n", "accounts.conf": "A: {}\n"}


async def test_secret_mode_reaches_nats_once_the_kubelet_syncs(
    kube: AsyncClient, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # In Kubernetes the accounts reach nats-server through a mounted Secret that the kubelet
    # refreshes some time later; a task plays the kubelet, copying the Secret after 3 s.
    server = AccountsNats(tmp_path_factory.mktemp("nats-secret-mode"), free_port(), free_port())
    server.start()
    operator_client = AsyncClient(config=KubeConfig.from_file(os.environ["KUBECONFIG"]))
    store = SecretAccountStore(operator_client, SYSTEM_NAMESPACE, "anjian-nats-accounts")
    admin = NatsAdmin(server.url, NATS_SYSTEM_USER, NATS_SYSTEM_PASSWORD, timeout=30)
    names, password = TenantNames("530700"), "lijiang-password"

    async def kubelet() -> None:
        await asyncio.sleep(3)
        data = await secret_data(kube, SYSTEM_NAMESPACE, "anjian-nats-accounts")
        server.accounts_file.write_text(data["accounts.conf"])

    try:
        block = account_block(names, hash_password(password), NatsSpec())
        await store.write({names.code: block})
        sync = asyncio.create_task(kubelet())
        await admin.wait_for_credentials(names.nats_user, password)
        await sync
        await admin.ensure_stream(names, password, NatsSpec())
        nc = await nats.connect(server.url, user=names.nats_user, password=password)
        try:
            assert (await nc.jetstream().stream_info("ANJIAN_530700")).config.subjects == [
                "anjian.530700.>"
            ]
        finally:
            await nc.close()
    finally:
        await operator_client.close()
        server.stop()
