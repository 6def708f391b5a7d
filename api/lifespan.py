"""What the API holds open while it serves: opened at start-up into `app.state`, closed at
shutdown.

- `settings`: the settings read from the environment at start-up, which every request
  consults (reading them again per request cost a tenth of a prefill's CPU);
- `directory`: the directory at the configured URL (its connection pool and the in-memory
  search, grant and token indexes: one per process, not one per request);
- `audit`: the directory's audit log, whose writer thread group-commits the entries every
  read waits for; shutdown commits what is queued before the connections close;
- `snapshots`: the watcher that hands each request the published snapshot in service;
- `signer`: the extract signer, which reads the centre's key from disk once;
- `verify_buckets`: the public verification page's rate limit per client address;
- `catalogue`: the catalogue state every read consults, refreshed every second;
- `case_registers`: the case register of the snapshot in service, indexed once per version;
- `bulk_jobs`: the bulk prefill jobs' folders and the worker thread that runs them;
- `form_recorder`: the writer thread that records what each prefill put into a case's form;
- `analytics`: the analytical database, held open read-only and reopened on a new build;
- `workbench`: the SQL workbench's worker process, which holds the database open too, so a
  small query answers in milliseconds.

Held by the app rather than by module-level registries, so two apps in one process (tests do
that) share nothing by accident, and what an app opened is closed when it stops.
Dependencies read them through `api.deps`. With uvicorn (`onceonly serve`) the lifespan runs
on its own; a test client runs it inside `with TestClient(app)`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

import settings
from api.exchange.cases import CaseRegisters
from api.exchange.catalogue import CatalogueCache
from api.middleware import TokenBuckets
from api.reads.bulk_jobs import BulkJobs
from api.serving import SnapshotWatcher
from api.signing import ExtractSigner, SignerSettings
from directory.prefilled import FormRecorder
from directory.store import Directory, open_directory
from snapshot.analytics.database import HeldDatabase, database_path
from snapshot.analytics.workbench import Workbench

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def lifespan(directory: Directory | None = None) -> Lifespan:
    """The app's lifespan. It opens the configured directory and closes it at shutdown, or,
    given one its caller opened (a test that prepared it before serving), uses that one and
    leaves it open for its owner to close."""

    @asynccontextmanager
    async def serving(app: FastAPI) -> AsyncIterator[None]:
        config = settings.current()
        # Opening migrates the database: in a worker thread, off the event loop.
        held = (
            directory
            if directory is not None
            else await run_in_threadpool(open_directory, config.directory_url)
        )
        state = app.state
        state.settings = config
        state.directory = held
        state.audit = held.audit
        state.snapshots = SnapshotWatcher(config.serving)
        state.signer = ExtractSigner(SignerSettings.from_env())
        rate = config.verify_rate_limit
        state.verify_buckets = TokenBuckets(rate, rate * 10)
        state.catalogue = CatalogueCache(held)
        state.case_registers = CaseRegisters()
        state.bulk_jobs = BulkJobs(config.home / "bulk")
        state.form_recorder = FormRecorder(held.prefilled)
        state.analytics = HeldDatabase(database_path())
        state.workbench = Workbench(database_path())
        try:
            yield
        finally:
            await run_in_threadpool(state.bulk_jobs.close)
            await run_in_threadpool(state.form_recorder.close)
            await run_in_threadpool(state.workbench.close)
            await run_in_threadpool(state.analytics.close)
            if directory is None:  # what this app opened, it closes
                await run_in_threadpool(_close, held)

    return serving


def _close(directory: Directory) -> None:
    """Commit the queued audit entries, then close the directory's connections."""
    directory.audit.close()
    directory.close()
