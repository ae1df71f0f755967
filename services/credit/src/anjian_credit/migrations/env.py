"""Alembic environment of the credit schema; the kernel supplies the connection."""

from anjian_credit.tables import metadata
from anjian_kernel.migrations import run_migrations

run_migrations(metadata)
