"""What each service's Alembic `env.py` calls: run migrations on the connection given."""

from alembic import context
from sqlalchemy import MetaData


def run_migrations(target_metadata: MetaData) -> None:
    """Run the pending migrations on the connection `TenantDatabases.prepare` passed in.

    The version table lives in the service's schema, so services migrate independently.
    """
    config = context.config
    connection = config.attributes["connection"]
    schema = config.attributes["schema"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table_schema=schema,
        include_schemas=True,
    )
    with context.begin_transaction():
        context.run_migrations()
