"""A steward's inbox (`directory.inbox`): what waits on their department, oldest first, with
counts per kind and a link to where each item is handled.

Stewards read their own department's inbox only; any other role, or a steward naming another
department, is refused. The items carry ids and counts, not subject data, but the inbox says
what a department has to do, so each read and each refusal is written to the audit log.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from pydantic import BaseModel, Field

from api.auth import Caller, Steward, get_directory
from api.deps import published_snapshot
from api.errors import ERROR_RESPONSES, ErrorContractRoute
from api.middleware import request_id
from directory.audit import actor_event
from directory.inbox import Inbox, InboxKind, inbox_of
from directory.store import Directory
from snapshot.reader import Snapshot

router = APIRouter(
    prefix="/v1/directory/inbox",
    tags=["directory: inbox"],
    route_class=ErrorContractRoute,
    responses=ERROR_RESPONSES,
)
Dir = Annotated[Directory, Depends(get_directory)]


class InboxItemModel(BaseModel):
    kind: InboxKind
    ref: str = Field(examples=["7"], description="Request or objection number, or resource/batch")
    key: str = Field(examples=["share_request:7:overdue"], description="Names item and state")
    event_type: str = Field(examples=["inbox.share_request.overdue"])
    resource: str = Field(examples=["hpf_account"])
    since: dt.datetime = Field(description="When it started waiting")
    count: int = Field(examples=[1], description="1, or the rows / conflicts of the group")
    overdue: bool
    summary: str
    console_link: str = Field(examples=["/console/share-requests#request-7"])
    api_link: str = Field(examples=["/v1/directory/share-requests/7"])


class InboxModel(BaseModel):
    department: str = Field(examples=["hpf"])
    published: bool = Field(description="False: nothing published yet (no snapshot items)")
    total: int
    overdue: int = Field(description="Share requests past their answer limit")
    counts: dict[InboxKind, int]
    items: list[InboxItemModel] = Field(description="Oldest first")


def _model(inbox: Inbox) -> InboxModel:
    return InboxModel(
        department=inbox.department,
        published=inbox.published,
        total=len(inbox.items),
        overdue=inbox.overdue,
        counts=inbox.counts,
        items=[
            InboxItemModel(
                kind=i.kind,
                ref=i.ref,
                key=i.key,
                event_type=i.event_type,
                resource=i.resource,
                since=i.since,
                count=i.count,
                overdue=i.overdue,
                summary=i.summary,
                console_link=i.console_link,
                api_link=i.api_link,
            )
            for i in inbox.items
        ],
    )


@router.get(
    "",
    response_model=InboxModel,
    summary="What waits on my department, oldest first: share requests, objections, conflicts, "
    "gate failures, quarantine (stewards)",
)
def inbox(
    caller: Steward,
    directory: Dir,
    snapshot: Annotated[Snapshot | None, Depends(published_snapshot)],
    request: Request,
    department: Annotated[str | None, Query(description="Default and only choice: yours")] = None,
) -> InboxModel:
    if department is not None and department != caller.department:
        _log(directory, caller, request, "refused", f"inbox of {department} asked for")
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail={
                "code": "not_your_department",
                "message": f"the inbox of {department} is for its own stewards; "
                f"{caller.name} stewards {caller.department}",
            },
        )
    found = inbox_of(directory, caller.department, snapshot.query_records if snapshot else None)
    counts = ", ".join(f"{k.value} {n}" for k, n in found.counts.items())
    _log(directory, caller, request, "served", f"{len(found.items)} items: {counts}")
    return _model(found)


def _log(directory: Directory, caller: Caller, request: Request, outcome: str, why: str) -> None:
    directory.audit.append(
        actor_event(caller.actor, "inbox.read", outcome, reason=why, request_id=request_id(request))
    )
