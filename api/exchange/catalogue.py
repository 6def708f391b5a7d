"""The part of the directory every read consults, held in memory and refreshed every second.

Sharing terms and the materials map change a few times a day; reads happen hundreds of times a
second. Reading them through SQLAlchemy on each request would cost more than the lookup
itself, so a snapshot of them is kept and swapped whole when its time is up.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from directory.model import EntryDocument
from directory.services import BundleDoc, ServiceItemView
from directory.store import Directory

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
        self._loaded_at = -float("inf")
        self._lock = threading.Lock()

    def current(self) -> CatalogueState:
        if self._state is None or time.monotonic() - self._loaded_at > self._max_age:
            with self._lock:
                if self._state is None or time.monotonic() - self._loaded_at > self._max_age:
                    self._state = self._load()
                    self._loaded_at = time.monotonic()
        assert self._state is not None
        return self._state

    def _load(self) -> CatalogueState:
        entries = {view.code: view.document for view in self._directory.entries.all()}
        return CatalogueState(
            entries_by_code=entries,
            code_by_contract={d.contract_id: c for c, d in entries.items() if d.contract_id},
            service_items={v.item.code: v for v in self._directory.services.items()},
            bundles={b.code: b for b in self._directory.services.bundles()},
        )
