"""Alembic migrations of the directory database, applied by `directory.db.upgrade` on open."""
