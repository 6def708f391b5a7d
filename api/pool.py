"""Read-only access to the pool for request handlers.

The API never writes the pool. DuckDB refuses a read-only open while a pipeline holds the
file for writing, so that case becomes a clear 503 the caller can retry, never a hang.
"""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
from fastapi import HTTPException, status

from api.settings import pool_path


def read_pool() -> Iterator[duckdb.DuckDBPyConnection]:
    path = pool_path()
    if not path.exists():
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail={"code": "pool_missing", "message": "No pool yet: run `onceonly ingest` first."},
        )
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as error:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail={
                "code": "pool_busy",
                "message": "A pipeline is writing the pool; retry in a few seconds.",
            },
        ) from error
    try:
        yield con
    finally:
        con.close()
