"""The names routers and dependencies use for the snapshot in service.

What a published snapshot is, how a version is opened and how the switch to a new one stays
atomic belong to the `snapshot` package (`snapshot.reader`, `snapshot.watcher`); the app's
lifespan opens one watcher into `app.state.snapshots`, which every request shares.
"""

from __future__ import annotations

from snapshot.reader import NoSnapshot, Snapshot, open_snapshot
from snapshot.watcher import SnapshotWatcher

__all__ = ["NoSnapshot", "Snapshot", "SnapshotWatcher", "open_snapshot"]
