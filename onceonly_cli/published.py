"""The published snapshot, for commands that read what the API reads: opened read-only,
version by version (a long-running command opens the current one again each time)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb

import settings
from directory.inbox import Query
from snapshot.manifest import current_version


@contextmanager
def published_records() -> Iterator[Query | None]:
    """A query on the snapshot in service, returning records; None before anything is
    published."""
    version = current_version(settings.current().serving)
    if version is None:
        yield None
        return
    connection = duckdb.connect(str(version.path), read_only=True)

    def query(sql: str, params: list[object]) -> list[dict[str, Any]]:
        cursor = connection.cursor().execute(sql, params)
        names = [d[0] for d in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    try:
        yield query
    finally:
        connection.close()
