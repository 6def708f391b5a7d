"""The grant check the exchange runs on every read: may department D read items I of resource
R for service item S on day T?

It is answered from memory, because it sits in front of every clerk's lookup: the grants are
loaded from the store into a dict keyed by (D, R, S) and reloaded when the store's share
request events or entry versions move on (checked at most once per `max_age` seconds, and at
once after a change made through this process).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from directory.db import Database
from directory.tables import Entry, EntryVersion, ShareRequest, ShareRequestEvent
from directory.workdays import local_today

_GRANTED = "granted"
_WITHDRAWN = "withdrawn"


@dataclass(frozen=True, slots=True)
class Grant:
    request_id: int
    items: frozenset[str] | None  # None: every item of the resource
    valid_from: dt.date
    valid_until: dt.date | None
    daily_quota: int | None


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: str
    request_id: int | None = None
    daily_quota: int | None = None
    items: frozenset[str] | None = None  # what the grant names (None: the whole resource)


Key = tuple[str, str, str]


class GrantIndex:
    def __init__(self, db: Database, max_age: float = 1.0) -> None:
        self._db = db
        self._max_age = max_age
        self._lock = threading.Lock()
        self._grants: dict[Key, tuple[Grant, ...]] = {}
        self._providers: dict[str, tuple[str, bool]] = {}  # code -> (provider, withdrawn)
        self._generation: tuple[int | None, int | None] | None = None
        self._checked_at = -float("inf")

    def invalidate(self) -> None:
        """Reload before the next check (called after a change made in this process)."""
        self._checked_at = -float("inf")

    def may_read(
        self,
        department: str,
        resource: str,
        items: Iterable[str],
        service_item: str,
        on: dt.date | None = None,
    ) -> bool:
        return self.check(department, resource, items, service_item, on).allowed

    def check(
        self,
        department: str,
        resource: str,
        items: Iterable[str],
        service_item: str,
        on: dt.date | None = None,
    ) -> Decision:
        if self.due():
            self.refresh()
        provider = self._providers.get(resource)
        if provider is None:
            return Decision(False, f"no resource {resource} in the catalogue")
        if provider[1]:
            return Decision(False, f"{resource} has been withdrawn from the catalogue")
        if provider[0] == department:
            return Decision(True, f"{department} provides {resource}")
        day = on or local_today()
        wanted = items if isinstance(items, frozenset) else frozenset(items)
        refusal = ""
        for grant in self._grants.get((department, resource, service_item), ()):
            if day < grant.valid_from:
                refusal = f"grant #{grant.request_id} starts on {grant.valid_from}"
            elif grant.valid_until is not None and day > grant.valid_until:
                refusal = f"grant #{grant.request_id} ended on {grant.valid_until}; renew it"
            elif grant.items is not None and not wanted <= grant.items:
                missing = ", ".join(sorted(wanted - grant.items))
                refusal = f"grant #{grant.request_id} does not cover {missing}; request them"
            else:
                return Decision(
                    True,
                    f"granted by request #{grant.request_id}",
                    grant.request_id,
                    grant.daily_quota,
                    grant.items,
                )
        return Decision(
            False,
            refusal
            or f"{department} holds no grant for {resource} for service item {service_item}; "
            "submit a share request",
        )

    def due(self) -> bool:
        """Whether the next check reads the store first; an async caller can `refresh` in a
        worker thread beforehand, so the check itself touches memory only."""
        return time.monotonic() - self._checked_at > self._max_age

    def refresh(self) -> None:
        """Reload the grants if the store moved on since the last check (when due)."""
        with self._lock:
            if time.monotonic() - self._checked_at <= self._max_age:
                return
            with self._db.read() as session:
                generation = (
                    session.scalar(select(func.max(ShareRequestEvent.id))),
                    session.scalar(select(func.max(EntryVersion.id))),
                )
                if generation != self._generation:
                    self._load(session)
                    self._generation = generation
            self._checked_at = time.monotonic()

    def _load(self, session: Session) -> None:
        grants: dict[Key, list[Grant]] = {}
        rows = session.execute(
            select(
                ShareRequest.id,
                ShareRequest.requester_department,
                ShareRequest.resource_code,
                ShareRequest.service_item_code,
                ShareRequest.items,
                ShareRequest.valid_from,
                ShareRequest.valid_until,
                ShareRequest.daily_quota,
            ).where(ShareRequest.status == _GRANTED)
        )
        for rid, department, resource, item, names, start, until, quota in rows:
            grant = Grant(rid, frozenset(names) if names is not None else None, start, until, quota)
            grants.setdefault((department, resource, item), []).append(grant)
        providers = session.execute(
            select(Entry.code, Entry.provider_department, Entry.status)
        ).tuples()
        self._grants = {k: tuple(v) for k, v in grants.items()}
        self._providers = {code: (dept, status == _WITHDRAWN) for code, dept, status in providers}
