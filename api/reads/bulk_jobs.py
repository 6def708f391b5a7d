"""Bulk prefill jobs: where each one's files and progress live, and the thread that runs them.

A job is a folder under `$ONCEONLY_HOME/bulk/<job id>`: the uploaded list, the workbook being
written, and `state.json`, its progress, replaced atomically after every batch. The state is
on disk rather than in the process's memory so that every API process of a host (`onceonly
serve --workers N`) answers the progress and download routes of a job another one runs; a
deployment of several hosts routes a clerk's job routes to the host that took the upload.
The id is random (a job is found only by the clerk who has it, and answered only to the
clerk who started it). Jobs run one at a time per process, in one worker thread, so a
large list does not take the cores the exchange's single reads need. The workbook holds
personal data: a job's folder is removed a day after it started.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

KEEP_SECONDS = 24 * 3600
STATE = "state.json"
WORKBOOK = "prefill.xlsx"
UPLOAD = "upload"


@dataclass
class BulkState:
    """A job's progress, as the progress route answers it."""

    job: str
    user: str
    department: str
    service_item: str
    status: str  # running | done | failed
    rows_total: int
    rows_done: int = 0
    served: int = 0
    partial: int = 0
    refused: int = 0
    snapshot_version: int = 0
    created_at: str = ""
    finished_at: str | None = None
    error: str | None = None


class BulkJobs:
    """This process's bulk prefill jobs, in `folder`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._runner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulk-prefill")

    def new(self) -> tuple[str, Path]:
        """A fresh job id and its empty folder (old jobs' folders are removed first)."""
        self.sweep()
        job = uuid.uuid4().hex
        path = self.folder / job
        path.mkdir(parents=True)
        return job, path

    def path(self, job: str) -> Path:
        return self.folder / job

    def save(self, state: BulkState) -> None:
        """Write `state` atomically: a reader sees the previous state or this one."""
        target = self.path(state.job) / STATE
        partial = target.with_suffix(".part")
        partial.write_text(json.dumps(asdict(state), ensure_ascii=False), encoding="utf-8")
        os.replace(partial, target)

    def state(self, job: str) -> BulkState | None:
        """The job's progress, or None when there is no such job (or its id is malformed)."""
        if len(job) != 32 or not all(c in "0123456789abcdef" for c in job):
            return None
        try:
            text = (self.path(job) / STATE).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        return BulkState(**json.loads(text))

    def start(self, state: BulkState, work: Callable[[], None]) -> Future[None]:
        state.created_at = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        self.save(state)
        return self._runner.submit(work)

    def sweep(self) -> None:
        """Remove the folders of jobs started more than a day ago."""
        if not self.folder.exists():
            return
        cutoff = time.time() - KEEP_SECONDS
        for path in self.folder.iterdir():
            with contextlib.suppress(OSError):
                if path.stat().st_mtime < cutoff:
                    shutil.rmtree(path, ignore_errors=True)

    def close(self) -> None:
        """Let a running job finish (its rows are audited as it goes), start no other."""
        self._runner.shutdown(wait=True, cancel_futures=True)
