"""kopf handlers: a Prefecture object in, a provisioned tenant out, and back again on delete.

Every step is idempotent (server-side apply, `IF EXISTS` checks, Secrets that keep their
passwords), so kopf may retry a handler from the top after any failure.
"""

import asyncio
import base64
import logging
import secrets
from datetime import datetime
from typing import Any, NoReturn

import kopf
from lightkube import AsyncClient
from lightkube.core.exceptions import ApiError
from lightkube.resources.core_v1 import Namespace, Secret

from anjian_operator import database, manifests, services
from anjian_operator.config import OperatorSettings
from anjian_operator.nats_accounts import (
    AccountStore,
    FileAccountStore,
    NatsAdmin,
    NatsUnavailableError,
    SecretAccountStore,
    account_block,
    hash_password,
    password_matches,
)
from anjian_operator.person_keys import PersonKeySalts
from anjian_operator.prefecture import (
    GROUP,
    PLURAL,
    VERSION,
    InvalidSpecError,
    Prefecture,
    PrefectureSpec,
    Retention,
    TenantNames,
    parse_spec,
)
from anjian_operator.status import report

# The handlers register with kopf's default registry when this module is imported.
registry = kopf.get_default_registry()
logger = logging.getLogger(__name__)
FIELD_MANAGER = "anjian-operator"
FINALIZER = "anjian.io/tenant-cleanup"
READY_RECHECK_SECONDS = 5.0
PERSON_KEY_SALT_BYTES = 32


class Runtime:
    """What the handlers share: settings, the API client, the NATS admin, one accounts lock,
    the record of person-key salts."""

    def __init__(self, settings: OperatorSettings) -> None:
        """Build clients from `settings`; the API client reads KUBECONFIG or in-cluster config."""
        self.settings = settings
        self.client = AsyncClient(field_manager=FIELD_MANAGER)
        self.nats = NatsAdmin(
            settings.nats_url,
            settings.nats_system_user,
            settings.nats_system_password.get_secret_value(),
            settings.nats_reload_timeout_seconds,
        )
        self.accounts: AccountStore = (
            FileAccountStore(settings.nats_accounts_file)
            if settings.nats_accounts_file is not None
            else SecretAccountStore(
                self.client, settings.namespace, settings.nats_accounts_secret or ""
            )
        )
        # Every tenant's block lives in one aggregate: serialise read-modify-write cycles.
        self.accounts_lock = asyncio.Lock()
        self.person_key_salts = PersonKeySalts(
            self.client, settings.namespace, settings.person_key_salts_secret
        )


@kopf.on.login()
def login(**kwargs: Any) -> kopf.ConnectionInfo | None:
    """In a pod use the service account, elsewhere the kubeconfig."""
    return kopf.login_with_service_account(**kwargs) or kopf.login_with_kubeconfig(**kwargs)


@kopf.on.startup()
async def startup(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    """Tune kopf and build the clients the handlers share."""
    settings.persistence.finalizer = FINALIZER
    settings.posting.level = logging.INFO
    settings.networking.request_timeout = 30
    # `anjian-operator` has checked the settings already; `kopf run -m` has not.
    memo.runtime = Runtime(memo.get("settings") or OperatorSettings())


@kopf.on.cleanup()
async def cleanup(memo: kopf.Memo, **_: Any) -> None:
    """Close the API client's connections."""
    await memo.runtime.client.close()


def _secret_value(secret: Secret | None, key: str) -> str | None:
    if secret is None or not secret.data or key not in secret.data:
        return None
    return base64.b64decode(secret.data[key]).decode()


async def _read_secret(client: AsyncClient, namespace: str, name: str) -> Secret | None:
    try:
        return await client.get(Secret, name, namespace=namespace)
    except ApiError as error:
        if error.status.code == 404:
            return None
        raise


async def _fail(
    rt: Runtime, body: Any, reason: str, error: Exception, *, permanent: bool = False
) -> NoReturn:
    """Report a failed step as Degraded with its reason, post an event, and let kopf retry."""
    message = str(error)
    await report(
        rt.client,
        body,
        phase="Degraded",
        ready=False,
        reason=reason,
        message=message,
        degraded=True,
    )
    kopf.warn(body, reason=reason, message=message)
    if permanent:
        raise kopf.PermanentError(message) from error
    raise kopf.TemporaryError(message, delay=rt.settings.retry_delay_seconds) from error


async def _validated(rt: Runtime, body: Any, spec: Any, name: str) -> PrefectureSpec:
    """The parsed spec; an invalid or already claimed code fails for good, with a status."""
    try:
        parsed = parse_spec(dict(spec))
        # The oldest object with a code owns it, so a later duplicate never takes over.
        mine = (datetime.fromisoformat(body.meta["creationTimestamp"]), name)
        async for other in rt.client.list(Prefecture):
            meta = other.metadata
            if meta is None or meta.name == name or meta.creationTimestamp is None:
                continue
            same_code = (other.spec or {}).get("code") == parsed.code
            if same_code and (meta.creationTimestamp, meta.name) < mine:
                raise InvalidSpecError(f"spec.code {parsed.code} is already claimed by {meta.name}")
    except InvalidSpecError as error:
        await _fail(rt, body, "InvalidSpec", error, permanent=True)
    return parsed


async def _fence(rt: Runtime, names: TenantNames, spec: PrefectureSpec) -> None:
    """Namespace, quota, limits, network isolation, the shared token secret and the salt."""
    apply = rt.client.apply
    await apply(manifests.namespace(names, spec), force=True)
    binding = manifests.operator_binding(
        names, rt.settings.tenant_cluster_role, rt.settings.service_account, rt.settings.namespace
    )
    await apply(binding, force=True)
    await apply(manifests.resource_quota(names, spec), force=True)
    await apply(manifests.limit_range(names, spec), force=True)
    await apply(manifests.network_policy(names, rt.settings.infra_namespace_label), force=True)

    token = await _read_secret(rt.client, rt.settings.namespace, rt.settings.token_secret_name)
    value = _secret_value(token, "secret")
    if value is None:
        raise LookupError(
            f"Secret {rt.settings.namespace}/{rt.settings.token_secret_name} with key `secret` "
            "is missing"
        )
    await apply(manifests.secret(names, names.auth_key, {"secret": value}), force=True)
    await _keep_person_key_salt(rt, names)


async def _keep_person_key_salt(rt: Runtime, names: TenantNames) -> None:
    """The credit service's person-key salt: made once, then never changed, because every
    key of a banned individual in the tenant's database was made with it.

    The record in the operator's namespace decides and is written before the tenant's copy,
    so a retained database re-provisioned later gets its old salt back. Without a record, a
    salt found in the tenant namespace (restored by hand, or older than the record) is taken.
    """
    existing = await _read_secret(rt.client, names.namespace, names.person_key)
    found = _secret_value(existing, "salt")
    candidate = found or secrets.token_urlsafe(PERSON_KEY_SALT_BYTES)
    salt = await rt.person_key_salts.keep(names.code, candidate)
    if found is not None and found != salt:
        # Someone changed the tenant's copy by hand; the recorded salt made the stored keys.
        logger.warning(
            "tenant person-key salt differs from the recorded one; restoring the recorded one",
            extra={"event": "person_key_salt_restored", "tenant": names.code},
        )
    await rt.client.apply(manifests.secret(names, names.person_key, {"salt": salt}), force=True)


async def _provision_database(rt: Runtime, names: TenantNames, spec: PrefectureSpec) -> None:
    """The tenant's role and database; the password is made once and kept in a Secret."""
    existing = await _read_secret(rt.client, names.namespace, names.database_credentials)
    password = _secret_value(existing, "password") or database.generate_password()
    host = rt.settings.tenant_database_host
    # Store the password before the role exists: a crash in between only repeats ALTER ROLE.
    data = {
        "username": names.role,
        "password": password,
        "database": names.database,
        "host": host,
        "url": database.database_url(names, host, password),
    }
    await rt.client.apply(manifests.secret(names, names.database_credentials, data), force=True)
    await database.ensure_database(
        rt.settings.database_admin_url.get_secret_value(),
        names,
        password,
        spec.database.connection_limit,
    )


async def _provision_nats(rt: Runtime, names: TenantNames, spec: PrefectureSpec) -> None:
    """The tenant's account, user and stream; the config changes only when the spec does."""
    existing = await _read_secret(rt.client, names.namespace, names.nats_credentials)
    password = _secret_value(existing, "password") or database.generate_password()
    data = {"user": names.nats_user, "password": password, "url": rt.settings.tenant_nats_url}
    await rt.client.apply(manifests.secret(names, names.nats_credentials, data), force=True)

    async with rt.accounts_lock:
        blocks = await rt.accounts.read()
        old_hash = _block_hash(blocks.get(names.code, ""))
        hashed = old_hash if old_hash and password_matches(password, old_hash) else None
        block = account_block(names, hashed or hash_password(password), spec.nats)
        if blocks.get(names.code) != block:
            await rt.accounts.write(blocks | {names.code: block})
    await rt.nats.wait_for_credentials(names.nats_user, password)
    await rt.nats.ensure_stream(names, password, spec.nats)


def _block_hash(block: str) -> str | None:
    """The bcrypt hash inside an account block we wrote, to keep the config stable."""
    marker = '"password": "'
    start = block.find(marker)
    if start < 0:
        return None
    start += len(marker)
    return block[start : block.index('"', start)]


# Limitation: hand edits to a tenant's objects are undone only on the next change or resume.
@kopf.on.resume(GROUP, VERSION, PLURAL)
@kopf.on.create(GROUP, VERSION, PLURAL)
@kopf.on.update(GROUP, VERSION, PLURAL, field="spec")
async def provision(body: kopf.Body, spec: kopf.Spec, name: str, memo: kopf.Memo, **_: Any) -> None:
    """Provision (or bring up to date) everything the tenant needs, step by step."""
    rt: Runtime = memo.runtime
    parsed = await _validated(rt, body, spec, name)
    names = TenantNames(parsed.code)
    await report(
        rt.client,
        body,
        phase="Provisioning",
        ready=False,
        reason="Provisioning",
        message="provisioning the tenant",
        extra={"namespace": names.namespace},
    )

    steps = (
        ("NamespaceFailed", _fence),
        ("DatabaseUnavailable", _provision_database),
        ("NatsUnavailable", _provision_nats),
        ("DeployFailed", _deploy),
    )
    for reason, step in steps:
        try:
            await step(rt, names, parsed)
        except (
            ApiError,
            LookupError,
            database.DatabaseUnavailableError,
            NatsUnavailableError,
            services.HelmError,
        ) as error:
            await _fail(rt, body, reason, error)
    await report(
        rt.client,
        body,
        phase="Provisioning",
        ready=False,
        reason="ServicesStarting",
        message="waiting for the services to become available",
        extra={"namespace": names.namespace, "provisionedGeneration": body.meta.get("generation")},
    )
    kopf.info(body, reason="Provisioned", message=f"tenant {names.code} in {names.namespace}")


async def _deploy(rt: Runtime, names: TenantNames, spec: PrefectureSpec) -> None:
    await services.install(rt.settings, names, spec)


@kopf.on.resume(GROUP, VERSION, PLURAL)
@kopf.on.create(GROUP, VERSION, PLURAL)
@kopf.on.update(GROUP, VERSION, PLURAL, field="spec")
async def await_services(body: kopf.Body, spec: kopf.Spec, memo: kopf.Memo, **_: Any) -> None:
    """Ready once every Deployment of the tenant's release has all replicas available."""
    rt: Runtime = memo.runtime
    names = TenantNames(spec["code"])
    # kopf goes on to this handler even when `provision` failed and waits for a retry.
    if body.status.get("provisionedGeneration") != body.meta.get("generation"):
        raise kopf.TemporaryError("provisioning has not finished", delay=READY_RECHECK_SECONDS)
    waiting = await services.unready_deployments(rt.client, names)
    if waiting:
        message = f"waiting for {', '.join(waiting)}"
        await report(
            rt.client,
            body,
            phase="Provisioning",
            ready=False,
            reason="ServicesStarting",
            message=message,
            extra={"namespace": names.namespace},
        )
        raise kopf.TemporaryError(message, delay=READY_RECHECK_SECONDS)
    await report(
        rt.client,
        body,
        phase="Ready",
        ready=True,
        reason="Provisioned",
        message=f"tenant {names.code} is serving",
        extra={"namespace": names.namespace},
    )
    kopf.info(body, reason="Ready", message=f"tenant {names.code} is serving")


@kopf.on.delete(GROUP, VERSION, PLURAL)
async def retire(body: kopf.Body, spec: kopf.Spec, memo: kopf.Memo, **_: Any) -> None:
    """Take the tenant down; drop its data only when `spec.retention` is Delete."""
    rt: Runtime = memo.runtime
    # Only an object that passed validation (and so owns its code) has a namespace in its
    # status; deleting an invalid or duplicate object must not touch the real tenant.
    if not body.status.get("namespace"):
        return
    try:
        parsed = parse_spec(dict(spec))
    except InvalidSpecError:
        return
    names = TenantNames(parsed.code)
    drop = parsed.retention is Retention.DELETE
    await report(
        rt.client,
        body,
        phase="Deleting",
        ready=False,
        reason="Deleting",
        message="dropping the tenant's data" if drop else "keeping the tenant's data",
    )

    try:
        await _retire_all(rt, names, drop=drop)
    except (
        ApiError,
        database.DatabaseUnavailableError,
        NatsUnavailableError,
        services.HelmError,
    ) as error:
        await _fail(rt, body, "CleanupFailed", error)
    kopf.info(
        body,
        reason="Retired",
        message=f"tenant {names.code} removed; data {'dropped' if drop else 'kept'}",
    )


async def _retire_all(rt: Runtime, names: TenantNames, *, drop: bool) -> None:
    namespace_exists = True
    try:
        await rt.client.get(Namespace, names.namespace)
    except ApiError as error:
        if error.status.code != 404:
            raise
        namespace_exists = False
    if namespace_exists:
        await services.uninstall(rt.settings, names)

    nats_secret = await _read_secret(rt.client, names.namespace, names.nats_credentials)
    password = _secret_value(nats_secret, "password")
    async with rt.accounts_lock:
        blocks = await rt.accounts.read()
        if names.code in blocks:
            if drop and password:
                await rt.nats.delete_stream(names, password)
            # Limitation: with Retain the stream's files stay on disk, unreachable until re-created.
            del blocks[names.code]
            await rt.accounts.write(blocks)
            await rt.nats.reload()

    await database.retire_database(
        rt.settings.database_admin_url.get_secret_value(), names, drop=drop
    )
    if drop:
        # Only now: while the database lives, its person keys need this salt.
        await rt.person_key_salts.forget(names.code)
    if namespace_exists:
        await rt.client.delete(Namespace, names.namespace)
