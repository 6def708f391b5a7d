"""The part of the directory every read consults, held in memory and refreshed every second.

Sharing terms and the materials map change a few times a day; reads happen hundreds of times a
second. Reading them through SQLAlchemy on each request would cost more than the lookup
itself, so a snapshot of them is kept and swapped whole when the directory changed.

Reloading the whole state takes ~50 ms with the sample directory (more with a real one), so
each second only its generation is read, one small query, as the grant index does: the newest
entry version, the service items' count and last update (every mapping change stamps its
item), and the bundles as they stand (they carry no stamp, and are a few rows). While one
request checks, the others carry on with the state they have instead of queueing behind it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy import func, select

from directory.model import EntryDocument
from directory.service_model import BundleDoc, ServiceItemView
from directory.store import Directory
from directory.tables import Bundle, BundleItem, EntryVersion, ServiceItem

REFRESH_SECONDS = 1.0


@dataclass(frozen=True)
class CatalogueState:
    entries_by_code: dict[str, EntryDocument]
    code_by_contract: dict[str, str]
    service_items: dict[str, ServiceItemView]
    bundles: dict[str, BundleDoc]

    def entry_for_contract(self, contract_id: str) -> EntryDocument | None:
        code = self.code_by_contract.get(contract_id)
        return self.entries_by_code.get(code) if code else None


class CatalogueCache:
    def __init__(self, directory: Directory, max_age: float = REFRESH_SECONDS) -> None:
        self._directory = directory
        self._max_age = max_age
        self._state: CatalogueState | None = None
        self._generation: object = None
        self._checked_at = -float("inf")
        self._lock = threading.Lock()

    def due(self) -> bool:
        """Whether `current` would read the directory (first load, or the periodic check):
        async callers `refresh` in a worker thread first, so `current` only reads memory."""
        return self._state is None or time.monotonic() - self._checked_at > self._max_age

    def refresh(self) -> None:
        self.current()

    def current(self) -> CatalogueState:
        state = self._state
        if state is not None and time.monotonic() - self._checked_at <= self._max_age:
            return state
        # Only the first state is waited for; later checks are skipped while one runs.
        if not self._lock.acquire(blocking=state is None):
            assert state is not None
            return state
        try:
            if self._state is None or time.monotonic() - self._checked_at > self._max_age:
                generation = self._read_generation()
                if self._state is None or generation != self._generation:
                    self._state, self._generation = self._load(), generation
                self._checked_at = time.monotonic()
            return self._state
        finally:
            self._lock.release()

    def _read_generation(self) -> object:
        with self._directory.db.read() as session:
            return (
                session.scalar(select(func.max(EntryVersion.id))),
                tuple(
                    session.execute(select(func.count(), func.max(ServiceItem.updated_at))).one()
                ),
                tuple(
                    session.execute(
                        select(Bundle.code, Bundle.name, Bundle.description).order_by(Bundle.code)
                    ).tuples()
                ),
                tuple(
                    session.execute(
                        select(
                            BundleItem.bundle_code,
                            BundleItem.service_item_code,
                            BundleItem.position,
                        ).order_by(BundleItem.bundle_code, BundleItem.position)
                    ).tuples()
                ),
            )

    def _load(self) -> CatalogueState:
        entries = {view.code: view.document for view in self._directory.entries.all()}
        return CatalogueState(
            entries_by_code=entries,
            code_by_contract={d.contract_id: c for c, d in entries.items() if d.contract_id},
            service_items={v.item.code: v for v in self._directory.services.items()},
            bundles={b.code: b for b in self._directory.services.bundles()},
        )
