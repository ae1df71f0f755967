"""Migrations build the schema the tables describe; preparing twice or at once is harmless."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from kernel_support import SECRET
from sqlalchemy import Connection, MetaData

import anjian_credit.main
import anjian_credit.tables
import anjian_hazard.tables
from anjian_cli.embedded import EmbeddedPostgres
from anjian_hazard.main import MIGRATIONS
from anjian_hazard.tables import SCHEMA
from anjian_kernel.database import TenantDatabases
from anjian_kernel.settings import KernelSettings

TENANT = "530100"
HEAD = ScriptDirectory(str(MIGRATIONS)).get_current_head()
KERNEL_TABLES = {"outbox", "inbox", "audit_records"}


@pytest.fixture
async def databases(postgres: EmbeddedPostgres) -> AsyncIterator[TenantDatabases]:
    """Tenant databases under a name template no other test has used."""
    template = f"anjian_kmig_{uuid.uuid4().hex[:8]}_{{tenant}}"
    settings = KernelSettings(database_url=postgres.url_for(template), token_secret=SECRET)
    tenant_databases = TenantDatabases(settings, SCHEMA, MIGRATIONS)
    try:
        yield tenant_databases
    finally:
        await tenant_databases.dispose()


async def database_exists(postgres: EmbeddedPostgres, name: str) -> bool:
    """Whether the server has a database called `name`."""
    connection = await asyncpg.connect(postgres.dsn)
    try:
        return bool(await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await connection.close()


async def schema_state(databases: TenantDatabases) -> tuple[set[str], list[str], int]:
    """The schema's tables, its Alembic version rows, and the outbox NOTIFY triggers."""
    url = databases.url(TENANT).replace("postgresql+asyncpg", "postgresql")
    connection = await asyncpg.connect(url)
    try:
        tables = await connection.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = $1",
            databases.schema,
        )
        versions = await connection.fetch(
            f"SELECT version_num FROM {databases.schema}.alembic_version"  # noqa: S608 - a constant
        )
        triggers = await connection.fetchval(
            "SELECT count(*) FROM information_schema.triggers "
            "WHERE event_object_schema = $1 AND trigger_name = 'outbox_notify'",
            databases.schema,
        )
    finally:
        await connection.close()
    return {row[0] for row in tables}, [row[0] for row in versions], int(triggers)


async def test_prepare_creates_the_database_and_the_schema(
    postgres: EmbeddedPostgres, databases: TenantDatabases
) -> None:
    name = databases.url(TENANT).rsplit("/", 1)[1]
    assert not await database_exists(postgres, name)

    await databases.prepare(TENANT)

    assert await database_exists(postgres, name)
    tables, versions, triggers = await schema_state(databases)
    assert KERNEL_TABLES | {"hazards", "alembic_version"} <= tables
    assert versions == [HEAD]
    assert triggers == 0, "the relay is woken after commit, not by a trigger"
    assert await databases.ping(TENANT)


async def test_preparing_twice_changes_nothing(databases: TenantDatabases) -> None:
    await databases.prepare(TENANT)
    first = await schema_state(databases)

    await databases.prepare(TENANT)

    assert await schema_state(databases) == first


async def test_preparing_concurrently_is_harmless(databases: TenantDatabases) -> None:
    await asyncio.gather(*(databases.prepare(TENANT) for _ in range(4)))

    tables, versions, triggers = await schema_state(databases)
    assert tables >= KERNEL_TABLES
    assert versions == [HEAD]
    assert triggers == 0, "the relay is woken after commit, not by a trigger"


async def test_replicas_preparing_at_once_are_harmless(postgres: EmbeddedPostgres) -> None:
    template = f"anjian_kmig_{uuid.uuid4().hex[:8]}_{{tenant}}"
    settings = KernelSettings(database_url=postgres.url_for(template), token_secret=SECRET)
    replicas = [TenantDatabases(settings, SCHEMA, MIGRATIONS) for _ in range(3)]
    try:
        await asyncio.gather(*(replica.prepare(TENANT) for replica in replicas))
        tables, versions, triggers = await schema_state(replicas[0])
    finally:
        for replica in replicas:
            await replica.dispose()
    assert tables >= KERNEL_TABLES
    assert versions == [HEAD]
    assert triggers == 0, "the relay is woken after commit, not by a trigger"


def schema_differences(connection: Connection, metadata: MetaData) -> list[Any]:
    """What Alembic finds between the migrated schema and the tables `metadata` describes."""

    def ours(name: str | None, kind: str, _parents: object) -> bool:
        if kind == "schema":
            return name == metadata.schema
        return not (kind == "table" and name == "alembic_version")

    context = MigrationContext.configure(
        connection, opts={"include_schemas": True, "include_name": ours}
    )
    return list(compare_metadata(context, metadata))


@pytest.mark.parametrize(
    ("metadata", "migrations"),
    [
        (anjian_hazard.tables.metadata, MIGRATIONS),
        (anjian_credit.tables.metadata, anjian_credit.main.MIGRATIONS),
    ],
    ids=["hazard", "credit"],
)
async def test_migrations_build_the_schema_the_tables_describe(
    postgres: EmbeddedPostgres, metadata: MetaData, migrations: Path
) -> None:
    template = f"anjian_kmig_{uuid.uuid4().hex[:8]}_{{tenant}}"
    settings = KernelSettings(database_url=postgres.url_for(template), token_secret=SECRET)
    databases = TenantDatabases(settings, str(metadata.schema), migrations)
    try:
        await databases.prepare(TENANT)
        async with databases.engine(TENANT).connect() as connection:
            differences = await connection.run_sync(schema_differences, metadata)
        async with databases.engine(TENANT).begin() as connection:
            await connection.run_sync(downgrade_to_base, migrations, str(metadata.schema))
        tables_left, _, _ = await schema_state(databases)
        await databases.prepare(TENANT)
        async with databases.engine(TENANT).connect() as connection:
            differences_again = await connection.run_sync(schema_differences, metadata)
    finally:
        await databases.dispose()

    assert differences == []
    assert tables_left == {"alembic_version"}
    assert differences_again == []


def downgrade_to_base(connection: Connection, migrations: Path, schema: str) -> None:
    """Undo every migration of `schema`."""
    config = Config()
    config.set_main_option("script_location", str(migrations))
    config.attributes["connection"] = connection
    config.attributes["schema"] = schema
    command.downgrade(config, "base")
