"""Alembic environment: runs on the already-unlocked SQLCipher connection handed in by
`app.store.migrate`, never on a URL (the key must not travel through config)."""

from alembic import context

from app.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
