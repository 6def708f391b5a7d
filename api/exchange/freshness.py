"""In-memory directory state that a read consults, brought up to date off the event loop.

The catalogue, the grant index and the open objections are held in memory and re-checked
against the directory at most every second. The check is a query, and a reload when something
changed takes tens of milliseconds: on the event loop that would stall every request in
flight. So async routes first ask which of them is due and refresh those in a worker thread
(about once a second, not once a request); the answer is then computed from memory alone.
"""

from __future__ import annotations

from typing import Protocol

from fastapi.concurrency import run_in_threadpool


class Refreshable(Protocol):
    def due(self) -> bool: ...

    def refresh(self) -> None: ...


async def refresh_due(*states: Refreshable) -> None:
    """Refresh, in one worker thread, each of `states` whose periodic check is due."""
    stale = [state for state in states if state.due()]
    if stale:
        await run_in_threadpool(_refresh, stale)


def _refresh(states: list[Refreshable]) -> None:
    for state in states:
        state.refresh()
