"""The analytical database: the only data the analysts' endpoints and SQL workbench read.

The pipelines build it beside the snapshots as a new file and switch it in with `os.replace`
(`pipelines.analytics.database`), like a snapshot: a reader that opened the previous one keeps
reading it, the next open sees the new one, and nobody sees half a build. It holds
de-identified and aggregated data only; the raw pool and the pseudonym key never enter it.
What it holds (`VIEWS`), where it is, its manifest and how it is opened are defined here for
the builder and the readers alike.

Every reader opens it the same way (read-only, external access disabled, configuration
locked), because DuckDB shares one database instance per file within a process and refuses
a second open with a different configuration.

A server keeps it open (`HeldDatabase`): one connection per process, a cursor per request.
A new build is switched in by rename, so the file's identity (inode, modification time)
tells when to reopen; the reopen waits until no request still reads the old file, since
DuckDB hands a new open of the same path the old instance while any connection to it lives.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

import settings
from snapshot.analytics.config import WorkbenchSettings

DATABASE_FILE = "analytics.duckdb"
MANIFEST_FILE = "analytics.json"
VIEWS: dict[str, str] = {
    "cases": "De-identified case records: applicant keys replaced by a keyed pseudonym, "
    "with deadline, handling time in working days and punctuality.",
    "case_statistics": "Received, completed, completion and on-time rates, handling time per "
    "grain (day, week, month), period and dimension (centre, department, service_item).",
    "case_warnings": "Open cases with their deadline, working days left and colour "
    "(green, yellow, red) as of the build.",
    "demand_history": "Cases per open day (daily) or per week (weekly), per service item "
    "and per front window: what the forecasts were fitted on.",
    "forecasts": "Forecast cases per day or week with 80% and 95% intervals; closed days "
    "are marked closed, dates past the official calendar provisional.",
    "forecast_models": "The model chosen per series and frequency, with its backtest MASE "
    "and sMAPE and those of the seasonal naive baseline.",
    "backtest_errors": "Backtest MAE, MASE and sMAPE of every candidate model per series.",
    "staffing_profile": "Per department: cases, cases that record their time at the window "
    "(on the spot, same day), its average in minutes, and the share received in the morning.",
    "staffing_holdout": "Daily forecast per department of the last weeks of the data, "
    "fitted without them: what the staffing backtest replays.",
    "catalogue_figures": "Per department resource: certified records, batches, open "
    "quarantine and quality score, from the snapshot the build used.",
    "calendar_days": "The official calendar over the data and the horizon: working days, "
    "holidays, adjusted working weekends (调休), provisional days.",
    "build_info": "When and from which snapshot this database was built.",
}


def database_path() -> Path:
    """The published analytical database, beside the snapshots it is computed from."""
    return settings.current().serving / DATABASE_FILE


def read_manifest(serving: Path) -> dict[str, Any] | None:
    """What the current analytical database was built from, without opening it."""
    path = serving / MANIFEST_FILE
    if not path.exists():
        return None
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def write_manifest(serving: Path, info: dict[str, Any]) -> None:
    """Record what the database just switched in was built from; replaced in one rename."""
    manifest = serving / f".{MANIFEST_FILE}.next"
    manifest.write_text(json.dumps(info, default=str, ensure_ascii=False), encoding="utf-8")
    os.replace(manifest, serving / MANIFEST_FILE)


def open_analytics(path: Path, limits: WorkbenchSettings) -> duckdb.DuckDBPyConnection:
    """A read-only connection that cannot reach files, the network or its own settings."""
    if not path.exists():
        raise FileNotFoundError(
            f"no analytical database at {path}: run `onceonly analytics build` after "
            "`onceonly ingest`"
        )
    return duckdb.connect(
        str(path),
        read_only=True,
        config={
            "enable_external_access": False,
            "autoload_known_extensions": False,
            "autoinstall_known_extensions": False,
            "memory_limit": limits.memory_limit,
            "threads": limits.threads,
            "lock_configuration": True,
        },
    )


def database_identity(path: Path) -> tuple[int, int]:
    """Which file is at `path` (inode, modification time): a new build is a new file."""
    try:
        stat = path.stat()
    except FileNotFoundError as error:
        raise FileNotFoundError(
            f"no analytical database at {path}: run `onceonly analytics build` after "
            "`onceonly ingest`"
        ) from error
    return stat.st_ino, stat.st_mtime_ns


class HeldDatabase:
    """The analytical database held open for a process, read-only; reopened on a new build."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._opened: tuple[int, int] | None = None
        self._readers = 0

    @contextmanager
    def cursor(self, limits: WorkbenchSettings) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection of its own for one request, on the newest build nobody still reads."""
        with self._lock:
            identity = database_identity(self.path)
            stale = self._con is not None and identity != self._opened and not self._readers
            if stale:
                self._close()
            if self._con is None:
                self._con, self._opened = open_analytics(self.path, limits), identity
            cursor = self._con.cursor()
            self._readers += 1
        try:
            yield cursor
        finally:
            cursor.close()
            with self._lock:
                self._readers -= 1

    def close(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._con is not None:
            self._con.close()
        self._con, self._opened = None, None
