"""The API's view of the pool: the published snapshot, switched atomically, never written.

The pipeline publishes `current.json` naming a snapshot (DuckDB file, for history and as-of
reads) and its key-lookup layout (sorted Arrow files memory-mapped, with fixed-width key
arrays for binary search). Each request takes the `Snapshot` current when it starts and uses
it to the end, so a switch mid-request never mixes two versions; the switch itself is a
reference swap after the new version is fully opened.

Which subjects have a record in open quarantine, and which rules those records broke, is read
once per snapshot into sorted key arrays as well: a prefill asks it for every resource that
has no record of the applicant, which is most resources for most applicants, and a DuckDB
query each time (~0.8 ms, under a lock) cost more than all the rest of the answer. The rules
go into the answer, so the clerk can tell the applicant what the provider is correcting.
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

from contracts.keys.vectorised import check_subject_keys

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
    # resource -> subjects with a record in open quarantine, and the rules broken
    quarantine: dict[str, Quarantined] = field(default_factory=dict)
    _connection: duckdb.DuckDBPyConnection | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # resource -> (column name, column) pairs, for reading one record value by value
    _columns: dict[str, list[tuple[str, pa.ChunkedArray]]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._columns = {
            resource: list(zip(table.column_names, table.columns, strict=True))
            for resource, table in self.tables.items()
        }

    @property
    def age_seconds(self) -> float:
        return (dt.datetime.now() - self.published_at).total_seconds()

    def rows(self, resource: str, key: str) -> list[dict[str, Any]]:
        """Current certified rows of `resource` about subject `key` (normalised)."""
        keys = self.keys.get(resource)
        if keys is None or len(key) != keys.dtype.itemsize:
            return []
        start, stop = _span(keys, key)
        # Value by value: a subject has a record or two, and converting a one-row slice
        # with `to_pylist` cost three times as much (the largest part of a prefill).
        columns = self._columns[resource]
        return [{name: value[row].as_py() for name, value in columns} for row in range(start, stop)]

    def quarantine_rules(self, resource: str, key: str) -> str | None:
        """The rules broken by records of `resource` about subject `key` that wait in open
        quarantine (each with its reason), or None when none does."""
        quarantined = self.quarantine.get(resource)
        return quarantined.rules_of(key) if quarantined is not None else None

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


@dataclass(frozen=True)
class Quarantined:
    """One resource's subjects with a record in open quarantine: sorted keys (UTF-8, each
    once) and, beside each, the rules its records broke."""

    keys: np.ndarray
    rules: tuple[str, ...]

    def rules_of(self, key: str) -> str | None:
        start, stop = _span(self.keys, key)
        return self.rules[start] if start != stop else None


def _span(keys: np.ndarray, key: str) -> tuple[int, int]:
    """Where `key` sits in the sorted fixed-width `keys`: [start, stop), empty if absent."""
    encoded = key.encode("utf-8", "replace")
    if len(encoded) > keys.dtype.itemsize:  # NumPy would cut it to fit, and find a prefix
        return 0, 0
    probe = np.array(encoded, dtype=keys.dtype)
    return (
        int(np.searchsorted(keys, probe, side="left")),
        int(np.searchsorted(keys, probe, side="right")),
    )


QUARANTINE_EXISTS = (
    "SELECT count(*) FROM information_schema.tables "
    "WHERE table_schema = 'quality' AND table_name = 'quarantine'"
)
# Per resource and subject, the rules its open records broke, as "rule (reason); ...". Every
# quarantined row names the rules it broke; should one name none, its subject still counts.
_BROKEN = """
SELECT contract_id, subject, string_agg(DISTINCT why, '; ' ORDER BY why) FROM (
    SELECT contract_id, {subject} AS subject, unnest(CASE WHEN len(rule_ids) = 0 THEN ['']
        ELSE list_transform(range(1, len(rule_ids) + 1),
                            lambda i: rule_ids[i] || ' (' || coalesce(reasons[i], '') || ')')
        END) AS why
    FROM quality.quarantine WHERE status = 'open' {only}
) WHERE subject IS NOT NULL AND subject <> '' GROUP BY ALL
"""
# A record key starts with the subject key when the resource is keyed by its subject...
QUARANTINED_RECORDS = _BROKEN.format(subject="split_part(record_key, '|', 1)", only="")
# ...but not always (real estate is keyed by certificate number): the subject column as the
# department delivered it says whose record it is (normalised here, as the pipelines do).
QUARANTINED_SUBJECTS = _BROKEN.format(subject="raw ->> ?", only="AND contract_id = ?")


def _quarantine(snapshot: Snapshot) -> dict[str, Quarantined]:
    """Per resource, the subjects with a record in open quarantine and the rules broken."""
    if not snapshot.query(QUARANTINE_EXISTS, [])[0][0]:
        return {}
    broken: dict[str, dict[str, str]] = {}
    for resource, subject, why in snapshot.query(QUARANTINED_RECORDS, []):
        broken.setdefault(resource, {})[subject] = why
    for resource, column in snapshot.key_columns.items():
        if resource not in broken:
            continue
        found = broken[resource]
        delivered = snapshot.query(QUARANTINED_SUBJECTS, [column, resource])
        normalised = check_subject_keys(pa.array([d[1] for d in delivered], pa.string())).value
        for key, (_, _, why) in zip(normalised.to_pylist(), delivered, strict=True):
            if key:
                found[key] = _merged(found[key], why) if key in found else why
    index = {}
    for resource, subjects in broken.items():
        keys = sorted(subjects)
        index[resource] = Quarantined(
            np.array([k.encode("utf-8") for k in keys], dtype=bytes),
            tuple(subjects[k] for k in keys),
        )
    return index


def _merged(first: str, second: str) -> str:
    if first == second:
        return first
    return "; ".join(sorted({*first.split("; "), *second.split("; ")} - {""}))


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
    snapshot = Snapshot(
        version=int(data["version"]),
        published_at=dt.datetime.fromisoformat(data["published_at"]),
        path=serving / data["file"],
        tables=tables,
        keys=keys,
        key_columns={r: str(info["key"]) for r, info in resources.items()},
    )
    snapshot.quarantine = _quarantine(snapshot)
    return snapshot


class SnapshotWatcher:
    """Hands out the current snapshot, re-reading the manifest at most every half second.

    Until a first snapshot is open, requests wait for it (answering "nothing published" to
    the ones that arrive while it opens would fail them for no reason). After that, one
    request at a time checks the manifest and opens a new version, and the others keep
    answering from the version in service instead of queueing behind the open, which takes
    a while on a large pool.
    """

    def __init__(self, serving: Path) -> None:
        self._serving = serving
        self._current: Snapshot | None = None
        self._manifest_mtime: int | None = None
        self._checked_at = -float("inf")
        self._lock = threading.Lock()

    def fresh(self) -> Snapshot | None:
        """The snapshot in service if the manifest was checked recently, else None: then
        `current` has disk work to do (a stat, perhaps opening a new version), which async
        callers hand to a worker thread rather than block the event loop with."""
        current = self._current
        if current is None or time.monotonic() - self._checked_at > CHECK_EVERY_SECONDS:
            return None
        return current

    def current(self) -> Snapshot:
        current = self._current
        due = time.monotonic() - self._checked_at > CHECK_EVERY_SECONDS
        if (current is None or due) and self._lock.acquire(blocking=current is None):
            try:
                self._refresh()
            finally:
                self._lock.release()
            current = self._current
        if current is None:
            raise NoSnapshot(f"no snapshot published in {self._serving}; run `onceonly ingest`")
        return current

    def _refresh(self) -> None:
        """Under the lock: open the manifest's snapshot if it changed since the last check."""
        if self._current is not None and time.monotonic() - self._checked_at <= CHECK_EVERY_SECONDS:
            return  # another request checked while this one waited for the lock
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
