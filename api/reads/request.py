"""Per-request plumbing of the exchange's reads: the request id, the caller, the snapshot and
directory state a read consults, and the audit entry it writes.

`exchange` is the dependency of every clerk read and of issuing an extract: it brings the
directory state a read consults up to date off the event loop (`refresh_due`, about once a
second), indexes a new snapshot's case register once, in a worker thread, and hands the route
an `Exchange`. Whether a read may happen at all is decided by `api.reads.screening`.
Entries are awaited (`logged`) without holding a thread; the plain `def` routes, which run in
a worker thread already, append them (`refuse_now`, `audit.append`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, NoReturn

from fastapi import Depends, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool

from api.auth import Caller, current_caller
from api.deps import (
    audit_of,
    case_registers_of,
    catalogue_of,
    current_snapshot,
    form_recorder_of,
    get_directory,
    settings_of,
)
from api.exchange.answers import Objections, Reader
from api.exchange.cases import format_problem, printable
from api.exchange.freshness import refresh_due
from api.middleware import request_id
from api.models_exchange import ObjectionFlag, Refusal
from api.serving import Snapshot
from directory.audit import AuditEvent
from directory.service_model import ServiceItemView
from directory.store import Directory
from directory.workdays import local_today


def error(status_code: int, code: str, message: str) -> HTTPException:
    """An error in the API's one body (`api.errors`)."""
    return HTTPException(status_code, detail={"code": code, "message": message})


@dataclass(frozen=True)
class Denied:
    """A read refused before anything was read: the audit entries to write, then the error."""

    events: tuple[AuditEvent, ...]
    error: HTTPException


class Exchange:
    """One read's plumbing: who asks, under which request id, against which snapshot and
    directory state; the reader of its answer; its audit entries."""

    def __init__(
        self, request: Request, caller: Caller, directory: Directory, snapshot: Snapshot
    ) -> None:
        self.request = request
        # The middleware's id, so the audit entry matches the response's X-Request-ID.
        self.request_id = request_id(request)
        self.caller = caller
        self.directory = directory
        self.snapshot = snapshot
        self.audit = audit_of(request.app)
        self.catalogue = catalogue_of(request.app)
        self.case_registers = case_registers_of(request.app)
        self.settings = settings_of(request.app)
        self.forms = form_recorder_of(request.app)

    def reader(
        self,
        item: ServiceItemView,
        subject_hash: str | None,
        as_of: dt.datetime | None,
        prefetched: Mapping[str, Mapping[str, list[dict[str, Any]]]] | None = None,
    ) -> Reader:
        """The read's `Reader`; `prefetched`: current rows a bulk prefill looked up for its
        whole batch at once, by contract and subject."""
        return Reader(
            role=self.caller.role,
            department=self.caller.department,
            service_item=item,
            state=self.catalogue.current(),
            snapshot=self.snapshot,
            grants=self.directory.grants,
            on=as_of.date() if as_of else local_today(),
            as_of=as_of,
            objections=self._objections(subject_hash) if subject_hash else {},
            prefetched=prefetched,
        )

    def _objections(self, subject_hash: str) -> Objections:
        flags: dict[tuple[str, str], list[ObjectionFlag]] = {}
        for key, views in self.directory.objections.open_items(subject_hash).items():
            flags[key] = [
                ObjectionFlag(objection_id=v.id, claimed_value=v.claimed_value, filed_at=v.filed_at)
                for v in views
            ]
        return flags

    def subject_hash(self, key: str) -> str:
        """The audit log's keyed hash of a subject key already normalised."""
        return self.audit.normal_subject_hash(key)

    async def logged(self, *events: AuditEvent) -> None:
        """Log the read and wait until the entries are committed: an answer that could not be
        logged fails instead of leaving."""
        await asyncio.wrap_future(self.audit.submit(events))
        # The error edge logs refusals no route logged; this request's are in the log.
        self.request.state.audited = True

    async def refuse(self, denied: Denied) -> NoReturn:
        """Log a refusal decided before reading, then answer it."""
        await self.logged(*denied.events)
        raise denied.error

    def refuse_now(self, denied: Denied) -> NoReturn:
        """`refuse` for the plain `def` routes (run in a worker thread)."""
        self.audit.append_many(denied.events)
        self.request.state.audited = True
        raise denied.error

    def event(
        self,
        action: str,
        *,
        service_item: str | None,
        case_no: str | None,
        subject: str | None,
        resources: list[str],
        items: list[str],
        refused: list[Refusal],
        reason: str = "",
    ) -> AuditEvent:
        """The audit entry for this request; `subject` is a key already normalised.

        A case number not in the centre's format is not written as given (a line break in it
        would forge a line in the log's listings): the entry has none, and the reason quotes
        it escaped."""
        if (
            case_no is not None
            and format_problem(case_no, self.settings.case_number_pattern) is not None
        ):
            reason = f"case number {printable(case_no)} refused; " + (
                reason or "; ".join(f"{r.resource}: {r.reason}" for r in refused)
            )
            case_no = None
        if not resources and (refused or reason):
            outcome = "refused"
        else:
            outcome = "partial" if refused else "served"
        return AuditEvent(
            at=dt.datetime.now().astimezone(),
            user=self.caller.name,
            department=self.caller.department,
            role=self.caller.role.value,
            action=action,
            outcome=outcome,
            service_item=service_item,
            case_no=case_no,
            subject_hash=self.subject_hash(subject) if subject else None,
            resources=tuple(resources),
            items=tuple(items),
            reason=reason or "; ".join(f"{r.resource}: {r.reason}" for r in refused),
            request_id=self.request_id,
        )


async def exchange(
    request: Request,
    caller: Annotated[Caller, Depends(current_caller)],
    directory: Annotated[Directory, Depends(get_directory)],
    snapshot: Annotated[Snapshot, Depends(current_snapshot)],
) -> Exchange:
    """The read's `Exchange`, once the state it consults is fresh (see the module's note)."""
    await refresh_due(catalogue_of(request.app), directory.grants, directory.objections)
    registers = case_registers_of(request.app)
    if registers.cached(snapshot) is False:  # a new snapshot: index its case register once
        await run_in_threadpool(registers.of, snapshot)
    return Exchange(request, caller, directory, snapshot)


def forbid_if_nothing(resources: Sequence[object], refused: list[Refusal]) -> None:
    """A read that answers nothing and refused something is a 403 naming the refusals."""
    if not resources and refused:
        raise error(
            status.HTTP_403_FORBIDDEN,
            refused[0].code,
            "; ".join(f"{r.resource}: {r.reason}" for r in refused),
        )
