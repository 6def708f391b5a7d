"""The directory's two databases in the tests: SQLite (a file under ONCEONLY_HOME, the
default) and PostgreSQL (a database on this process's throw-away cluster)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from tests import postgres

BACKENDS = ("sqlite", "postgresql")
URL_ENV = "ONCEONLY_DIRECTORY_URL"


@contextlib.contextmanager
def fresh_directory(backend: str, patch: pytest.MonkeyPatch) -> Iterator[str | None]:
    """Point ONCEONLY_DIRECTORY_URL at a fresh, migrated, empty PostgreSQL database (dropped
    afterwards), or leave it unset for SQLite's default file under ONCEONLY_HOME."""
    if backend != "postgresql":
        patch.delenv(URL_ENV, raising=False)
        yield None
        return
    cluster = postgres.started()
    url = cluster.database(cluster.template("empty", migrate_directory))
    patch.setenv(URL_ENV, url)
    try:
        yield url
    finally:
        cluster.drop(url)


def migrate_directory(url: str) -> None:
    from directory.store import open_directory

    open_directory(url).close()


def copy_directory(source_url: str, target_url: str) -> None:
    """Copy every row of the directory at `source_url` into the migrated one at `target_url`,
    in place of what it held, ids kept and PostgreSQL's sequences moved past them.

    A test exchange is a Dagster build (landing, certification, publishing) whose only
    database-specific part is the directory: built once on SQLite, its pool and snapshots
    serve the PostgreSQL cases too, with the directory's rows copied over, instead of a second
    build per test process. Written here because no library copies rows between two
    SQLAlchemy engines keeping the models' types (UTC timestamps, JSON) on both sides."""
    from sqlalchemy import Integer, create_engine, insert, select, text

    from directory.tables import Base

    source, target = create_engine(source_url), create_engine(target_url)
    try:
        with source.connect() as read, target.begin() as write:
            for table in reversed(Base.metadata.sorted_tables):  # what migrating seeded
                write.execute(table.delete())
            for table in Base.metadata.sorted_tables:
                rows = [dict(row._mapping) for row in read.execute(select(table))]
                if rows:
                    write.execute(insert(table), rows)
            for table in Base.metadata.sorted_tables:
                for column in table.primary_key.columns:
                    if not isinstance(column.type, Integer):
                        continue
                    write.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', "
                            f"'{column.name}'), coalesce(max({column.name}), 0) + 1, false) "
                            f"FROM {table.name}"
                        )
                    )
    finally:
        source.dispose()
        target.dispose()
