"""The directory as one object: open it by URL and reach every part from it.

Pipelines, the API and the CLI each hold one per process; it owns the engine and the
in-memory indexes (search, grants), which is why it is long-lived rather than per request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import settings
from contracts.model import Contract
from contracts.registry import bundled_contracts
from directory.audit import AuditLog
from directory.conflict_resolutions import ConflictResolutions
from directory.console_sessions import ConsoleSessions
from directory.contract_sync import ContractSync, sync_contracts
from directory.db import Database
from directory.entries import EntryStore
from directory.figures import LiveFigures
from directory.grants import GrantIndex
from directory.identity import Identity
from directory.objections import Objections
from directory.onceonly import OnceOnlyFigure, once_only_figure
from directory.prefilled import PrefilledForms
from directory.search import SearchIndex
from directory.services import ServiceMap
from directory.sharing import ShareRequests
from directory.webhooks import Webhooks
from directory.workdays import local_today


class Directory:
    def __init__(self, url: str) -> None:
        self.db = Database(url)
        self.grants = GrantIndex(self.db)
        self.entries = EntryStore(self.db, self.grants.invalidate)
        self.figures = LiveFigures(self.db)
        self.search = SearchIndex(self.db)
        self.services = ServiceMap(self.db)
        self.requests = ShareRequests(self.db, self.grants.invalidate)
        self.identity = Identity(self.db)
        self.console_sessions = ConsoleSessions(self.db)
        self.audit = AuditLog(self.db)
        self.objections = Objections(self.db, self.audit.subject_hash)
        self.conflicts = ConflictResolutions(self.db)
        self.webhooks = Webhooks(self.db)
        self.prefilled = PrefilledForms(self.db)

    def sync_contracts(self, contracts: dict[str, Contract] | None = None) -> list[ContractSync]:
        """Seed or update entries from the contracts (default: those shipped with the code)."""
        results = sync_contracts(
            self.db, contracts if contracts is not None else bundled_contracts()
        )
        self.grants.invalidate()
        return results

    def once_only(
        self, on: dt.date | None = None, service_items: Iterable[str] | None = None
    ) -> OnceOnlyFigure:
        day = on or local_today()
        return once_only_figure(
            self.services,
            self.entries,
            self.grants,
            self.requests.list(today=day),
            day,
            service_items,
        )

    def close(self) -> None:
        self.audit.close()
        self.identity.close()
        self.db.dispose()


def open_directory(url: str | None = None) -> Directory:
    """The directory at `url`, or at ONCEONLY_DIRECTORY_URL / the embedded default."""
    return Directory(url or settings.current().directory_url)
