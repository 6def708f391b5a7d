"""Alembic environment: runs on the connection `directory.db.upgrade` hands over."""

from __future__ import annotations

from alembic import context

from directory.tables import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "directory migrations run when the directory is opened: call "
        "directory.db.Database(url) (or any `onceonly catalogue` command) instead of alembic"
    )
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
