"""Auditors' endpoints on the audit log: list entries with filters, verify the hash chain, and
who read one subject's data.

Auditors only (separation of duties: admins manage users, not the log). Every read of the log
is itself logged, and so is every refused attempt, because who looked at the log is what an
auditor of the auditors asks. There is deliberately no endpoint that writes, edits or deletes
entries: the exchange appends them, and only `onceonly audit prune` deletes, for retention.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field

from api.auth import Caller, check_role, current_caller, require_role
from api.bounds import Offset
from api.deps import get_audit
from api.errors import ERROR_RESPONSES, ErrorContractRoute
from api.middleware import request_id
from api.models_exchange import PERSON, ReadRecord
from api.reads.screening import normalise
from directory.actors import Role
from directory.audit import AuditLog, AuditRecord, actor_event
from directory.workdays import CHINA

router = APIRouter(
    prefix="/v1", tags=["audit"], route_class=ErrorContractRoute, responses=ERROR_RESPONSES
)
Log = Annotated[AuditLog, Depends(get_audit)]
HASH_EXAMPLE = "3f1c9a5e0b7d4c2a8e6f1b3d5c7a9e0f2b4d6c8a0e2f4b6d8c0a2e4f6b8d0c2a"


class AuditEntryModel(BaseModel):
    """One audit entry: who did what, for which case, about which subject (keyed hash)."""

    sequence: int = Field(examples=[1042])
    at: dt.datetime
    user: str = Field(examples=["wang.li"])
    department: str = Field(examples=["mr"])
    role: str = Field(examples=["clerk"])
    action: str = Field(examples=["prefill"])
    outcome: str = Field(examples=["served"], description="served, refused or partial")
    service_item: str | None = Field(examples=["4101000001"])
    case_no: str | None = Field(examples=["GSC-2026-000123"])
    subject_hash: str | None = Field(
        examples=[HASH_EXAMPLE], description="HMAC-SHA256 of the normalised subject key"
    )
    resources: list[str] = Field(examples=[["ps_population"]])
    items: list[str] = Field(examples=[["name", "id_number"]])
    reason: str = Field(examples=[""], description="Why something was refused")
    request_id: str = Field(examples=["7c0e2f6a9d3b4e58a1c2d3e4f5a6b7c8"])
    hash: str = Field(description="sha256(previous entry's hash + this entry's canonical JSON)")


class AuditPage(BaseModel):
    entries: list[AuditEntryModel] = Field(description="Newest first")
    limit: int = Field(examples=[100])
    offset: int = Field(examples=[0])
    next_offset: int | None = Field(examples=[100], description="None on the last page")


class AuditVerificationModel(BaseModel):
    ok: bool = Field(examples=[False])
    checked: int = Field(examples=[1041], description="Entries that held up")
    first_bad_sequence: int | None = Field(examples=[1042])
    problem: str = Field(
        examples=["entry #1042 was edited: department changed since it was appended"]
    )
    head_sequence: int = Field(examples=[20417], description="Newest entry")
    head_hash: str = Field(examples=[HASH_EXAMPLE])
    signed_sequence: int = Field(
        examples=[20417],
        description="Newest head signed with the centre's key outside the database; "
        "entries up to it were checked against the signed heads",
    )


def auditor(
    request: Request, caller: Annotated[Caller, Depends(current_caller)], log: Log
) -> Caller:
    """Auditors only; a refused attempt on the log is itself logged."""
    try:
        return check_role(caller, Role.auditor)
    except HTTPException:
        log.append(
            actor_event(
                caller.actor,
                "audit.read",
                "refused",
                reason=f"a {caller.role.value} may not read the audit log",
                request_id=request_id(request),
            )
        )
        raise


Auditor = Annotated[Caller, Depends(auditor)]


@router.get(
    "/audit/entries",
    response_model=AuditPage,
    summary="Audit entries matching every filter given, newest first (auditors)",
)
def list_entries(
    request: Request,
    caller: Auditor,
    log: Log,
    user: Annotated[str | None, Query(max_length=64, examples=["wang.li"])] = None,
    department: Annotated[str | None, Query(max_length=32, examples=["mr"])] = None,
    subject_hash: Annotated[
        str | None, Query(pattern="^[0-9a-f]{64}$", examples=[HASH_EXAMPLE])
    ] = None,
    action: Annotated[str | None, Query(max_length=32, examples=["prefill"])] = None,
    outcome: Literal["served", "refused", "partial"] | None = None,
    since: Annotated[
        dt.datetime | None,
        Query(description="From this moment on (inclusive); without a zone, China time"),
    ] = None,
    until: Annotated[
        dt.datetime | None, Query(description="Before this moment; without a zone, China time")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> AuditPage:
    since, until = _aware(since), _aware(until)
    found = log.entries(
        user=user,
        department=department,
        subject_hash=subject_hash,
        action=action,
        outcome=outcome,
        since=since,
        until=until,
        limit=limit + 1,
        offset=offset,
    )
    given = {
        "user": user,
        "department": department,
        "subject_hash": subject_hash,
        "action": action,
        "outcome": outcome,
        "since": since,
        "until": until,
    }
    described = ", ".join(f"{k}={v}" for k, v in given.items() if v is not None)
    log.append(
        actor_event(
            caller.actor,
            "audit.read",
            "served",
            subject_hash=subject_hash,
            reason=f"list entries ({described or 'no filters'}), offset {offset}",
            request_id=request_id(request),
        )
    )
    return AuditPage(
        entries=[_entry(r) for r in found[:limit]],
        limit=limit,
        offset=offset,
        next_offset=offset + limit if len(found) > limit else None,
    )


@router.get(
    "/audit/verify",
    response_model=AuditVerificationModel,
    summary="Check the hash chain against the signed heads: finds an edited, deleted, "
    "reordered or cut-off entry, and a rewritten chain (auditors)",
)
def verify(request: Request, caller: Auditor, log: Log) -> AuditVerificationModel:
    result = log.verify()
    verdict = "ok" if result.ok else f"broken at #{result.first_bad_sequence}"
    log.append(
        actor_event(
            caller.actor,
            "audit.read",
            "served",
            reason=f"verify: {verdict}",
            request_id=request_id(request),
        )
    )
    return AuditVerificationModel(
        ok=result.ok,
        checked=result.checked,
        first_bad_sequence=result.first_bad_sequence,
        problem=result.problem,
        head_sequence=result.head_sequence,
        head_hash=result.head_hash,
        signed_sequence=result.signed_sequence,
    )


@router.get(
    "/subjects/{subject}/reads",
    response_model=list[ReadRecord],
    summary="Who read this subject's data: when, which department, for which case (auditors)",
)
def who_read(
    subject: Annotated[str, Path(examples=[PERSON])],
    caller: Annotated[Caller, Depends(require_role(Role.auditor))],
    log: Log,
) -> list[ReadRecord]:
    key, _ = normalise(subject)
    return [
        ReadRecord(
            at=entry.at,
            department=entry.department,
            role=entry.role,
            action=entry.action,
            service_item=entry.service_item,
            case_no=entry.case_no,
            resources=list(entry.resources),
            items=list(entry.items),
            outcome=entry.outcome,
        )
        for entry in log.reads_of(log.subject_hash(key))
    ]


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=CHINA)


def _entry(record: AuditRecord) -> AuditEntryModel:
    return AuditEntryModel(
        sequence=record.sequence,
        at=record.at,
        user=record.user,
        department=record.department,
        role=record.role,
        action=record.action,
        outcome=record.outcome,
        service_item=record.service_item,
        case_no=record.case_no,
        subject_hash=record.subject_hash,
        resources=list(record.resources),
        items=list(record.items),
        reason=record.reason,
        request_id=record.request_id,
        hash=record.hash,
    )
