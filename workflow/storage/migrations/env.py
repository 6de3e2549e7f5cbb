"""Alembic environment: migrations run on the connection that ``workflow.storage.migrate`` hands over, inside the
transaction it opened (which holds the lock that keeps two processes from migrating at once)."""

from __future__ import annotations

from alembic import context

from workflow.storage.schema import metadata

# The domain's tables only (this package cannot import verification's): migrations are written by hand, and
# tests/integration/test_migrations.py compares the migrated schema with every table (verification.schema).

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata(),
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
