"""The conflict queue's decisions: how each disagreement with an authoritative source was settled.

One data item has one authoritative source (一数一源): when another department's resource
holds a different value, certification records the conflict in the published snapshot, and
it waits for the steward of that other department, who either has the value corrected at
their source or explains why it differs (a name recorded before a legal change, say). Either
way the steward says so in words, and the decision is kept here, once per conflict, naming the
conflict by a digest rather than by the subject's key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, select

from directory.actors import Actor, Role
from directory.db import Database
from directory.entries import now
from directory.errors import InvalidState, PermissionDenied, Problem, ValidationFailed
from directory.tables import ConflictResolution


class ConflictOutcome(StrEnum):
    corrected_at_source = "corrected_at_source"
    explained = "explained"


@dataclass(frozen=True)
class ConflictRef:
    """What names a conflict without its subject's key: the keyed hash stands in for it."""

    item: str
    subject_hash: str
    authoritative_resource: str
    other_resource: str
    department: str  # the department providing `other_resource`, whose steward settles it
    batch: str

    @property
    def conflict_id(self) -> str:
        """A stable id for routes and the directory, the same on every API host."""
        parts = (
            self.item,
            self.subject_hash,
            self.authoritative_resource,
            self.other_resource,
            self.batch,
        )
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class ResolutionView:
    conflict_id: str
    other_resource: str
    department: str
    outcome: ConflictOutcome
    note: str
    resolved_by: str
    resolved_at: dt.datetime


class ConflictResolutions:
    """Record and read stewards' decisions on conflicts."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def resolve(
        self,
        ref: ConflictRef,
        actor: Actor,
        outcome: str,
        note: str,
        at: dt.datetime | None = None,
    ) -> ResolutionView:
        """Settle a conflict as corrected at source or explained, with a text; only a steward
        of the department that provides the disagreeing resource may (not even an admin,
        who reads no subject data)."""
        problems = []
        if outcome not in {o.value for o in ConflictOutcome}:
            problems.append(
                Problem(
                    "outcome",
                    f"unknown outcome {outcome!r}",
                    f"use {' or '.join(o.value for o in ConflictOutcome)}",
                )
            )
        if not note.strip():
            problems.append(
                Problem(
                    "note",
                    "no text",
                    "say what was corrected at the source, or why the values differ",
                )
            )
        if problems:
            raise ValidationFailed(problems, "the resolution")
        if actor.role is not Role.steward or actor.department != ref.department:
            raise PermissionDenied(
                f"{actor.name} ({actor.role.value}, {actor.department}) may not settle this "
                f"conflict: only a steward of {ref.department}, which provides "
                f"{ref.other_resource}, may"
            )
        with self._db.write() as session:
            existing = session.scalars(
                select(ConflictResolution).where(ConflictResolution.conflict_id == ref.conflict_id)
            ).first()
            if existing is not None:
                raise InvalidState(
                    f"conflict {ref.conflict_id} was already settled by {existing.resolved_by} "
                    f"({existing.outcome}); a new disagreement shows as a new conflict"
                )
            row = ConflictResolution(
                conflict_id=ref.conflict_id,
                item=ref.item,
                subject_hash=ref.subject_hash,
                authoritative_resource=ref.authoritative_resource,
                other_resource=ref.other_resource,
                department=ref.department,
                batch=ref.batch,
                outcome=ConflictOutcome(outcome).value,
                note=note.strip(),
                resolved_by=actor.name,
                resolved_at=at or now(),
            )
            session.add(row)
            session.flush()
            return _view(row)

    def of(self, conflict_ids: Iterable[str]) -> dict[str, ResolutionView]:
        """The decisions taken on any of `conflict_ids`, by id."""
        wanted = sorted(set(conflict_ids))
        found: dict[str, ResolutionView] = {}
        with self._db.read() as session:
            for start in range(0, len(wanted), 500):  # bounded IN lists on every backend
                chunk = wanted[start : start + 500]
                rows = session.scalars(
                    select(ConflictResolution).where(ConflictResolution.conflict_id.in_(chunk))
                )
                found.update((row.conflict_id, _view(row)) for row in rows)
        return found

    def settled_by_resource(self) -> dict[str, int]:
        """How many conflicts were settled per disagreeing resource."""
        with self._db.read() as session:
            rows = session.execute(
                select(ConflictResolution.other_resource, func.count()).group_by(
                    ConflictResolution.other_resource
                )
            )
            return {resource: int(count) for resource, count in rows}


def _view(row: ConflictResolution) -> ResolutionView:
    return ResolutionView(
        conflict_id=row.conflict_id,
        other_resource=row.other_resource,
        department=row.department,
        outcome=ConflictOutcome(row.outcome),
        note=row.note,
        resolved_by=row.resolved_by,
        resolved_at=row.resolved_at,
    )
