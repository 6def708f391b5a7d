"""The API's view of the pool: the published snapshot, switched atomically, never written.

The pipeline publishes `current.json` naming a snapshot (DuckDB file, for history and as-of
reads) and its key-lookup layout (sorted Arrow files memory-mapped, with fixed-width key
arrays for binary search). Each request takes the `Snapshot` current when it starts and uses
it to the end, so a switch mid-request never mixes two versions; the switch itself is a
reference swap after the new version is fully opened.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

MANIFEST = "current.json"
LAYOUT_MANIFEST = "layout.json"
CHECK_EVERY_SECONDS = 0.5


class NoSnapshot(RuntimeError):
    """Nothing has been published yet."""


@dataclass
class Snapshot:
    version: int
    published_at: dt.datetime
    path: Path
    tables: dict[str, pa.Table]
    keys: dict[str, np.ndarray]
    key_columns: dict[str, str]
    _connection: duckdb.DuckDBPyConnection | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def age_seconds(self) -> float:
        return (dt.datetime.now() - self.published_at).total_seconds()

    def rows(self, resource: str, key: str) -> list[dict[str, Any]]:
        """Current certified rows of `resource` about subject `key` (normalised)."""
        keys = self.keys.get(resource)
        if keys is None or len(key) != keys.dtype.itemsize:
            return []
        probe = np.array(key.encode("ascii", "replace"), dtype=keys.dtype)
        start = int(np.searchsorted(keys, probe, side="left"))
        stop = int(np.searchsorted(keys, probe, side="right"))
        if start == stop:
            return []
        return self.tables[resource].slice(start, stop - start).to_pylist()

    def query(self, sql: str, params: list[object]) -> list[tuple[Any, ...]]:
        """A read on the snapshot's DuckDB file (history, as-of); one cursor per call."""
        return self._run(sql, params)[1]

    def query_records(self, sql: str, params: list[object]) -> list[dict[str, Any]]:
        names, rows = self._run(sql, params)
        return [dict(zip(names, row, strict=True)) for row in rows]

    def _run(self, sql: str, params: list[object]) -> tuple[list[str], list[tuple[Any, ...]]]:
        with self._lock:
            if self._connection is None:
                self._connection = duckdb.connect(str(self.path), read_only=True)
            cursor = self._connection.cursor()
        try:
            rows = cursor.execute(sql, params).fetchall()
            return [d[0] for d in cursor.description or []], rows
        finally:
            cursor.close()


def open_snapshot(serving: Path) -> Snapshot:
    manifest = serving / MANIFEST
    if not manifest.exists():
        raise NoSnapshot(f"no snapshot published in {serving}; run `onceonly ingest`")
    data = json.loads(manifest.read_text(encoding="utf-8"))
    layout = serving / data["layout"]
    resources = json.loads((layout / LAYOUT_MANIFEST).read_text(encoding="utf-8"))
    tables: dict[str, pa.Table] = {}
    keys: dict[str, np.ndarray] = {}
    for resource, info in resources.items():
        source = pa.memory_map(str(layout / info["file"]), "r")
        tables[resource] = pa.ipc.open_file(source).read_all()
        keys[resource] = np.load(layout / f"{resource}.keys.npy", mmap_mode="r")
    return Snapshot(
        version=int(data["version"]),
        published_at=dt.datetime.fromisoformat(data["published_at"]),
        path=serving / data["file"],
        tables=tables,
        keys=keys,
        key_columns={r: str(info["key"]) for r, info in resources.items()},
    )


class SnapshotWatcher:
    """Hands out the current snapshot, re-reading the manifest at most every half second."""

    def __init__(self, serving: Path) -> None:
        self._serving = serving
        self._current: Snapshot | None = None
        self._manifest_mtime: int | None = None
        self._checked_at = -float("inf")
        self._lock = threading.Lock()

    def current(self) -> Snapshot:
        if time.monotonic() - self._checked_at > CHECK_EVERY_SECONDS:
            self._refresh()
        if self._current is None:
            raise NoSnapshot(f"no snapshot published in {self._serving}; run `onceonly ingest`")
        return self._current

    def _refresh(self) -> None:
        with self._lock:
            self._checked_at = time.monotonic()
            try:
                mtime = (self._serving / MANIFEST).stat().st_mtime_ns
            except FileNotFoundError:
                return
            if mtime == self._manifest_mtime:
                return
            # Requests that took the previous snapshot keep it (and its memory maps and DuckDB
            # handle) until they finish; it is closed when the last reference goes.
            self._current, self._manifest_mtime = open_snapshot(self._serving), mtime


_watchers: dict[Path, SnapshotWatcher] = {}
_watchers_lock = threading.Lock()


def watcher(serving: Path) -> SnapshotWatcher:
    """One watcher per serving folder per process, shared by every request."""
    with _watchers_lock:
        if serving not in _watchers:
            _watchers[serving] = SnapshotWatcher(serving)
        return _watchers[serving]
