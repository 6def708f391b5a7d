"""Dependencies shared by the routers: the snapshot in service."""

from __future__ import annotations

from fastapi import HTTPException, status
from fastapi.concurrency import run_in_threadpool

import settings
from api.serving import NoSnapshot, Snapshot, watcher


async def current_snapshot() -> Snapshot:
    """The published snapshot this request reads from start to end.

    `async def`, so the common case (the snapshot in service, checked less than half a second
    ago) costs no thread-pool hand-off; checking the manifest and opening a new version run in
    a worker thread."""
    watching = watcher(settings.current().serving)
    try:
        fresh = watching.fresh()
        return fresh if fresh is not None else await run_in_threadpool(watching.current)
    except NoSnapshot as error:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail={
                "code": "no_snapshot",
                "message": "Nothing is published yet: run `onceonly ingest` (or `make run`).",
            },
        ) from error
