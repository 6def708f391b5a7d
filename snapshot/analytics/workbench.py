"""The SQL workbench: run one checked query on the analytical database, within limits.

Defence in depth around `guard.check_query`. The query runs in a process of its own, forked
from a clean server process, on a connection that is read-only, without external access and
with its configuration locked (`database.open_analytics`). The result is capped at a row
limit (one more row is fetched to tell the caller it was cut) and a size limit. A timer
interrupts the query when its time is up; since DuckDB only notices an interrupt between
chunks, a single function call that builds a huge value (a list of a billion elements) could
outlast it, so the process is killed shortly after, and its address space is capped, so such
a value fails to allocate instead of exhausting the machine.
"""

from __future__ import annotations

import multiprocessing
import resource
import threading
import time
from dataclasses import dataclass
from functools import cache
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from pathlib import Path

import duckdb
import pyarrow as pa

from snapshot.analytics.config import WorkbenchSettings
from snapshot.analytics.database import VIEWS, open_analytics
from snapshot.analytics.guard import check_query


class QueryFailed(Exception):
    """A checked query that could not finish; `code` is stable, `message` says what to do."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class QueryResult:
    table: pa.Table
    truncated: bool  # more rows matched than the row limit
    row_limit: int
    seconds: float
    sql: str  # the checked query as it ran, before the row limit was applied
    transpiled: str | None  # the query in the requested dialect, when one was asked for


def view_columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """The analytical views and their columns, as this database file has them."""
    rows = con.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position"
    ).fetchall()
    columns: dict[str, list[str]] = {}
    for table, column in rows:
        if table in VIEWS:
            columns.setdefault(table, []).append(column)
    return columns


def run_query(
    path: Path,
    sql: str,
    limits: WorkbenchSettings,
    row_limit: int | None = None,
    dialect: str | None = None,
) -> QueryResult:
    """Check `sql`, run it, and return at most `row_limit` rows (the configured limit caps it).

    Raises `guard.QueryRefused` for a query that may not run, `QueryFailed` for one that
    could not finish.
    """
    limit = min(row_limit or limits.row_limit, limits.row_limit)
    with open_analytics(path, limits) as con:
        checked = check_query(sql, view_columns(con), limits.max_query_chars)
    transpiled = checked.transpile(dialect) if dialect else None
    bounded = f"SELECT * FROM ({checked.sql}) AS analyst_query LIMIT {limit + 1}"
    table, seconds = _isolated(path, bounded, limits)
    return QueryResult(
        table=table.slice(0, limit),
        truncated=table.num_rows > limit,
        row_limit=limit,
        seconds=seconds,
        sql=checked.sql,
        transpiled=transpiled,
    )


def _isolated(path: Path, sql: str, limits: WorkbenchSettings) -> tuple[pa.Table, float]:
    """Run `sql` in a child process; kill it if it outlives its time by `kill_after_seconds`."""
    context = _context()
    receiver, sender = context.Pipe(duplex=False)
    worker = context.Process(  # type: ignore[attr-defined]
        target=_worker, args=(sender, str(path), sql, limits.model_dump()), daemon=True
    )
    started = time.perf_counter()
    worker.start()
    sender.close()
    try:
        if not receiver.poll(limits.seconds + limits.kill_after_seconds):
            raise _time_limit(limits)
        message = receiver.recv()
    except EOFError as error:  # the process died without answering: out of address space
        raise QueryFailed(
            "memory_limit",
            "the query's process ran out of memory and stopped; aggregate more or build "
            "smaller values",
        ) from error
    finally:
        worker.kill()
        worker.join()
        receiver.close()
    seconds = time.perf_counter() - started
    if message[0] == "failed":
        raise QueryFailed(message[1], message[2])
    return pa.ipc.open_stream(message[1]).read_all(), seconds


def _worker(sender: Connection, path: str, sql: str, settings: dict[str, object]) -> None:
    limits = WorkbenchSettings.model_validate(settings)
    cap = limits.process_memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    try:
        table = _execute(Path(path), sql, limits)
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        payload = sink.getvalue().to_pybytes()
        if len(payload) > limits.result_bytes:
            raise QueryFailed(
                "result_too_large",
                f"the result is {len(payload):,} bytes, over the limit of "
                f"{limits.result_bytes:,}; select fewer or smaller columns",
            )
        sender.send(("ok", payload))
    except QueryFailed as failed:
        sender.send(("failed", failed.code, failed.message))
    finally:
        sender.close()


def _execute(path: Path, sql: str, limits: WorkbenchSettings) -> pa.Table:
    with open_analytics(path, limits) as con:
        timer = threading.Timer(limits.seconds, con.interrupt)
        timer.start()
        try:
            return con.sql(sql).to_arrow_table()
        except duckdb.InterruptException as error:
            raise _time_limit(limits) from error
        except duckdb.OutOfMemoryException as error:
            raise QueryFailed(
                "memory_limit",
                f"the query needed more than {limits.memory_limit} of memory; aggregate more "
                "or select fewer rows",
            ) from error
        except duckdb.Error as error:
            raise QueryFailed("query_error", f"the query failed: {error}") from error
        finally:
            timer.cancel()


def _time_limit(limits: WorkbenchSettings) -> QueryFailed:
    return QueryFailed(
        "time_limit",
        f"the query ran longer than {limits.seconds:g} s and was stopped; filter or aggregate "
        "more, or avoid large cross joins and huge generated lists",
    )


@cache
def _context() -> BaseContext:
    """Queries fork from a small server process that has only imported what they need: no
    threads, no open connections, no request state of the caller."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["snapshot.analytics.workbench"])  # type: ignore[attr-defined]
    return context
