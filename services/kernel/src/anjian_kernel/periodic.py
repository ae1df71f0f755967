"""Periodic work per tenant, run by one replica at a time under a PostgreSQL advisory lock.

Jobs must be idempotent, so a crash mid-run repeats nothing visible.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from anjian_kernel.logs import get_logger

log = get_logger(__name__)


async def run_exclusively(engine: AsyncEngine, key: str, job: Callable[[], Awaitable[Any]]) -> bool:
    """Run `job` if no other replica holds `key` on this database; returns whether it ran."""
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection
        if not await driver.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", key):
            return False
        try:
            await job()
        finally:
            await driver.execute("SELECT pg_advisory_unlock(hashtext($1))", key)
    return True


async def every(
    interval: float, name: str, tenant: str, engine: AsyncEngine, job: Callable[[], Awaitable[Any]]
) -> None:
    """Run `job` exclusively every `interval` seconds until cancelled."""
    while True:
        try:
            await run_exclusively(engine, f"{name}:{tenant}", job)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.warning("periodic_job_failed", job=name, tenant=tenant, error=str(error))
        await asyncio.sleep(interval)
