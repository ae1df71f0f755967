"""The tenant's NATS account, credentials and JetStream stream.

Each tenant gets an account of its own in the server's configuration, so nothing it
publishes, stores or receives (inboxes included) is visible to another tenant; inside it,
one user may only use the tenant's subjects. The operator writes the account blocks to
a file (one machine) or a Secret the NATS pods mount (Kubernetes), then asks every server
to reload over the system account and checks the new credentials before going on.
"""

import asyncio
import json
import os
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path

import bcrypt
import nats
from lightkube import AsyncClient
from nats.aio.client import Client as NatsClient
from nats.errors import Error as NatsError
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import NotFoundError

from anjian_operator.prefecture import NatsSpec, TenantNames
from anjian_operator.quantity import to_bytes
from anjian_operator.shared_secret import SharedSecret

AGGREGATE = "accounts.conf"
DISCOVERY_SECONDS = 0.5
SECONDS_PER_DAY = 86_400
DUPLICATE_WINDOW_SECONDS = 120.0
CONNECT_TIMEOUT_SECONDS = 5


async def _ignore(error: Exception) -> None:
    """Connection errors surface as exceptions from connect; no need to log each attempt."""


class NatsUnavailableError(RuntimeError):
    """The NATS servers could not be reached, refused a reload, or not yet took new accounts."""


def hash_password(password: str) -> str:
    """bcrypt hash for the server config, so the config never holds a tenant's password."""
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=11)).decode()


def password_matches(password: str, hashed: str) -> bool:
    """Whether `hashed` is a bcrypt hash of `password` (reused so the config stays stable)."""
    try:
        return bcrypt.checkpw(password.encode(), hashed.encode())
    except ValueError:
        return False


def account_block(names: TenantNames, password_hash: str, spec: NatsSpec) -> str:
    """One `accounts { ... }` entry: JetStream limits and a user bound to the tenant subjects."""
    permissions = {
        "publish": {"allow": [names.subjects, "$JS.API.>", "$JS.ACK.>", "_INBOX.>"]},
        "subscribe": {"allow": [names.subjects, "_INBOX.>"]},
    }
    user = {"user": names.nats_user, "password": password_hash, "permissions": permissions}
    # JSON is valid NATS configuration syntax and quotes every string safely.
    return (
        f"{names.nats_account}: {{\n"
        f"  jetstream: {{max_file: {to_bytes(spec.max_storage)}, "
        f"max_mem: {to_bytes(spec.max_memory)}}}\n"
        f"  users: [{json.dumps(user)}]\n"
        f"}}\n"
    )


class AccountStore(ABC):
    """Where the per-tenant account blocks live; the NATS config includes the aggregate."""

    @abstractmethod
    async def read(self) -> dict[str, str]:
        """Tenant code → account block, as last written."""

    @abstractmethod
    async def write(self, blocks: Mapping[str, str]) -> None:
        """Replace all blocks and the aggregate the NATS config includes."""

    @staticmethod
    def aggregate(blocks: Mapping[str, str]) -> str:
        """The included file: every tenant block, in a stable order so reloads are no-ops."""
        return "".join(blocks[code] for code in sorted(blocks))


class FileAccountStore(AccountStore):
    """Blocks as files in `<aggregate>.d/`, aggregate written atomically beside them."""

    def __init__(self, path: Path) -> None:
        """Store whose aggregate is `path`, the file the NATS config includes."""
        self.path = path
        self.blocks_dir = path.with_name(path.name + ".d")

    async def read(self) -> dict[str, str]:
        """Tenant code → account block."""
        if not self.blocks_dir.exists():
            return {}
        return {p.stem: p.read_text() for p in sorted(self.blocks_dir.glob("*.conf"))}

    async def write(self, blocks: Mapping[str, str]) -> None:
        """Write the blocks, drop stale ones, then swap in the aggregate in one rename."""
        self.blocks_dir.mkdir(parents=True, exist_ok=True)
        for code, block in blocks.items():
            (self.blocks_dir / f"{code}.conf").write_text(block)
        for stale in self.blocks_dir.glob("*.conf"):
            if stale.stem not in blocks:
                stale.unlink()
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".accounts-")
        with os.fdopen(fd, "w") as handle:
            handle.write(self.aggregate(blocks))
        os.chmod(tmp, 0o640)
        os.replace(tmp, self.path)


class SecretAccountStore(AccountStore):
    """Blocks as keys `<code>.conf` of a Secret the NATS pods mount, plus the aggregate key."""

    def __init__(self, client: AsyncClient, namespace: str, name: str) -> None:
        """Store in Secret `namespace/name`."""
        self.secret = SharedSecret(client, namespace, name)

    async def read(self) -> dict[str, str]:
        """Tenant code → account block."""
        return {
            key.removesuffix(".conf"): text
            for key, text in (await self.secret.read()).items()
            if key.endswith(".conf") and key != AGGREGATE
        }

    async def write(self, blocks: Mapping[str, str]) -> None:
        """Apply the Secret with all blocks; keys of removed tenants disappear with the apply."""
        files = {f"{code}.conf": block for code, block in blocks.items()}
        files[AGGREGATE] = self.aggregate(blocks)
        await self.secret.apply(files)


class NatsAdmin:
    """Reloads the NATS servers and manages one tenant's stream."""

    def __init__(self, url: str, system_user: str, system_password: str, timeout: float) -> None:
        """Admin for the servers behind `url`, reached as a system-account user."""
        self.url, self.timeout = url, timeout
        self._system = (system_user, system_password)

    async def _connect(self, user: str, password: str) -> NatsClient:
        try:
            # nats-py treats 0 attempts as "forever"; 1 means one retry, then give up.
            async with asyncio.timeout(CONNECT_TIMEOUT_SECONDS * 3):
                return await nats.connect(
                    self.url,
                    user=user,
                    password=password,
                    allow_reconnect=False,
                    max_reconnect_attempts=1,
                    reconnect_time_wait=0.5,
                    connect_timeout=CONNECT_TIMEOUT_SECONDS,
                    error_cb=_ignore,
                )
        except (NatsError, OSError, TimeoutError) as error:
            raise NatsUnavailableError(f"cannot connect to NATS as {user}: {error}") from error

    async def reload(self) -> int:
        """Ask every server in the cluster to re-read its config; return how many did."""
        nc = await self._connect(*self._system)
        try:
            inbox = nc.new_inbox()
            sub = await nc.subscribe(inbox)
            await nc.publish("$SYS.REQ.SERVER.PING", b"", reply=inbox)
            server_ids: set[str] = set()
            # Every server answers the ping once; collect answers for a short window.
            while True:
                try:
                    msg = await sub.next_msg(timeout=DISCOVERY_SECONDS)
                except TimeoutError:
                    break
                server_ids.add(json.loads(msg.data)["server"]["id"])
            if not server_ids:
                raise NatsUnavailableError("no NATS server answered the system account's ping")
            for server_id in sorted(server_ids):
                reply = await nc.request(f"$SYS.REQ.SERVER.{server_id}.RELOAD", b"", timeout=5)
                error = json.loads(reply.data).get("error")
                if error:
                    raise NatsUnavailableError(f"server {server_id} refused to reload: {error}")
            return len(server_ids)
        except (NatsError, TimeoutError) as error:
            raise NatsUnavailableError(f"NATS reload failed: {error}") from error
        finally:
            await nc.close()

    async def wait_for_credentials(self, user: str, password: str) -> None:
        """Reload until the tenant's user can log in (a mounted Secret takes a while)."""
        deadline = asyncio.get_running_loop().time() + self.timeout
        while True:
            await self.reload()
            try:
                nc = await self._connect(user, password)
            except NatsUnavailableError:
                if asyncio.get_running_loop().time() > deadline:
                    raise
                await asyncio.sleep(2)
                continue
            await nc.close()
            return

    async def wait_for_revocation(self, user: str, password: str) -> None:
        """Reload until the user can no longer log in."""
        deadline = asyncio.get_running_loop().time() + self.timeout
        while True:
            await self.reload()
            try:
                nc = await self._connect(user, password)
            except NatsUnavailableError:
                return
            await nc.close()
            if asyncio.get_running_loop().time() > deadline:
                raise NatsUnavailableError(f"{user} can still log in after reload")
            await asyncio.sleep(2)

    async def ensure_stream(
        self, names: TenantNames, password: str, spec: NatsSpec, *, replicas: int = 1
    ) -> None:
        """Create the tenant's stream, or bring an existing one to the wanted limits."""
        config = StreamConfig(
            name=names.stream,
            subjects=[names.subjects],
            storage=StorageType.FILE,
            max_age=float(spec.max_age_days * SECONDS_PER_DAY),
            max_bytes=to_bytes(spec.max_storage),
            duplicate_window=DUPLICATE_WINDOW_SECONDS,
            num_replicas=replicas,
        )
        nc = await self._connect(names.nats_user, password)
        try:
            js = nc.jetstream()
            try:
                await js.stream_info(names.stream)
            except NotFoundError:
                await js.add_stream(config)
            else:
                await js.update_stream(config)
        except (NatsError, TimeoutError) as error:
            raise NatsUnavailableError(
                f"cannot provision stream {names.stream}: {error}"
            ) from error
        finally:
            await nc.close()

    async def delete_stream(self, names: TenantNames, password: str) -> None:
        """Remove the tenant's stream and its messages (retention policy Delete only)."""
        nc = await self._connect(names.nats_user, password)
        try:
            await nc.jetstream().delete_stream(names.stream)
        except NotFoundError:
            return
        except (NatsError, TimeoutError) as error:
            raise NatsUnavailableError(f"cannot delete stream {names.stream}: {error}") from error
        finally:
            await nc.close()
