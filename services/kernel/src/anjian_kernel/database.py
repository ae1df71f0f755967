"""One database per tenant: engines created on first use and cached, and migrations.

The tenant's database is named by the settings' URL template (`{tenant}` replaced).
Each service keeps its tables in its own schema inside that database, migrated by
its own Alembic scripts.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from alembic import command
from alembic.config import Config
from sqlalchemy import ClauseElement, Connection, text
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.sql.compiler import SQLCompiler

from anjian_kernel.logs import get_logger
from anjian_kernel.settings import KernelSettings
from anjian_kernel.tables import OUTBOX_CHANNEL, OUTBOX_PENDING

log = get_logger(__name__)

_DIALECT = asyncpg_dialect()  # type: ignore[no-untyped-call]


@dataclass(frozen=True)
class DriverStatement:
    """A Core statement compiled once for asyncpg, to run on the driver without SQLAlchemy.

    For hot paths: SQLAlchemy's execution (greenlet hop, cache lookup, parameter and
    result processing) costs more than the driver's own work for a short statement.
    """

    sql: str
    slots: tuple[tuple[str, Any, Callable[[Any], Any] | None], ...]
    """Per `$n`: the parameter's name, its value when the statement fixes it, its converter."""

    @classmethod
    def compile(cls, statement: ClauseElement) -> "DriverStatement":
        """Compile `statement` for asyncpg, keeping each parameter's type conversion."""
        compiled = statement.compile(dialect=_DIALECT)
        if not isinstance(compiled, SQLCompiler) or compiled.positiontup is None:
            raise TypeError("not a statement with positional parameters")
        slots = []
        for name in compiled.positiontup:
            bind = compiled.binds[name]
            convert = bind.type.dialect_impl(_DIALECT).bind_processor(_DIALECT)
            slots.append((name, None if bind.required else bind.value, convert))
        return cls(compiled.string, tuple(slots))

    def arguments(self, values: Mapping[str, Any]) -> list[Any]:
        """The positional arguments for `values` (named as the statement's parameters)."""
        arguments = []
        for name, fixed, convert in self.slots:
            value = values.get(name, fixed)
            arguments.append(convert(value) if convert is not None and value is not None else value)
        return arguments


class OutboxSignal:
    """How committed events reach a tenant's relay.

    While this process's relay leads the tenant, a commit wakes it in-process. Otherwise
    the commit is announced with NOTIFY after it, for the relay leading elsewhere. NOTIFY
    inside the writing transaction would cost every writer a database-wide lock at commit,
    so concurrent commits could no longer share a disk flush.
    """

    def __init__(self) -> None:
        self.leading = False
        self.wake = asyncio.Event()


class TenantDatabases:
    """The engines of the tenants one service serves, one per tenant database."""

    def __init__(self, settings: KernelSettings, schema: str, migrations: Path) -> None:
        self._settings = settings
        self.schema = schema
        self._migrations = migrations
        self._engines: dict[str, AsyncEngine] = {}
        self._signals: dict[str, OutboxSignal] = {}

    def outbox_signal(self, tenant: str) -> OutboxSignal:
        """The signal between this process's writers and its relay for `tenant`."""
        return self._signals.setdefault(tenant, OutboxSignal())

    @contextlib.asynccontextmanager
    async def begin(self, tenant: str) -> AsyncIterator[AsyncConnection]:
        """A transaction on the tenant's database; its outbox events reach the relay on commit."""
        enqueued = False
        async with self.engine(tenant).connect() as connection:
            try:
                async with connection.begin():
                    yield connection
            finally:
                enqueued = bool(connection.info.pop(OUTBOX_PENDING, False))
        if enqueued:
            await self.outbox_committed(tenant)

    async def outbox_committed(self, tenant: str) -> None:
        """Tell the tenant's relay that a committed transaction put events in the outbox."""
        signal = self.outbox_signal(tenant)
        if signal.leading:
            signal.wake.set()
            return
        try:
            async with self.engine(tenant).connect() as connection:
                await connection.execute(
                    text("SELECT pg_notify(:channel, :schema)"),
                    {"channel": OUTBOX_CHANNEL, "schema": self.schema},
                )
                await connection.commit()
        except Exception as error:
            # The change is committed; the relay's polling publishes its events anyway.
            log.warning("outbox_notify_failed", tenant=tenant, error=str(error))

    def url(self, tenant: str) -> str:
        """The SQLAlchemy URL of a tenant's database."""
        return self._settings.database_url.replace("{tenant}", tenant)

    def engine(self, tenant: str) -> AsyncEngine:
        """The tenant's engine, created on first use."""
        engine = self._engines.get(tenant)
        if engine is None:
            engine = create_async_engine(
                self.url(tenant),
                pool_size=self._settings.database_pool_size,
                max_overflow=self._settings.database_pool_size,
                pool_pre_ping=True,
            )
            self._engines[tenant] = engine
        return engine

    @contextlib.asynccontextmanager
    async def driver_connection(self, tenant: str) -> AsyncIterator[asyncpg.Connection]:
        """The asyncpg connection under one of the tenant's pooled ones, outside a transaction.

        Each statement on it commits by itself: for hot paths whose change is one statement.
        """
        async with self.engine(tenant).connect() as connection:
            pooled = await connection.get_raw_connection()
            driver: asyncpg.Connection = pooled.driver_connection  # type: ignore[assignment]
            yield driver

    async def prepare(self, tenant: str) -> None:
        """Create the tenant's database if allowed and missing, then migrate the schema."""
        if self._settings.database_create:
            await create_database(self.url(tenant))
        engine = self.engine(tenant)
        async with engine.begin() as connection:
            await connection.run_sync(self._upgrade)
        log.info("tenant_migrated", tenant=tenant, schema=self.schema)

    def _upgrade(self, connection: Connection) -> None:
        # One migrator at a time per schema, so replicas starting together do not race.
        connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:s))"), {"s": self.schema})
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"'))
        config = Config()
        config.set_main_option("script_location", str(self._migrations))
        config.attributes["connection"] = connection
        config.attributes["schema"] = self.schema
        command.upgrade(config, "head")

    async def ping(self, tenant: str) -> bool:
        """Whether the tenant's database answers now."""
        try:
            async with asyncio.timeout(2):
                async with self.engine(tenant).connect() as connection:
                    await connection.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def dispose(self) -> None:
        """Close every pool."""
        for engine in self._engines.values():
            await engine.dispose()
        self._engines.clear()


async def create_database(url: str) -> None:
    """Create the database `url` names, through the server's `postgres` database, if missing."""
    target = make_url(url)
    admin = target.set(drivername="postgresql", database="postgres")
    connection = await asyncpg.connect(admin.render_as_string(hide_password=False))
    try:
        exists = await connection.fetchval(
            "SELECT 1 FROM pg_database WHERE datname = $1", target.database
        )
        if not exists:
            # Another replica may create it first; that is as good. If both got past the
            # check above, PostgreSQL reports the loser as a unique violation on pg_database.
            with contextlib.suppress(asyncpg.DuplicateDatabaseError, asyncpg.UniqueViolationError):
                await connection.execute(f'CREATE DATABASE "{target.database}"')
    finally:
        await connection.close()
