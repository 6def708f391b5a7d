"""The provider steward's side of data objections (数据异议): their department's queue, one
objection, and its resolution (corrected at source, or rejected with a reason).

Clerks file objections through the clerk routes. Stewards see and resolve only objections to
their own department's data, and even admins cannot (they do not read subject data). What a
steward is shown carries the subject's key and claimed value, so each objection shown, and
each refusal, is written to the audit log like any other read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from api.auth import Caller, Steward, get_directory
from api.bounds import RowId
from api.errors import ERROR_RESPONSES, ErrorContractRoute
from api.middleware import request_id
from directory.audit import actor_event
from directory.errors import PermissionDenied
from directory.objections import ObjectionStatus, ObjectionView
from directory.store import Directory

router = APIRouter(
    prefix="/v1/objections",
    tags=["objections"],
    route_class=ErrorContractRoute,
    responses=ERROR_RESPONSES,
)
Dir = Annotated[Directory, Depends(get_directory)]


class ObjectionStepModel(BaseModel):
    at: dt.datetime
    actor: str = Field(examples=["zhang.min"])
    action: str = Field(examples=["filed"], description="filed, corrected_at_source, rejected")
    note: str = Field(examples=["申请人户口簿记载为“张伟”"])


class ObjectionResponse(BaseModel):
    id: int = Field(examples=[17])
    subject_key: str = Field(examples=["11010519491231002X"])
    subject_hash: str = Field(description="The subject's keyed hash, as in the audit log")
    resource: str = Field(examples=["ps_population"])
    resource_name: str = Field(examples=["人口基本信息"])
    item: str = Field(examples=["name"])
    provider_department: str = Field(examples=["ps"])
    claimed_value: str = Field(examples=["张伟"], description="What the applicant says is right")
    note: str = Field(examples=["申请人户口簿记载为“张伟”"])
    service_item: str = Field(examples=["4101000001"])
    case_no: str = Field(examples=["GSC-2026-000123"])
    filed_by: str = Field(examples=["zhang.min"])
    filed_department: str = Field(examples=["mr"])
    filed_at: dt.datetime
    status: ObjectionStatus
    resolved_by: str | None = Field(examples=[None])
    resolved_at: dt.datetime | None = None
    resolution: str = Field(examples=[""], description="The steward's reason or note")
    age_working_days: int = Field(examples=[2], description="Until resolved, or until today")
    events: list[ObjectionStepModel]


class Resolution(BaseModel):
    outcome: Literal["corrected_at_source", "rejected"] = Field(examples=["rejected"])
    reason: str = Field(
        default="",
        max_length=2000,
        examples=["户籍档案核查无误，申请人所持户口簿为旧版"],
        description="Required when rejecting",
    )


@router.get(
    "",
    response_model=list[ObjectionResponse],
    summary="Your department's objection queue, oldest first (stewards)",
)
def queue(
    request: Request,
    caller: Steward,
    directory: Dir,
    status: Annotated[
        Literal["open", "corrected_at_source", "rejected", "all"],
        Query(description="Default: the open ones"),
    ] = "open",
) -> list[ObjectionResponse]:
    found = directory.objections.queue(
        caller.department, None if status == "all" else ObjectionStatus(status)
    )
    _log_shown(directory, caller, request, "objection.queue", found)
    return [_response(v) for v in found]


@router.get(
    "/{objection_id}",
    response_model=ObjectionResponse,
    summary="One objection to your department's data (stewards)",
)
def show(
    objection_id: RowId, request: Request, caller: Steward, directory: Dir
) -> ObjectionResponse:
    view = directory.objections.get(objection_id)
    if view.provider_department != caller.department:
        _log_refused(directory, caller, request, "objection.read", view)
        raise PermissionDenied(
            f"objection #{objection_id} is about {view.provider_department} data; only its "
            "stewards may see it"
        )
    _log_shown(directory, caller, request, "objection.read", [view])
    return _response(view)


@router.post(
    "/{objection_id}/resolve",
    response_model=ObjectionResponse,
    summary="Resolve: corrected at the source, or rejected with a reason (the provider's steward)",
)
def resolve(
    objection_id: RowId, body: Resolution, request: Request, caller: Steward, directory: Dir
) -> ObjectionResponse:
    try:
        view = directory.objections.resolve(objection_id, caller.actor, body.outcome, body.reason)
    except PermissionDenied:
        _log_refused(
            directory, caller, request, "objection.resolve", directory.objections.get(objection_id)
        )
        raise
    _log_shown(directory, caller, request, "objection.resolve", [view])
    return _response(view)


def _log_shown(
    directory: Directory,
    caller: Caller,
    request: Request,
    action: str,
    views: Sequence[ObjectionView],
) -> None:
    rid = request_id(request)
    directory.audit.append_many(
        actor_event(
            caller.actor,
            action,
            "served",
            subject_hash=v.subject_hash,
            resources=[v.resource],
            items=[v.item],
            reason=f"objection #{v.id}",
            request_id=rid,
        )
        for v in views
    )


def _log_refused(
    directory: Directory, caller: Caller, request: Request, action: str, view: ObjectionView
) -> None:
    directory.audit.append(
        actor_event(
            caller.actor,
            action,
            "refused",
            subject_hash=view.subject_hash,
            resources=[view.resource],
            reason=f"objection #{view.id} is about {view.provider_department} data",
            request_id=request_id(request),
        )
    )


def _response(view: ObjectionView) -> ObjectionResponse:
    return ObjectionResponse(
        id=view.id,
        subject_key=view.subject_key,
        subject_hash=view.subject_hash,
        resource=view.resource,
        resource_name=view.resource_name,
        item=view.item,
        provider_department=view.provider_department,
        claimed_value=view.claimed_value,
        note=view.note,
        service_item=view.service_item,
        case_no=view.case_no,
        filed_by=view.filed_by,
        filed_department=view.filed_department,
        filed_at=view.filed_at,
        status=view.status,
        resolved_by=view.resolved_by,
        resolved_at=view.resolved_at,
        resolution=view.resolution,
        age_working_days=view.age_working_days,
        events=[
            ObjectionStepModel(at=e.at, actor=e.actor, action=e.action, note=e.note)
            for e in view.events
        ],
    )
