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
    url = cluster.database(cluster.template("empty", _migrate))
    patch.setenv(URL_ENV, url)
    try:
        yield url
    finally:
        cluster.drop(url)


def _migrate(url: str) -> None:
    from directory.store import open_directory

    open_directory(url).close()
