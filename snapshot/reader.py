"""A published snapshot opened for reading, never written.

The publisher's `current.json` names a version: its DuckDB file (for history and as-of reads)
and its key-lookup layout (sorted Arrow files memory-mapped, with fixed-width key arrays for
binary search). A `Snapshot` holds one version open; a request takes the one current when it
starts and uses it to the end, so a switch mid-request never mixes two versions
(`snapshot.watcher` makes the switch).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from snapshot.layout import keys_file, read_layout
from snapshot.manifest import current_version
from snapshot.quarantine_index import Quarantined, quarantine_index
from snapshot.sorted_keys import span


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
        start, stop = span(keys, key)
        # Value by value: a subject has a record or two, and converting a one-row slice
        # with `to_pylist` cost three times as much (the largest part of a prefill).
        columns = self._columns[resource]
        return [{name: value[row].as_py() for name, value in columns} for row in range(start, stop)]

    def rows_many(self, resource: str, keys: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
        """`rows` for many subjects in one pass: the keys found by one vectorised binary
        search, their rows taken from the table at once (a bulk prefill's batch), keyed by
        subject; a subject without a record is absent."""
        sorted_keys = self.keys.get(resource)
        if sorted_keys is None:
            return {}
        wanted = sorted({k for k in keys if len(k) == sorted_keys.dtype.itemsize})
        if not wanted:
            return {}
        probes = np.array([k.encode("utf-8", "replace") for k in wanted], dtype=sorted_keys.dtype)
        starts = np.searchsorted(sorted_keys, probes, side="left")
        stops = np.searchsorted(sorted_keys, probes, side="right")
        counts = stops - starts
        if not counts.sum():
            return {}
        rows = np.concatenate(
            [np.arange(a, b) for a, b in zip(starts, stops, strict=True) if b > a]
        )
        records = self.tables[resource].take(pa.array(rows)).to_pylist()
        found: dict[str, list[dict[str, Any]]] = {}
        at = 0
        for key, count in zip(wanted, counts.tolist(), strict=True):
            if count:
                found[key] = records[at : at + count]
                at += count
        return found

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


def open_snapshot(serving: Path) -> Snapshot:
    """The version `current.json` in `serving` names, opened: its layout mapped, its open
    quarantine indexed."""
    published = current_version(serving)
    if published is None:
        raise NoSnapshot(f"no snapshot published in {serving}; run `onceonly ingest`")
    layout = read_layout(published.layout)
    tables: dict[str, pa.Table] = {}
    keys: dict[str, np.ndarray] = {}
    for resource, entry in layout.items():
        source = pa.memory_map(str(published.layout / entry.file), "r")
        tables[resource] = pa.ipc.open_file(source).read_all()
        keys[resource] = np.load(published.layout / keys_file(resource), mmap_mode="r")
    snapshot = Snapshot(
        version=published.version,
        published_at=published.published_at,
        path=published.path,
        tables=tables,
        keys=keys,
        key_columns={resource: entry.key for resource, entry in layout.items()},
    )
    snapshot.quarantine = quarantine_index(snapshot.query)
    return snapshot
