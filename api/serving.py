"""The API's snapshot in service: one watcher per serving folder per process.

What a published snapshot is, how a version is opened and how the switch to a new one stays
atomic belong to the `snapshot` package (`snapshot.reader`, `snapshot.watcher`); the API only
keeps the watcher every request shares. The names routers and dependencies import are
passed on from here.
"""

from __future__ import annotations

import threading
from pathlib import Path

from snapshot.reader import NoSnapshot, Snapshot, open_snapshot
from snapshot.watcher import SnapshotWatcher

__all__ = ["NoSnapshot", "Snapshot", "SnapshotWatcher", "open_snapshot", "watcher"]

_watchers: dict[Path, SnapshotWatcher] = {}
_watchers_lock = threading.Lock()


def watcher(serving: Path) -> SnapshotWatcher:
    """One watcher per serving folder per process, shared by every request."""
    with _watchers_lock:
        if serving not in _watchers:
            _watchers[serving] = SnapshotWatcher(serving)
        return _watchers[serving]
