"""Glue that lets Great Expectations 1.24 run its SQL engine on the pipeline's DuckDB connection.

GE must read the candidate table, a TEMP table that only the pipeline's own connection sees
(and DuckDB refuses a second connection to the same file with another config), so GE gets that
very connection through duckdb-engine. Two gaps remain, and neither is closed by patching a GE
module: everything here acts on objects that exist only for one gate run.

1. Who owns the connection (DB-API level, :class:`BorrowedConnection`). duckdb-engine's
   ``Dialect.do_begin`` calls the DB-API ``begin()``, a real DuckDB ``BEGIN``, each time
   SQLAlchemy autobegins, and SQLAlchemy rolls that back when its connection is closed.
   duckdb-engine's cursor is the DuckDB connection itself, so that ROLLBACK replaces the result
   of the query just run; ``SqlAlchemyExecutionEngine.execute_query()`` fetches only after its
   ``with engine.connect()`` block has returned the connection, so every SQL metric saw no
   rows ("list index out of range"). Worse, disposing the engine, which GE does in
   ``SqlAlchemyExecutionEngine.__del__``, calls the DB-API ``close()``: it would close the
   pipeline's connection. The wrapper makes ``begin``/``commit``/``rollback``/``close`` no-ops,
   so GE's queries run in DuckDB's autocommit mode and the caller keeps its connection.
   Adding DuckDB to GE's ``_PERSISTED_CONNECTION_DIALECTS`` instead would keep one SQLAlchemy
   connection, and the DuckDB transaction duckdb-engine opened on it, for the engine's life.
2. Regular expressions (GE level, :func:`adapt_execution_engine`). GE picks its SQL for regex
   matching (``great_expectations.expectations.metrics.util.get_dialect_regex_expression``)
   from ``SqlAlchemyExecutionEngine.dialect_module``, which its ``__init__`` leaves None for
   dialects it does not know, so every regex expectation is refused. duckdb-engine's dialect
   derives from SQLAlchemy's PostgreSQL dialect and DuckDB's ``~`` / ``!~`` match like
   PostgreSQL's (partial match, as Python's ``re.search``), so that one engine instance gets
   ``sqlalchemy.dialects.postgresql`` as its dialect module.

:func:`adapt_execution_engine` and :func:`transactions_untouched` check that these facts still
hold every time the gate runs and raise :class:`GlueOutdatedError` when they do not.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb
import sqlalchemy as sa
import sqlalchemy.dialects.postgresql as postgresql
from duckdb_engine import ConnectionWrapper
from great_expectations.execution_engine import SqlAlchemyExecutionEngine
from great_expectations.expectations.metrics.util import get_dialect_regex_expression
from sqlalchemy.dialects.postgresql.base import PGDialect

DUCKDB = "duckdb"


class GlueOutdatedError(RuntimeError):
    """GE, duckdb-engine or SQLAlchemy changed what this module relies on; re-read its docstring."""


class BorrowedConnection(ConnectionWrapper):
    """The caller's DuckDB connection as a DB-API connection that GE may read through, only.

    No transaction is begun, committed or rolled back on it, and closing it does nothing: the
    pipeline owns the connection, its transactions and its life.
    """

    def begin(self) -> None:
        """Not DuckDB's BEGIN: GE's reads run in autocommit mode."""

    def commit(self) -> None:
        """Nothing to commit: no transaction is ever begun here."""

    def rollback(self) -> None:
        """Not DuckDB's ROLLBACK, which would also drop the pending result of the last query."""

    def close(self) -> None:
        """The pipeline closes its connection, not GE's engine when it is disposed."""


def engine_kwargs(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """``sqlalchemy.create_engine`` arguments (a GE SQL datasource's ``kwargs``) that reach `con`.

    One static pool slot, as there is one DuckDB connection: duckdb-engine would otherwise pick
    a QueuePool, and two wrappers of one connection would overwrite each other's results.
    """
    return {
        "creator": lambda: BorrowedConnection(con),
        "poolclass": sa.pool.StaticPool,
    }


def adapt_execution_engine(engine: SqlAlchemyExecutionEngine) -> None:
    """Give this engine PostgreSQL's dialect module, after checking that it is still needed and
    still right, and that queries return rows through :class:`BorrowedConnection`. Idempotent."""
    if engine.dialect_name != DUCKDB or not isinstance(engine.dialect, PGDialect):
        raise GlueOutdatedError(
            f"expected duckdb-engine's PostgreSQL-derived dialect, got {type(engine.dialect)}"
        )
    if "dialect_module" not in vars(engine):
        raise GlueOutdatedError("SqlAlchemyExecutionEngine no longer has a dialect_module")
    if engine.dialect_module not in (None, postgresql):
        raise GlueOutdatedError(
            f"GE now sets dialect_module={engine.dialect_module!r} for DuckDB itself; check that "
            "regex expectations work without this glue and remove it"
        )
    engine.dialect_module = postgresql
    regex = get_dialect_regex_expression(sa.column("probe"), "^a", engine.dialect_module)
    rendered = str(regex) if regex is not None else ""
    if not rendered.startswith("probe ~ "):
        raise GlueOutdatedError(f"GE no longer renders regex matching as `~` here: {rendered!r}")
    rows = engine.execute_query(sa.text("SELECT 42 AS answer")).fetchall()
    if [tuple(row) for row in rows] != [(42,)]:
        raise GlueOutdatedError(f"a probe query returned {rows!r} through GE instead of [(42,)]")


@contextmanager
def transactions_untouched(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Raise if the block leaves a transaction open on `con` that was not open before it."""
    before = _in_transaction(con)
    yield
    if _in_transaction(con) and not before:
        raise GlueOutdatedError("GE left a transaction open on the pipeline's DuckDB connection")


def _in_transaction(con: duckdb.DuckDBPyConnection) -> bool:
    """In autocommit mode every statement has its own transaction id; inside one, they agree."""
    first = con.execute("SELECT txid_current()").fetchone()
    second = con.execute("SELECT txid_current()").fetchone()
    return first == second
