"""The tenant's PostgreSQL database and login role, created through an admin connection."""

import secrets

import asyncpg

from anjian_operator.prefecture import TenantNames

CONNECT_TIMEOUT_SECONDS = 10.0


class DatabaseUnavailableError(RuntimeError):
    """PostgreSQL could not be reached or refused the admin connection."""


def generate_password() -> str:
    """A password for a tenant role: URL-safe, so it can sit in a connection URL as is."""
    return secrets.token_urlsafe(32)


def _ident(name: str) -> str:
    """Quote an identifier; tenant names are derived from validated codes, but quote anyway."""
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    """Quote a string literal for statements that take no bind parameters (CREATE ROLE)."""
    return "'" + value.replace("'", "''") + "'"


async def _connect(admin_url: str) -> asyncpg.Connection:
    try:
        return await asyncpg.connect(admin_url, timeout=CONNECT_TIMEOUT_SECONDS)
    except (OSError, TimeoutError, asyncpg.PostgresError) as error:
        raise DatabaseUnavailableError(f"cannot connect to PostgreSQL: {error}") from error


async def ensure_database(
    admin_url: str, names: TenantNames, password: str, connection_limit: int
) -> None:
    """Create or update the tenant's role and database so that only that role may connect.

    Every statement is safe to repeat: a retry after a failure half-way finishes the job.
    """
    conn = await _connect(admin_url)
    try:
        role, database = _ident(names.role), _ident(names.database)
        exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", names.role)
        verb = "ALTER" if exists else "CREATE"
        await conn.execute(
            f"{verb} ROLE {role} LOGIN PASSWORD {_literal(password)} "
            f"CONNECTION LIMIT {int(connection_limit)}"
        )
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", names.database):
            # CREATE DATABASE cannot run in a transaction; asyncpg runs it on its own.
            await conn.execute(f"CREATE DATABASE {database} OWNER {role} ENCODING 'UTF8'")
        await conn.execute(f"ALTER DATABASE {database} OWNER TO {role}")
        # Other tenants' roles share the server: only the owner may connect.
        await conn.execute(f"REVOKE ALL ON DATABASE {database} FROM PUBLIC")
    except (OSError, asyncpg.PostgresConnectionError) as error:
        raise DatabaseUnavailableError(f"PostgreSQL went away: {error}") from error
    finally:
        await conn.close()


async def retire_database(admin_url: str, names: TenantNames, *, drop: bool) -> None:
    """Stop the tenant's role from logging in; with `drop`, remove database and role too."""
    conn = await _connect(admin_url)
    try:
        role, database = _ident(names.role), _ident(names.database)
        if not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", names.role):
            return
        await conn.execute(f"ALTER ROLE {role} NOLOGIN")
        if drop:
            await conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            await conn.execute(f"DROP ROLE IF EXISTS {role}")
        else:
            # Keep the data but end the sessions of a tenant that no longer exists.
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1",
                names.role,
            )
    except (OSError, asyncpg.PostgresConnectionError) as error:
        raise DatabaseUnavailableError(f"PostgreSQL went away: {error}") from error
    finally:
        await conn.close()


def database_url(names: TenantNames, host: str, password: str) -> str:
    """SQLAlchemy URL (asyncpg driver) the tenant's services use."""
    return f"postgresql+asyncpg://{names.role}:{password}@{host}/{names.database}"
