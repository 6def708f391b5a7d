"""Data objections (数据异议): a clerk reports a certified value as wrong instead of working
around it; the objection goes to the steward of the department that provides the value ("who
provides, who maintains"), who corrects it at the source or rejects the claim with a reason.
Every step is an event.

While an objection is open, the value is flagged in every answer that contains it, so
`open_items` sits on every clerk read and is answered from memory: the open objections are
loaded by subject hash and reloaded when the events move on (checked at most once per
`max_age` seconds, at once after a change made through this process, and each new day, since
the views carry their age in working days).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from contracts.keys import check_subject_key
from contracts.registry import bundled_contracts
from directory.actors import Actor, Role
from directory.db import Database
from directory.entries import now
from directory.errors import (
    InvalidState,
    NotFound,
    PermissionDenied,
    Problem,
    RequestRefused,
    ValidationFailed,
)
from directory.tables import Objection, ObjectionEvent, ServiceItem
from directory.workdays import local_date, local_today, working_days_between

_FILERS = (Role.clerk, Role.steward)


class ObjectionStatus(StrEnum):
    open = "open"
    corrected_at_source = "corrected_at_source"
    rejected = "rejected"


RESOLUTIONS = (ObjectionStatus.corrected_at_source, ObjectionStatus.rejected)


@dataclass(frozen=True)
class ObjectionStep:
    at: dt.datetime
    actor: str
    action: str  # filed, corrected_at_source, rejected
    note: str


@dataclass(frozen=True)
class ObjectionView:
    id: int
    subject_key: str
    subject_hash: str
    resource: str  # contract id, e.g. ps_population
    resource_name: str
    item: str
    provider_department: str
    claimed_value: str
    note: str
    service_item: str
    case_no: str
    filed_by: str
    filed_department: str
    filed_at: dt.datetime
    status: ObjectionStatus
    resolved_by: str | None
    resolved_at: dt.datetime | None
    resolution: str
    age_working_days: int
    events: tuple[ObjectionStep, ...]


ItemKey = tuple[str, str]  # (resource, item)


class Objections:
    """Filing, the provider's queue, resolution, and the open-objection flags for answers.

    `subject_hash` is the audit log's keyed hash, so flags are found by the same hash the
    clerk routes already compute for the audit entry.
    """

    def __init__(
        self, db: Database, subject_hash: Callable[[str], str], max_age: float = 1.0
    ) -> None:
        self._db = db
        self._hash = subject_hash
        self._max_age = max_age
        self._lock = threading.Lock()
        self._open: dict[str, dict[ItemKey, tuple[ObjectionView, ...]]] = {}
        self._generation: tuple[int | None, dt.date] | None = None
        self._checked_at = -float("inf")

    def invalidate(self) -> None:
        """Reload before the next `open_items` (called after a change made in this process)."""
        self._checked_at = -float("inf")

    def file(
        self,
        actor: Actor,
        *,
        subject_key: str,
        subject_hash: str,
        resource: str,
        item: str,
        claimed_value: str,
        note: str,
        service_item: str,
        case_no: str,
        at: dt.datetime | None = None,
    ) -> ObjectionView:
        """Report `item` of `resource` about the subject as wrong; `claimed_value` is what the
        applicant says it should be. Goes to the provider department's steward."""
        at = at or now()
        if actor.role not in _FILERS:
            raise PermissionDenied(
                f"{actor.name} ({actor.role.value}) may not file data objections: clerks and "
                "stewards who use the data may"
            )
        key, provider = self._checked(
            subject_key, subject_hash, resource, item, claimed_value, service_item, case_no
        )
        with self._db.write() as session:
            if session.get(ServiceItem, service_item) is None:
                raise NotFound(
                    f"no service item {service_item}: an objection names the service item of "
                    "the case in hand; check the code"
                )
            duplicate = session.scalar(
                select(Objection.id).where(
                    Objection.subject_hash == subject_hash,
                    Objection.resource == resource,
                    Objection.item == item,
                    Objection.claimed_value == claimed_value,
                    Objection.status == ObjectionStatus.open.value,
                )
            )
            if duplicate is not None:
                raise RequestRefused(
                    f"objection #{duplicate} already claims this value and is open; wait for "
                    f"the {provider} steward's answer",
                    "duplicate_objection",
                )
            row = Objection(
                subject_key=key,
                subject_hash=subject_hash,
                resource=resource,
                item=item,
                provider_department=provider,
                claimed_value=claimed_value,
                note=note,
                service_item=service_item,
                case_no=case_no,
                filed_by=actor.name,
                filed_department=actor.department,
                filed_at=at,
                status=ObjectionStatus.open.value,
                resolution="",
            )
            session.add(row)
            session.flush()
            _step(session, row.id, at, actor.name, "filed", note)
            objection_id = row.id
        self.invalidate()
        return self.get(objection_id)

    def resolve(
        self,
        objection_id: int,
        actor: Actor,
        outcome: str,
        reason: str,
        at: dt.datetime | None = None,
    ) -> ObjectionView:
        """Close an open objection as `corrected_at_source` or `rejected` (with a reason);
        only a steward of the provider department may, not even an admin."""
        at = at or now()
        if outcome not in RESOLUTIONS:
            raise ValidationFailed(
                [
                    Problem(
                        "outcome",
                        f"unknown outcome {outcome!r}",
                        f"use {' or '.join(r.value for r in RESOLUTIONS)}",
                    )
                ],
                "the resolution",
            )
        if outcome == ObjectionStatus.rejected and not reason.strip():
            raise ValidationFailed(
                [Problem("reason", "a rejection needs a reason", "say why, for the clerk")],
                "the resolution",
            )
        with self._db.write() as session:
            row = _objection(session, objection_id)
            if actor.role is not Role.steward or actor.department != row.provider_department:
                raise PermissionDenied(
                    f"{actor.name} ({actor.role.value}, {actor.department}) may not resolve "
                    f"objection #{objection_id}: only a steward of {row.provider_department}, "
                    f"which provides {row.resource}, may"
                )
            if row.status != ObjectionStatus.open.value:
                raise InvalidState(
                    f"objection #{objection_id} is already {row.status}; only open objections "
                    "can be resolved"
                )
            row.status = ObjectionStatus(outcome).value
            row.resolved_by, row.resolved_at, row.resolution = actor.name, at, reason
            _step(session, row.id, at, actor.name, row.status, reason)
        self.invalidate()
        return self.get(objection_id)

    def get(self, objection_id: int, today: dt.date | None = None) -> ObjectionView:
        query = select(Objection).where(Objection.id == objection_id)
        with self._db.read() as session:
            found = _views(session, query, today or local_today())
        if not found:
            raise _missing(objection_id)
        return found[0]

    def queue(
        self,
        department: str,
        status: ObjectionStatus | None = ObjectionStatus.open,
        today: dt.date | None = None,
    ) -> list[ObjectionView]:
        """Objections to `department`'s data, oldest first (`status=None`: all of them)."""
        query = select(Objection).where(Objection.provider_department == department)
        if status is not None:
            query = query.where(Objection.status == ObjectionStatus(status).value)
        with self._db.read() as session:
            return _views(session, query, today or local_today())

    def open_items(self, subject_hash: str) -> dict[ItemKey, list[ObjectionView]]:
        """Open objections on this subject's values, by (resource, item), oldest first."""
        if self.due():
            self.refresh()
        found = self._open.get(subject_hash)
        return {key: list(views) for key, views in found.items()} if found else {}

    def _checked(
        self,
        subject_key: str,
        subject_hash: str,
        resource: str,
        item: str,
        claimed_value: str,
        service_item: str,
        case_no: str,
    ) -> tuple[str, str]:
        """(the normalised key, the provider department), or every problem with the filing."""
        problems = []
        checked = check_subject_key(subject_key)
        if checked.value is None:
            problems.append(
                Problem(
                    "subject_key",
                    checked.problem.message if checked.problem else "not a subject key",
                    "give the applicant's ID number or unified social credit code",
                )
            )
        elif self._hash(checked.value) != subject_hash:
            problems.append(
                Problem(
                    "subject_hash",
                    "does not belong to the subject key",
                    "pass directory.audit.subject_hash(subject_key)",
                )
            )
        contracts = bundled_contracts()
        contract = contracts.get(resource)
        if contract is None:
            problems.append(
                Problem(
                    "resource", f"no resource {resource!r}", f"use one of: {', '.join(contracts)}"
                )
            )
        elif item not in {c.name for c in contract.columns}:
            problems.append(
                Problem(
                    "item",
                    f"{resource} has no item {item!r}",
                    f"use one of: {', '.join(c.name for c in contract.columns)}",
                )
            )
        for name, value, fix in (
            ("claimed_value", claimed_value, "say what the applicant says the value should be"),
            ("service_item", service_item, "name the service item of the case"),
            ("case_no", case_no, "give the case number (办件编号)"),
        ):
            if not value.strip():
                problems.append(Problem(name, "missing", fix))
        if problems:
            raise ValidationFailed(problems, "the objection")
        return checked.value or "", contract.department if contract else ""

    def due(self) -> bool:
        """Whether the next `open_items` reads the store first; an async caller can `refresh`
        in a worker thread beforehand, so the lookup itself touches memory only."""
        return time.monotonic() - self._checked_at > self._max_age

    def refresh(self) -> None:
        """Reload the open objections if any changed since the last check (when due)."""
        with self._lock:
            if time.monotonic() - self._checked_at <= self._max_age:
                return
            today = local_today()
            with self._db.read() as session:
                generation = (session.scalar(select(func.max(ObjectionEvent.id))), today)
                if generation != self._generation:
                    self._open = _load_open(session, today)
                    self._generation = generation
            self._checked_at = time.monotonic()


def _load_open(
    session: Session, today: dt.date
) -> dict[str, dict[ItemKey, tuple[ObjectionView, ...]]]:
    grouped: dict[str, dict[ItemKey, list[ObjectionView]]] = {}
    query = select(Objection).where(Objection.status == ObjectionStatus.open.value)
    for view in _views(session, query, today):
        by_item = grouped.setdefault(view.subject_hash, {})
        by_item.setdefault((view.resource, view.item), []).append(view)
    return {h: {k: tuple(v) for k, v in items.items()} for h, items in grouped.items()}


def _objection(session: Session, objection_id: int) -> Objection:
    row = session.get(Objection, objection_id)
    if row is None:
        raise _missing(objection_id)
    return row


def _missing(objection_id: int) -> NotFound:
    return NotFound(f"no objection #{objection_id}; list your department's queue to find it")


def _step(
    session: Session, objection_id: int, at: dt.datetime, actor: str, action: str, note: str
) -> None:
    session.add(
        ObjectionEvent(objection_id=objection_id, at=at, actor=actor, action=action, note=note)
    )


def _views(session: Session, query: Select[Objection], today: dt.date) -> list[ObjectionView]:
    """The objections `query` selects, oldest first, with their events (two queries, not
    one per objection: the open-objection index loads them all at once)."""
    rows = session.scalars(query.order_by(Objection.filed_at, Objection.id)).all()
    chosen = query.with_only_columns(Objection.id)
    steps: dict[int, list[ObjectionStep]] = {}
    events = session.scalars(
        select(ObjectionEvent)
        .where(ObjectionEvent.objection_id.in_(chosen))
        .order_by(ObjectionEvent.id)
    )
    for e in events:
        steps.setdefault(e.objection_id, []).append(ObjectionStep(e.at, e.actor, e.action, e.note))
    return [_view(row, tuple(steps.get(row.id, ())), today) for row in rows]


def _view(row: Objection, steps: tuple[ObjectionStep, ...], today: dt.date) -> ObjectionView:
    contract = bundled_contracts().get(row.resource)
    until = local_date(row.resolved_at) if row.resolved_at else today
    return ObjectionView(
        id=row.id,
        subject_key=row.subject_key,
        subject_hash=row.subject_hash,
        resource=row.resource,
        resource_name=contract.name if contract else "",
        item=row.item,
        provider_department=row.provider_department,
        claimed_value=row.claimed_value,
        note=row.note,
        service_item=row.service_item,
        case_no=row.case_no,
        filed_by=row.filed_by,
        filed_department=row.filed_department,
        filed_at=row.filed_at,
        status=ObjectionStatus(row.status),
        resolved_by=row.resolved_by,
        resolved_at=row.resolved_at,
        resolution=row.resolution,
        age_working_days=working_days_between(local_date(row.filed_at), until),
        events=steps,
    )
