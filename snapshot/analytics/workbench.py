"""The SQL workbench: run one checked query on the analytical database, within limits.

Defence in depth around `guard.check_query`. Queries run in a worker process of their own,
forked from a clean server process, on a connection that is read-only, without external
access and with its configuration locked (`database.open_analytics`). The result is capped at
a row limit (one more row is fetched to tell the caller it was cut) and a size limit. A timer
interrupts the query when its time is up; since DuckDB only notices an interrupt between
chunks, a single function call that builds a huge value (a list of a billion elements) could
outlast it, so the worker is killed shortly after, and its address space is capped, so such
a value fails to allocate instead of exhausting the machine.

The worker is kept (`Workbench`, one per API process): it holds the database open and checks
each query against the views it already knows, so a small query answers in milliseconds
instead of paying for a process, imports and an open each time. It reopens the database when
a new build is switched in (the file's identity changes), and a worker that was killed or
died is replaced on the next query.
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
from multiprocessing.process import BaseProcess
from pathlib import Path

import duckdb
import pyarrow as pa

from snapshot.analytics.config import WorkbenchSettings
from snapshot.analytics.database import VIEWS, database_identity, open_analytics
from snapshot.analytics.guard import DIALECT, QueryRefused, check_query, plain


class QueryFailed(Exception):
    """A checked query that could not finish; `code` is stable, `message` says what to do."""

    def __init__(self, code: str, message: str) -> None:
        message = plain(message)
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
    read: str = DIALECT,
) -> QueryResult:
    """Check `sql` (written in `read`), run it, and return at most `row_limit` rows (the
    configured limit caps it), in a worker started for this query alone.

    Raises `guard.QueryRefused` for a query that may not run, `QueryFailed` for one that
    could not finish, `FileNotFoundError` when there is no database.
    """
    with Workbench(path) as workbench:
        return workbench.run(sql, limits, row_limit, dialect, read)


class Workbench:
    """One worker process holding the analytical database open, for one caller process.

    Thread-safe: queries take turns (an analyst's query is small, or stopped by its limit).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._worker: BaseProcess | None = None
        self._channel: Connection | None = None

    def __enter__(self) -> Workbench:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(
        self,
        sql: str,
        limits: WorkbenchSettings,
        row_limit: int | None = None,
        dialect: str | None = None,
        read: str = DIALECT,
    ) -> QueryResult:
        """As `run_query`, in the kept worker."""
        if not self.path.exists():
            raise FileNotFoundError(
                f"no analytical database at {self.path}: run `onceonly analytics build` after "
                "`onceonly ingest`"
            )
        limit = min(row_limit or limits.row_limit, limits.row_limit)
        request = (sql, read, limit, dialect, limits.model_dump())
        with self._lock:
            channel = self._channel_for(limits)
            started = time.perf_counter()
            try:
                channel.send(request)
                if not channel.poll(limits.seconds + limits.kill_after_seconds):
                    self._stop()
                    raise _time_limit(limits)
                message = channel.recv()
            except (EOFError, BrokenPipeError, ConnectionResetError) as error:
                # the worker died without answering: out of address space
                self._stop()
                raise QueryFailed(
                    "memory_limit",
                    "the query's process ran out of memory and stopped; aggregate more or "
                    "build smaller values",
                ) from error
            seconds = time.perf_counter() - started
        kind = message[0]
        if kind == "refused":
            raise QueryRefused(message[1], message[2])
        if kind == "failed":
            raise QueryFailed(message[1], message[2])
        if kind == "missing":
            raise FileNotFoundError(message[1])
        _, payload, checked_sql, transpiled = message
        table = pa.ipc.open_stream(payload).read_all()
        return QueryResult(
            table=table.slice(0, limit),
            truncated=table.num_rows > limit,
            row_limit=limit,
            seconds=seconds,
            sql=checked_sql,
            transpiled=transpiled,
        )

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _channel_for(self, limits: WorkbenchSettings) -> Connection:
        if self._worker is not None and self._worker.is_alive() and self._channel is not None:
            return self._channel
        self._stop()
        context = _context()
        ours, theirs = context.Pipe(duplex=True)
        worker = context.Process(  # type: ignore[attr-defined]
            target=_serve,
            args=(theirs, str(self.path), limits.process_memory_bytes),
            daemon=True,
        )
        worker.start()
        theirs.close()
        self._worker, self._channel = worker, ours
        return ours

    def _stop(self) -> None:
        if self._worker is not None:
            self._worker.kill()
            self._worker.join()
        if self._channel is not None:
            self._channel.close()
        self._worker, self._channel = None, None


def _serve(channel: Connection, path: str, memory_bytes: int) -> None:
    """The worker's loop: one request at a time, the database reopened when it changes."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    database = Path(path)
    con: duckdb.DuckDBPyConnection | None = None
    opened: tuple[int, int] | None = None
    views: dict[str, list[str]] = {}
    while True:
        try:
            sql, read, limit, dialect, settings = channel.recv()
        except EOFError:
            return
        limits = WorkbenchSettings.model_validate(settings)
        try:
            identity = database_identity(database)
            if con is None or identity != opened:
                if con is not None:
                    con.close()
                con, opened = open_analytics(database, limits), identity
                views = view_columns(con)
            checked = check_query(sql, views, limits.max_query_chars, read)
            transpiled = checked.transpile(dialect) if dialect else None
            bounded = f"SELECT * FROM ({checked.sql}) AS analyst_query LIMIT {limit + 1}"
            payload = _payload(_execute(con, bounded, limits), limits)
            channel.send(("ok", payload, checked.sql, transpiled))
        except FileNotFoundError as error:
            con, opened = None, None
            channel.send(("missing", str(error)))
        except QueryRefused as refused:
            channel.send(("refused", refused.code, refused.message))
        except QueryFailed as failed:
            channel.send(("failed", failed.code, failed.message))
        except Exception as error:  # the worker answers, whatever went wrong
            channel.send(("failed", "query_error", f"the query failed: {error}"))


def _payload(table: pa.Table, limits: WorkbenchSettings) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    payload: bytes = sink.getvalue().to_pybytes()
    if len(payload) > limits.result_bytes:
        raise QueryFailed(
            "result_too_large",
            f"the result is {len(payload):,} bytes, over the limit of "
            f"{limits.result_bytes:,}; select fewer or smaller columns",
        )
    return payload


def _execute(con: duckdb.DuckDBPyConnection, sql: str, limits: WorkbenchSettings) -> pa.Table:
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
