"""Share requests under 国发〔2016〕51号: a department asks for a resource's items for a named
service item; unconditional data is granted at once, conditional data waits for the provider's
steward (approve with a validity and an optional daily quota, or reject with a reason), data
that is not shared cannot be asked for. Grants can be revoked and expire. Every step is an
event, and the provider has 10 working days to answer.

Minimum necessary (PIPL art. 6) applies when access is granted, not only when it is used: a
department asks only for a service item it handles, and only for the items that service
item's once-only map (its materials and form fields) draws from the resource; the whole
resource only when the map needs every item of it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.actors import SYSTEM, Actor
from directory.db import Database
from directory.departments import departments, known_codes
from directory.entries import now
from directory.errors import (
    InvalidState,
    NotFound,
    Problem,
    RequestRefused,
    ValidationFailed,
)
from directory.model import EntryDocument, SharingType
from directory.share_admission import (
    checked_items,
    published_entry,
    require_necessary,
    strictest_type,
)
from directory.tables import (
    Entry,
    ServiceItem,
    ShareRequest,
    ShareRequestEvent,
)
from directory.workdays import add_working_days, local_date, local_today, working_days_between

ANSWER_LIMIT_WORKING_DAYS = 10


class RequestStatus(StrEnum):
    pending = "pending"
    granted = "granted"
    rejected = "rejected"
    revoked = "revoked"
    expired = "expired"


class Action(StrEnum):
    submitted = "submitted"
    granted = "granted"
    approved = "approved"
    rejected = "rejected"
    revoked = "revoked"
    expired = "expired"


@dataclass(frozen=True)
class Event:
    at: dt.datetime
    actor: str
    action: Action
    note: str


@dataclass(frozen=True)
class RequestView:
    id: int
    requester_department: str
    provider_department: str
    resource_code: str
    resource_name: str
    items: list[str] | None
    service_item_code: str
    purpose: str
    legal_basis: str
    status: RequestStatus
    requested_by: str
    requested_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None
    valid_from: dt.date | None
    valid_until: dt.date | None
    daily_quota: int | None
    note: str
    answer_due: dt.date
    age_working_days: int
    overdue: bool
    events: list[Event]


class ShareRequests:
    """The request lifecycle; `on_change` tells the grant index to reload."""

    def __init__(self, db: Database, on_change: Callable[[], None]) -> None:
        self._db = db
        self._on_change = on_change

    def submit(
        self,
        actor: Actor,
        department: str,
        resource_code: str,
        service_item_code: str,
        purpose: str,
        legal_basis: str = "",
        items: Sequence[str] | None = None,
        at: dt.datetime | None = None,
    ) -> RequestView:
        """File a request for `department`; unconditional data comes back already granted."""
        at = at or now()
        if department not in departments():
            raise ValidationFailed(
                [
                    Problem(
                        "department",
                        f"unknown department {department!r}",
                        f"use one of: {known_codes()}",
                    )
                ],
                "the request",
            )
        actor.require(department, f"request data for {department}")
        with self._db.write() as session:
            entry = published_entry(session, resource_code)
            document = EntryDocument.model_validate(entry.document)
            if document.provider_department == department:
                raise RequestRefused(
                    f"{department} provides {resource_code} itself; its own data needs no request",
                    "own_resource",
                )
            service_item = session.get(ServiceItem, service_item_code)
            if service_item is None:
                raise NotFound(
                    f"no service item {service_item_code}: a request must name the service "
                    "item the data is used for; add the item first"
                )
            wanted = checked_items(document, items)
            strictest = strictest_type(document, wanted)
            require_necessary(session, service_item, department, document, wanted, items)
            problems = []
            if not purpose.strip():
                problems.append(Problem("purpose", "no purpose", "say what the data is used for"))
            if strictest is SharingType.conditional and not legal_basis.strip():
                problems.append(
                    Problem(
                        "legal_basis",
                        "conditional data needs a legal basis for the request",
                        "cite the law or the service item's rules that require the data",
                    )
                )
            if problems:
                raise ValidationFailed(problems, "the request")
            _refuse_duplicate(session, department, resource_code, service_item_code, wanted)
            request = ShareRequest(
                requester_department=department,
                resource_code=resource_code,
                items=sorted(wanted) if items is not None else None,
                service_item_code=service_item_code,
                purpose=purpose,
                legal_basis=legal_basis,
                status=RequestStatus.pending.value,
                requested_by=actor.name,
                requested_at=at,
                note="",
            )
            session.add(request)
            session.flush()
            _event(session, request, at, actor.name, Action.submitted, purpose)
            if strictest is SharingType.unconditional:
                request.status = RequestStatus.granted.value
                request.decided_by = SYSTEM.name
                request.decided_at = at
                request.valid_from = local_date(at)
                _event(
                    session,
                    request,
                    at,
                    SYSTEM.name,
                    Action.granted,
                    "unconditional data: granted at once",
                )
            request_id = request.id
        self._on_change()
        return self.get(request_id)

    def approve(
        self,
        request_id: int,
        actor: Actor,
        valid_until: dt.date,
        daily_quota: int | None = None,
        note: str = "",
        at: dt.datetime | None = None,
    ) -> RequestView:
        at = at or now()
        today = local_date(at)
        problems = []
        if valid_until <= today:
            problems.append(
                Problem("valid_until", f"{valid_until} is not after today", "give a future date")
            )
        if daily_quota is not None and daily_quota < 1:
            problems.append(
                Problem("daily_quota", "a quota must be at least 1", "give a positive number")
            )
        if problems:
            raise ValidationFailed(problems, "the approval")
        with self._db.write() as session:
            request = self._decidable(session, request_id, actor, "approve")
            request.status = RequestStatus.granted.value
            request.decided_by, request.decided_at = actor.name, at
            request.valid_from, request.valid_until = today, valid_until
            request.daily_quota, request.note = daily_quota, note
            quota = f", at most {daily_quota} reads a day" if daily_quota else ""
            _event(
                session,
                request,
                at,
                actor.name,
                Action.approved,
                f"valid until {valid_until}{quota}" + (f"; {note}" if note else ""),
            )
        self._on_change()
        return self.get(request_id)

    def reject(
        self, request_id: int, actor: Actor, reason: str, at: dt.datetime | None = None
    ) -> RequestView:
        at = at or now()
        _require_reason(reason, "rejection")
        with self._db.write() as session:
            request = self._decidable(session, request_id, actor, "reject")
            request.status = RequestStatus.rejected.value
            request.decided_by, request.decided_at, request.note = actor.name, at, reason
            _event(session, request, at, actor.name, Action.rejected, reason)
        self._on_change()
        return self.get(request_id)

    def revoke(
        self, request_id: int, actor: Actor, reason: str, at: dt.datetime | None = None
    ) -> RequestView:
        at = at or now()
        _require_reason(reason, "revocation")
        with self._db.write() as session:
            request = _request(session, request_id)
            actor.require(_provider(session, request), "revoke grants of this resource")
            if request.status != RequestStatus.granted.value:
                raise InvalidState(
                    f"request #{request_id} is {request.status}; only a granted request can "
                    "be revoked"
                )
            request.status = RequestStatus.revoked.value
            request.note = reason
            _event(session, request, at, actor.name, Action.revoked, reason)
        self._on_change()
        return self.get(request_id)

    def expire_due(self, at: dt.datetime | None = None) -> list[int]:
        """Mark grants whose validity ended before today as expired; returns their ids."""
        at = at or now()
        today = local_date(at)
        with self._db.write() as session:
            due = session.scalars(
                select(ShareRequest).where(
                    ShareRequest.status == RequestStatus.granted.value,
                    ShareRequest.valid_until < today,
                )
            ).all()
            for request in due:
                request.status = RequestStatus.expired.value
                _event(
                    session,
                    request,
                    at,
                    SYSTEM.name,
                    Action.expired,
                    f"validity ended {request.valid_until}",
                )
            expired = [r.id for r in due]
        if expired:
            self._on_change()
        return expired

    def get(self, request_id: int, today: dt.date | None = None) -> RequestView:
        with self._db.read() as session:
            return _view(session, _request(session, request_id), today or local_today())

    def list(
        self,
        department: str | None = None,
        direction: str = "all",
        status: RequestStatus | None = None,
        today: dt.date | None = None,
    ) -> list[RequestView]:
        """Requests a department made (`outgoing`), received as provider (`incoming`), or both."""
        with self._db.read() as session:
            query = select(ShareRequest).order_by(ShareRequest.id)
            if status is not None:
                query = query.where(ShareRequest.status == status.value)
            views = [_view(session, r, today or local_today()) for r in session.scalars(query)]
        if department is None:
            return views
        return [
            v
            for v in views
            if (direction in ("all", "outgoing") and v.requester_department == department)
            or (direction in ("all", "incoming") and v.provider_department == department)
        ]

    def _decidable(
        self, session: Session, request_id: int, actor: Actor, verb: str
    ) -> ShareRequest:
        request = _request(session, request_id)
        actor.require(_provider(session, request), f"{verb} requests for this resource")
        if request.status != RequestStatus.pending.value:
            raise InvalidState(
                f"request #{request_id} is already {request.status}; only pending requests "
                f"can be {verb}d"
            )
        return request


def _require_reason(reason: str, what: str) -> None:
    if not reason.strip():
        raise ValidationFailed(
            [Problem("reason", f"a {what} needs a reason", "say why, for the requester")],
            f"the {what}",
        )


def _refuse_duplicate(
    session: Session, department: str, resource: str, service_item: str, wanted: set[str]
) -> None:
    open_requests = session.scalars(
        select(ShareRequest).where(
            ShareRequest.requester_department == department,
            ShareRequest.resource_code == resource,
            ShareRequest.service_item_code == service_item,
            ShareRequest.status.in_([RequestStatus.pending.value, RequestStatus.granted.value]),
        )
    )
    for other in open_requests:
        if other.items is None or wanted <= set(other.items):
            raise RequestRefused(
                f"request #{other.id} ({other.status}) already covers these items for "
                f"{service_item}; wait for its answer or use its grant",
                "duplicate_request",
            )


def _request(session: Session, request_id: int) -> ShareRequest:
    request = session.get(ShareRequest, request_id)
    if request is None:
        raise NotFound(f"no share request #{request_id}; list the requests to find its number")
    return request


def _provider(session: Session, request: ShareRequest) -> str:
    entry = session.get(Entry, request.resource_code)
    return entry.provider_department if entry else ""


def _event(
    session: Session,
    request: ShareRequest,
    at: dt.datetime,
    actor: str,
    action: Action,
    note: str,
) -> None:
    session.add(
        ShareRequestEvent(request_id=request.id, at=at, actor=actor, action=action.value, note=note)
    )


def _view(session: Session, request: ShareRequest, today: dt.date) -> RequestView:
    entry = session.get(Entry, request.resource_code)
    events = session.scalars(
        select(ShareRequestEvent)
        .where(ShareRequestEvent.request_id == request.id)
        .order_by(ShareRequestEvent.id)
    )
    asked = local_date(request.requested_at)
    status = RequestStatus(request.status)
    if status is RequestStatus.granted and request.valid_until and request.valid_until < today:
        # Shown as it is even before `expire_due` records the step (a daily job).
        status = RequestStatus.expired
    answered = local_date(request.decided_at) if request.decided_at else today
    age = working_days_between(asked, answered)
    return RequestView(
        id=request.id,
        requester_department=request.requester_department,
        provider_department=entry.provider_department if entry else "",
        resource_code=request.resource_code,
        resource_name=entry.name if entry else "",
        items=request.items,
        service_item_code=request.service_item_code,
        purpose=request.purpose,
        legal_basis=request.legal_basis,
        status=status,
        requested_by=request.requested_by,
        requested_at=request.requested_at,
        decided_by=request.decided_by,
        decided_at=request.decided_at,
        valid_from=request.valid_from,
        valid_until=request.valid_until,
        daily_quota=request.daily_quota,
        note=request.note,
        answer_due=add_working_days(asked, ANSWER_LIMIT_WORKING_DAYS),
        age_working_days=age,
        overdue=status is RequestStatus.pending and age > ANSWER_LIMIT_WORKING_DAYS,
        events=[Event(e.at, e.actor, Action(e.action), e.note) for e in events],
    )
