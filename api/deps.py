"""Dependencies shared by the routers: the snapshot in service."""

from __future__ import annotations

from fastapi import HTTPException, status

from api.serving import NoSnapshot, Snapshot, watcher
from api.settings import serving_dir


def current_snapshot() -> Snapshot:
    """The published snapshot this request reads from start to end."""
    try:
        return watcher(serving_dir()).current()
    except NoSnapshot as error:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail={
                "code": "no_snapshot",
                "message": "Nothing is published yet: run `onceonly ingest` (or `make run`).",
            },
        ) from error
