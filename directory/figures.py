"""Live figures the pipelines report per resource, and freshness against the update cycle.

They change with every certified batch, so they are kept beside the entry rather than in its
versioned document: a nightly batch must not bury a steward's edits in the history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.db import Database
from directory.errors import NotFound
from directory.model import UpdateCycle
from directory.tables import Entry, EntryFigures

# How old the last certified batch may be before the resource is late, per update cycle.
ALLOWED_AGE = {
    UpdateCycle.realtime: dt.timedelta(hours=2),
    UpdateCycle.daily: dt.timedelta(days=1, hours=12),
    UpdateCycle.weekly: dt.timedelta(days=8),
    UpdateCycle.monthly: dt.timedelta(days=33),
    UpdateCycle.quarterly: dt.timedelta(days=95),
    UpdateCycle.yearly: dt.timedelta(days=380),
}


class Freshness(StrEnum):
    fresh = "fresh"
    late = "late"
    stale = "stale"
    unknown = "unknown"


@dataclass(frozen=True)
class Figures:
    last_batch: str
    certified_at: dt.datetime
    quality_score: float
    certified_rows: int


def freshness(cycle: UpdateCycle, certified_at: dt.datetime | None, at: dt.datetime) -> Freshness:
    """Fresh within the cycle's allowance, late within twice that, stale beyond."""
    allowed = ALLOWED_AGE.get(cycle)
    if certified_at is None or allowed is None:
        return Freshness.unknown
    age = at - certified_at
    if age <= allowed:
        return Freshness.fresh
    return Freshness.late if age <= 2 * allowed else Freshness.stale


def read_figures(session: Session, code: str) -> Figures | None:
    row = session.get(EntryFigures, code)
    if row is None:
        return None
    return Figures(row.last_batch, row.certified_at, row.quality_score, row.certified_rows)


class LiveFigures:
    """What the pipelines call after certifying a batch."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def record(
        self,
        code: str,
        batch: str,
        certified_at: dt.datetime,
        quality_score: float,
        certified_rows: int,
    ) -> None:
        with self._db.write() as session:
            if session.get(Entry, code) is None:
                raise NotFound(f"no entry {code}: seed the catalogue from the contracts first")
            session.merge(
                EntryFigures(
                    code=code,
                    last_batch=batch,
                    certified_at=certified_at,
                    quality_score=quality_score,
                    certified_rows=certified_rows,
                )
            )

    def all(self) -> dict[str, Figures]:
        with self._db.read() as session:
            return {
                row.code: Figures(
                    row.last_batch, row.certified_at, row.quality_score, row.certified_rows
                )
                for row in session.scalars(select(EntryFigures))
            }

    def get(self, code: str) -> Figures | None:
        with self._db.read() as session:
            return read_figures(session, code)
