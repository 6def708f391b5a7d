"""Runs whose process is gone: recognised by a lock that dies with its holder, then failed.

A step that writes the pool claims the `pool_writer` concurrency slot in Dagster's storage
and frees it when it ends. A process killed with SIGKILL, crashed or switched off never frees
it, and Dagster cannot tell: `onceonly ingest` runs in process, and the default run launcher
has no worker health check. The run stays "started" and every later writer waits for the
slot forever, which breaks the promise that a failed or killed run never blocks the next.

So every run that opens the pool holds an exclusive `flock` on a file named after the run
for as long as its process lives (`hold_run_lock`). The kernel drops that lock when the
process ends, however it ends, on this machine's own Dagster home. A run that is not
finished and whose lock anyone can take is dead: `recover_dead_runs` marks it failed with
the reason and frees its slot. DuckDB has already rolled back what the run had not committed.

`fcntl` rather than a lock-file library: the file must never exist unlocked (it is locked
under a temporary name, then renamed into place), or a run starting up would look dead.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from pipelines.asset_keys import POOL_WRITER

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())  # callers show the message; only a configured log adds it

LOCK_DIRECTORY = "run_locks"
LOCK_SUFFIX = ".lock"
WATCH_INTERVAL_SECONDS = 5.0

_held: dict[str, int] = {}  # run id -> descriptor whose lock this process holds


@dataclass(frozen=True)
class DeadRun:
    """A run that stopped unfinished because its process is gone; now failed and freed."""

    run_id: str
    file: str

    @property
    def message(self) -> str:
        return (
            f"run {self.run_id[:8]} ({self.file}) stopped unfinished: its process is gone "
            "(killed, crashed or the machine restarted). It is marked failed and its "
            f"{POOL_WRITER} slot is freed; what it had not committed was rolled back. "
            "`onceonly ingest` lands the file again."
        )


def lock_directory(instance: dg.DagsterInstance) -> Path:
    return Path(instance.root_directory) / LOCK_DIRECTORY


def hold_run_lock(instance: dg.DagsterInstance, run_id: str) -> None:
    """Hold the run's lock until `release_run_lock` or the end of this process."""
    if run_id in _held:
        return
    directory = lock_directory(instance)
    directory.mkdir(parents=True, exist_ok=True)
    staging = directory / f".{run_id}.{os.getpid()}"
    descriptor = os.open(staging, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(descriptor, f"{os.getpid()}\n".encode())
        os.replace(staging, directory / f"{run_id}{LOCK_SUFFIX}")
    except BaseException:
        os.close(descriptor)
        staging.unlink(missing_ok=True)
        raise
    _held[run_id] = descriptor


def release_run_lock(instance: dg.DagsterInstance, run_id: str) -> None:
    """Once the run is finished: remove its lock file, then let go of the lock."""
    descriptor = _held.pop(run_id, None)
    if descriptor is None:
        return
    (lock_directory(instance) / f"{run_id}{LOCK_SUFFIX}").unlink(missing_ok=True)
    os.close(descriptor)


def recover_dead_runs(instance: dg.DagsterInstance) -> list[DeadRun]:
    """Fail every unfinished run whose process is gone and free its concurrency slots.

    Each one is logged with the same message the caller shows. Lock files of finished runs
    whose process has ended are removed on the way.
    """
    directory = lock_directory(instance)
    if not directory.is_dir():
        return []
    dead: list[DeadRun] = []
    for path in sorted(directory.glob(f"*{LOCK_SUFFIX}")):
        run_id = path.name.removesuffix(LOCK_SUFFIX)
        if run_id in _held:
            continue
        try:
            descriptor = os.open(path, os.O_RDWR)
        except FileNotFoundError:  # released meanwhile
            continue
        try:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # its process is alive
            run = instance.get_run_by_id(run_id)
            if run is not None and not run.is_finished:
                found = DeadRun(run_id, run.tags.get("onceonly/file", run.job_name))
                log.warning(found.message)
                instance.report_run_failed(run, found.message)
                dead.append(found)
            if instance.event_log_storage.supports_global_concurrency_limits:
                instance.event_log_storage.free_concurrency_slots_for_run(run_id)
            path.unlink(missing_ok=True)
        finally:
            os.close(descriptor)
    return dead


@contextmanager
def watching_for_dead_runs(
    instance: dg.DagsterInstance,
    on_dead_run: Callable[[DeadRun], None] | None = None,
    interval: float = WATCH_INTERVAL_SECONDS,
) -> Iterator[None]:
    """Recover dead runs now, then every `interval` seconds until the block ends.

    Runs started meanwhile by this process wait for the `pool_writer` slot inside Dagster,
    which never looks again at who holds it: if the holder dies during that wait, only this
    watch frees the slot.
    """

    def recover() -> None:
        for dead in recover_dead_runs(instance):
            if on_dead_run is not None:
                on_dead_run(dead)

    recover()
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(interval):
            recover()

    watcher = threading.Thread(target=watch, name="dead-run-watch", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        watcher.join()
