"""Small DuckDB helpers every stage of the pipelines uses: reading one row or one value, and
quoting names and text into SQL. They belong to no stage: landing, certification, publishing
and analytics all write SQL against DuckDB, so the helpers sit at the top of `pipelines`
rather than in one stage the others would have to borrow from. Quoting names is the
snapshot's (`snapshot.sql`: its readers quote table names too) and is passed on from here.
"""

from __future__ import annotations

from typing import Any

import duckdb

from snapshot.sql import quote_identifier

__all__ = ["first_row", "quote_identifier", "quote_literal", "scalar"]


def first_row(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None
) -> tuple[Any, ...] | None:
    """The first row of a query, reading the result to its end.

    DuckDB 2.0 keeps a half-read result open on the connection and refuses other work until
    it is drained, so single-row reads go through here rather than `fetchone()`.
    """
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> Any:
    row = first_row(con, sql, params)
    return row[0] if row else None


def quote_literal(text: str) -> str:
    """Text as an SQL string literal, for the few places DuckDB takes no parameter (DDL,
    table functions' file arguments)."""
    return "'" + text.replace("'", "''") + "'"
