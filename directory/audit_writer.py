"""Group commit for the audit log: one writer thread, one transaction per group of batches.

Every read the exchange answers is logged before the answer leaves, and one write transaction
per request cost more than the answer itself. So callers queue their batch of events and wait
on a future; the writer thread takes whatever is queued, commits it all in one transaction on
a connection it keeps open, and resolves every future of the group (or fails every one with
the error, so no caller returns an answer that was not logged). Async callers wait without a
thread of their own (`asyncio.wrap_future`). One writer per process keeps the hash chain in
sequence; processes still queue on the database's write lock.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlalchemy.pool import PoolProxiedConnection

from directory.db import Database

E = TypeVar("E")
Write = Callable[[PoolProxiedConnection, list[E]], list[int]]


@dataclass
class _Batch(Generic[E]):
    events: list[E]
    future: Future[list[int]] = field(default_factory=Future)


class GroupWriter(Generic[E]):
    """Runs `write(connection, events)` on one thread for every group of queued batches;
    `write` opens and commits the transaction, and returns one sequence number per event."""

    def __init__(self, db: Database, write: Write[E]) -> None:
        self._db = db
        self._write = write
        self._queue: queue.SimpleQueue[_Batch[E] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._start_lock = threading.Lock()

    def submit(self, events: list[E]) -> Future[list[int]]:
        """Queue `events` (all committed together or none); the future holds their sequence
        numbers once committed, or the error that kept them from the log."""
        batch = _Batch(events)
        self._queue_for_this_process().put(batch)
        return batch.future

    def close(self) -> None:
        """Commit what is queued, then stop the thread (it starts again if used later)."""
        with self._start_lock:
            thread, self._thread = self._thread, None
            if thread is not None and self._pid == os.getpid():
                self._queue.put(None)
                thread.join()

    def _queue_for_this_process(self) -> queue.SimpleQueue[_Batch[E] | None]:
        # Started on first use, and again in a forked child, which inherits no threads.
        if self._thread is None or self._pid != os.getpid():
            with self._start_lock:
                if self._thread is None or self._pid != os.getpid():
                    self._queue, self._pid = queue.SimpleQueue(), os.getpid()
                    self._thread = threading.Thread(
                        target=self._run, args=(self._queue,), name="audit-writer", daemon=True
                    )
                    self._thread.start()
        return self._queue

    def _run(self, waiting: queue.SimpleQueue[_Batch[E] | None]) -> None:
        connection: PoolProxiedConnection | None = None
        stopping = False
        while not stopping:
            group = [waiting.get()]
            while not waiting.empty():
                group.append(waiting.get_nowait())
            stopping = None in group
            batches = [b for b in group if b is not None]
            if batches:
                connection = self._commit(connection, batches)
        if connection is not None:
            connection.close()

    def _commit(
        self, connection: PoolProxiedConnection | None, batches: list[_Batch[E]]
    ) -> PoolProxiedConnection | None:
        """Write the group; returns the connection to keep (None after a failure, so a broken
        one is not reused)."""
        # A caller that gave up waiting still has its events logged: the read was answered.
        waiting = [b.future.set_running_or_notify_cancel() for b in batches]
        try:
            if connection is None:
                connection = self._db.driver_connection()
            sequences = self._write(connection, [e for b in batches for e in b.events])
        except BaseException as error:  # every caller of the group is told, and fails
            if connection is not None:
                connection.invalidate()  # it may be broken; a new one is opened next time
            for batch, waits in zip(batches, waiting, strict=True):
                if waits:
                    batch.future.set_exception(error)
            return None
        start = 0
        for batch, waits in zip(batches, waiting, strict=True):
            end = start + len(batch.events)
            if waits:
                batch.future.set_result(sequences[start:end])
            start = end
        return connection
