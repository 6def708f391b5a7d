"""Dagster resources: the DuckDB pool and the landing zone."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from directory.store import Directory, open_directory
from pipelines.run_liveness import hold_run_lock

LOCK_RETRY_SECONDS = 0.5
CERTIFIED = "certified"  # catalog name of the attached certified-history database


class PoolResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """The resource pool, DuckDB files that only pipelines write.

    `path` holds what landed; `certified_path` (attached as `certified`) holds certified
    history and quality records, and is what a published snapshot copies.

    DuckDB lets one process hold a file read-write, so a writer that finds the file locked
    waits (up to `lock_timeout_seconds`) instead of failing at once: runs are serialised by
    the `pool_writer` concurrency pool, but a CLI command may be writing at the same time.
    """

    path: str
    certified_path: str
    serving_path: str
    memory_limit: str = "4GB"  # DuckDB's share; the Arrow key batches live beside it
    threads: int = 2
    lock_timeout_seconds: float = 120.0

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        # Before any step claims the pool_writer slot: a run whose process dies while it holds
        # the slot is then recognised as dead, and the slot freed (pipelines.run_liveness).
        if context.instance is not None and context.run is not None:
            hold_run_lock(context.instance, context.run.run_id)

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        path = Path(self.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        spill = path.parent / "spill"
        con = self._open_waiting(path)
        try:
            con.execute(f"SET memory_limit = '{self.memory_limit}'")
            con.execute(f"SET threads = {int(self.threads)}")
            con.execute(f"SET temp_directory = '{spill.as_posix()}'")
            con.execute(f"ATTACH '{Path(self.certified_path).as_posix()}' AS {CERTIFIED}")
            yield con
        finally:
            con.close()

    def _open_waiting(self, path: Path) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + self.lock_timeout_seconds
        while True:
            try:
                return duckdb.connect(str(path))
            except duckdb.IOException as error:
                if "lock" not in str(error).lower() or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"the pool {path} is held by another process ({error}); wait for the "
                        "running job to finish, or stop the process that holds it"
                    ) from error
                time.sleep(LOCK_RETRY_SECONDS)


class LandingZoneResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """Where departments deliver files, and where transcoded copies are kept while landing."""

    root: str
    scratch: str
    settle_seconds: float = 5.0

    @property
    def root_path(self) -> Path:
        return Path(self.root)

    @property
    def scratch_path(self) -> Path:
        return Path(self.scratch)


class DirectoryResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """The resource directory (catalogue), where certification posts each entry's live figures.

    `url` is a SQLAlchemy URL; None means the embedded default (ONCEONLY_DIRECTORY_URL).
    """

    url: str | None = None

    @contextmanager
    def open(self) -> Iterator[Directory]:
        directory = open_directory(self.url)
        try:
            yield directory
        finally:
            directory.close()
