"""Alembic environment of the hazard schema; the kernel supplies the connection."""

from anjian_hazard.tables import metadata
from anjian_kernel.migrations import run_migrations

run_migrations(metadata)
