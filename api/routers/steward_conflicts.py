"""Steward endpoints for the conflict queue (一数一源): disagreements with an item's
authoritative source, and their settlement (corrected at source, or explained).

Each conflict goes to the steward of the department that provides the disagreeing resource,
who sees both values, the batch each came from and the authoritative department; no one
else sees it, not even an admin (conflicts carry subject keys and values). The conflicts
come from the published snapshot, the settlements from the directory; every conflict shown,
every settlement and every refusal is written to the audit log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, status
from pydantic import BaseModel, Field

from api.auth import Caller, Steward, get_directory
from api.deps import current_snapshot
from api.errors import ERROR_RESPONSES, ErrorContractRoute
from api.middleware import request_id
from contracts.registry import bundled_contracts
from directory.audit import actor_event
from directory.conflict_resolutions import ConflictOutcome, ConflictRef, ResolutionView
from directory.store import Directory
from snapshot.conflicts import Conflict, read_conflicts
from snapshot.reader import Snapshot

router = APIRouter(
    prefix="/v1/directory/conflicts",
    tags=["directory: conflicts"],
    route_class=ErrorContractRoute,
    responses=ERROR_RESPONSES,
)
Dir = Annotated[Directory, Depends(get_directory)]
Published = Annotated[Snapshot, Depends(current_snapshot)]
ConflictId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", examples=["3f2a" * 8])]


class SettlementModel(BaseModel):
    outcome: ConflictOutcome
    note: str = Field(examples=["已通知公积金中心按户籍姓名更正"])
    resolved_by: str = Field(examples=["hpf.steward"])
    resolved_at: dt.datetime


class ConflictModel(BaseModel):
    id: str = Field(description="Stable id of the conflict, for resolving it")
    item: str = Field(examples=["person.name"])
    subject_key: str = Field(examples=["11010519491231002X"])
    subject_hash: str = Field(description="The subject's keyed hash, as in the audit log")
    authoritative_resource: str = Field(examples=["ps_population"])
    authoritative_department: str = Field(examples=["ps"])
    authoritative_value: str | None = Field(examples=["张伟"])
    authoritative_batch: str | None = Field(description="The batch the served value came from")
    other_resource: str = Field(examples=["hpf_account"])
    other_department: str = Field(examples=["hpf"])
    other_value: str | None = Field(examples=["张玮"])
    other_batch: str | None = Field(description="The batch the disagreeing value came from")
    found_in_batch: str = Field(description="The batch whose certification found it")
    detected_at: dt.datetime
    status: Literal["open", "settled"]
    settlement: SettlementModel | None = None


class ConflictSettlement(BaseModel):
    outcome: ConflictOutcome = Field(description="corrected_at_source or explained")
    note: str = Field(
        examples=["姓名曾依法变更，公积金档案保留原名，已在备注中说明"],
        description="What was corrected at the source, or why the values differ",
    )


def department_resources(department: str) -> set[str]:
    """The resources `department` provides."""
    return {c.id for c in bundled_contracts().values() if c.department == department}


def _ref(directory: Directory, conflict: Conflict) -> ConflictRef:
    contracts = bundled_contracts()
    return ConflictRef(
        item=conflict.item,
        subject_hash=directory.audit.subject_hash(conflict.subject_key),
        authoritative_resource=conflict.authoritative_resource,
        other_resource=conflict.other_resource,
        department=contracts[conflict.other_resource].department,
        batch=conflict.batch,
    )


def _model(conflict: Conflict, ref: ConflictRef, settled: ResolutionView | None) -> ConflictModel:
    contracts = bundled_contracts()
    return ConflictModel(
        id=ref.conflict_id,
        item=conflict.item,
        subject_key=conflict.subject_key,
        subject_hash=ref.subject_hash,
        authoritative_resource=conflict.authoritative_resource,
        authoritative_department=contracts[conflict.authoritative_resource].department,
        authoritative_value=conflict.authoritative_value,
        authoritative_batch=conflict.authoritative_batch,
        other_resource=conflict.other_resource,
        other_department=ref.department,
        other_value=conflict.other_value,
        other_batch=conflict.other_batch,
        found_in_batch=conflict.batch,
        # The certifier stamps in the machine's local time without a zone; say which.
        detected_at=conflict.detected_at.astimezone(dt.UTC),
        status="settled" if settled else "open",
        settlement=(
            SettlementModel(
                outcome=settled.outcome,
                note=settled.note,
                resolved_by=settled.resolved_by,
                resolved_at=settled.resolved_at,
            )
            if settled
            else None
        ),
    )


def _queue(
    directory: Directory, snapshot: Snapshot, resources: set[str]
) -> list[tuple[Conflict, ConflictRef, ResolutionView | None]]:
    conflicts = read_conflicts(snapshot.query_records, bundled_contracts(), resources)
    refs = [_ref(directory, c) for c in conflicts]
    settled = directory.conflicts.of(r.conflict_id for r in refs)
    return [(c, r, settled.get(r.conflict_id)) for c, r in zip(conflicts, refs, strict=True)]


@router.get(
    "",
    response_model=list[ConflictModel],
    summary="Conflicts with an authoritative source waiting for my department (oldest first)",
)
def conflict_queue(
    caller: Steward,
    directory: Dir,
    snapshot: Published,
    request: Request,
    status_: Annotated[
        Literal["open", "settled", "all"], Query(alias="status", description="Which ones")
    ] = "open",
) -> list[ConflictModel]:
    shown = [
        _model(c, r, s)
        for c, r, s in _queue(directory, snapshot, department_resources(caller.department))
        if status_ == "all" or (s is None) == (status_ == "open")
    ]
    _log(directory, caller, request, "conflict.read", "served", shown)
    return shown


@router.post(
    "/{conflict_id}/resolve",
    response_model=ConflictModel,
    summary="Settle a conflict: corrected at the source, or explained (its provider's steward)",
)
def resolve_conflict(
    conflict_id: ConflictId,
    body: ConflictSettlement,
    caller: Steward,
    directory: Dir,
    snapshot: Published,
    request: Request,
) -> ConflictModel:
    everyone = {c.id for c in bundled_contracts().values()}
    found = [q for q in _queue(directory, snapshot, everyone) if q[1].conflict_id == conflict_id]
    if not found:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            detail={
                "code": "unknown_conflict",
                "message": f"no conflict {conflict_id} in the published snapshot; list the "
                "open ones at /v1/directory/conflicts",
            },
        )
    conflict, ref, _ = found[0]
    if ref.department != caller.department:
        model = _model(conflict, ref, None)
        _log(directory, caller, request, "conflict.resolve", "refused", [model])
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail={
                "code": "not_your_department",
                "message": f"conflict {conflict_id} is about {ref.other_resource}, which "
                f"{ref.department} provides; only its steward settles it",
            },
        )
    settled = directory.conflicts.resolve(ref, caller.actor, body.outcome.value, body.note)
    model = _model(conflict, ref, settled)
    _log(directory, caller, request, "conflict.resolve", "served", [model])
    return model


def _log(
    directory: Directory,
    caller: Caller,
    request: Request,
    action: str,
    outcome: str,
    conflicts: Sequence[ConflictModel],
) -> None:
    """One audit entry per conflict shown or acted on: each names a subject."""
    rid = request_id(request)
    directory.audit.append_many(
        actor_event(
            caller.actor,
            action,
            outcome,
            subject_hash=c.subject_hash,
            resources=[c.authoritative_resource, c.other_resource],
            items=[c.item],
            reason=f"conflict {c.id}" + (f": {c.settlement.outcome.value}" if c.settlement else ""),
            request_id=rid,
        )
        for c in conflicts
    )
