"""The snapshot in service, switched atomically when the publisher names a new version.

Until a first snapshot is open, callers wait for it (answering "nothing published" to the
ones that arrive while it opens would fail them for no reason). After that, one caller at a
time checks the manifest and opens a new version, and the others keep reading the version in
service instead of queueing behind the open, which takes a while on a large pool. The switch
is a reference swap after the new version is fully open; callers that took the previous one
keep it (its memory maps and DuckDB handle) until they finish.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from snapshot.manifest import manifest_mtime
from snapshot.reader import NoSnapshot, Snapshot, open_snapshot

CHECK_EVERY_SECONDS = 0.5


class SnapshotWatcher:
    """Hands out the current snapshot, re-reading the manifest at most every half second."""

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
            return  # another caller checked while this one waited for the lock
        self._checked_at = time.monotonic()
        mtime = manifest_mtime(self._serving)
        if mtime is None or mtime == self._manifest_mtime:
            return
        self._current, self._manifest_mtime = open_snapshot(self._serving), mtime
