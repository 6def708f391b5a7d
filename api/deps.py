"""Dependencies shared by the routers: what the lifespan (`api.lifespan`) opened, read from
`request.app.state`.

The reads are attribute look-ups, so the dependencies are `async def` (a plain `def` one runs
in the thread pool, and the hand-off costs more than the look-up); the ones with disk work to
do hand it to a worker thread themselves. The `*_of(app)` forms serve code that holds the app
rather than a request: the refusal edge, the console.
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from starlette.applications import Starlette

from api.exchange.cases import CaseRegisters
from api.exchange.catalogue import CatalogueCache
from api.middleware import TokenBuckets
from api.reads.bulk_jobs import BulkJobs
from api.serving import NoSnapshot, Snapshot, SnapshotWatcher
from api.signing import ExtractSigner, SigningKeyError
from directory.audit import AuditLog
from directory.prefilled import FormRecorder
from directory.store import Directory
from settings import Settings
from snapshot.analytics.database import HeldDatabase
from snapshot.analytics.workbench import Workbench


def _opened(app: Starlette, name: str) -> Any:
    try:
        return getattr(app.state, name)
    except AttributeError:
        raise RuntimeError(
            f"the app holds no {name}: it was not started. Serve it with uvicorn, or in a test "
            "enter `with TestClient(app)`, so that its lifespan opens what it holds"
        ) from None


def directory_of(app: Starlette) -> Directory:
    opened: Directory = _opened(app, "directory")
    return opened


def settings_of(app: Starlette) -> Settings:
    opened: Settings = _opened(app, "settings")
    return opened


def audit_of(app: Starlette) -> AuditLog:
    opened: AuditLog = _opened(app, "audit")
    return opened


def catalogue_of(app: Starlette) -> CatalogueCache:
    opened: CatalogueCache = _opened(app, "catalogue")
    return opened


def case_registers_of(app: Starlette) -> CaseRegisters:
    opened: CaseRegisters = _opened(app, "case_registers")
    return opened


def bulk_jobs_of(app: Starlette) -> BulkJobs:
    opened: BulkJobs = _opened(app, "bulk_jobs")
    return opened


def form_recorder_of(app: Starlette) -> FormRecorder:
    opened: FormRecorder = _opened(app, "form_recorder")
    return opened


def analytics_of(app: Starlette) -> HeldDatabase:
    opened: HeldDatabase = _opened(app, "analytics")
    return opened


def workbench_of(app: Starlette) -> Workbench:
    opened: Workbench = _opened(app, "workbench")
    return opened


def verify_buckets_of(app: Starlette) -> TokenBuckets:
    """The public verification page's rate limit, per client address."""
    opened: TokenBuckets = _opened(app, "verify_buckets")
    return opened


def snapshots_of(app: Starlette) -> SnapshotWatcher:
    opened: SnapshotWatcher = _opened(app, "snapshots")
    return opened


async def get_directory(request: Request) -> Directory:
    """The app's directory (connection pool, in-memory indexes), opened at start-up."""
    return directory_of(request.app)


async def get_audit(request: Request) -> AuditLog:
    """The audit log, whose writer thread commits the entries a route waits for."""
    return audit_of(request.app)


async def current_snapshot(request: Request) -> Snapshot:
    """The published snapshot this request reads from start to end.

    The common case (the snapshot in service, checked less than half a second ago) costs no
    thread-pool hand-off; checking the manifest and opening a new version run in a worker
    thread."""
    watching = snapshots_of(request.app)
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


async def published_snapshot(request: Request) -> Snapshot | None:
    """The snapshot in service, or None before anything is published: for reads whose
    directory part is worth answering without it (a steward's inbox)."""
    try:
        return await current_snapshot(request)
    except HTTPException:
        return None


def get_signer(request: Request) -> ExtractSigner:
    """The app's extract signer, its key loaded (or generated) on first use; a plain `def`,
    so that disk work runs in a worker thread. A key that cannot be loaded answers 503
    `signing_key_unavailable` instead of signing nothing."""
    signer: ExtractSigner = _opened(request.app, "signer")
    try:
        signer.public_key_pem()
    except SigningKeyError as error:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail={"code": "signing_key_unavailable", "message": str(error)},
        ) from error
    return signer
