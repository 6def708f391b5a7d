"""Steward endpoints for share requests (submit, approve, reject, revoke) and the grant check
the exchange and clerks use."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status

from api import steward_views as views
from api.auth import Editor, Reader, get_directory
from api.bounds import DAY_RANGE, CalendarDay, RowId
from api.errors import ERROR_RESPONSES, ErrorContractRoute
from api.models_directory import (
    Approval,
    GrantDecision,
    ReasonBody,
    ShareRequestCreate,
    ShareRequestResponse,
)
from directory.actors import Role
from directory.sharing import RequestStatus
from directory.store import Directory

router = APIRouter(
    prefix="/v1/directory",
    tags=["directory: sharing"],
    route_class=ErrorContractRoute,
    responses=ERROR_RESPONSES,
)
Dir = Annotated[Directory, Depends(get_directory)]
_SEE_ALL = (Role.admin, Role.auditor)


@router.get(
    "/share-requests",
    response_model=list[ShareRequestResponse],
    summary="Share requests of a department: made (outgoing), received (incoming) or both",
)
def list_requests(
    caller: Reader,
    directory: Dir,
    department: Annotated[
        str | None, Query(description="Default: yours; admins and auditors see all")
    ] = None,
    direction: Annotated[str, Query(pattern="^(all|incoming|outgoing)$")] = "all",
    status_: Annotated[RequestStatus | None, Query(alias="status")] = None,
) -> list[ShareRequestResponse]:
    if department is None and caller.role not in _SEE_ALL:
        department = caller.department
    found = directory.requests.list(department, direction, status_)
    return [views.share_request(r) for r in found]


def _request_link(action: str, method: str) -> dict[str, Any]:
    """An OpenAPI link from a submitted request to an operation on it, so clients and
    stateful test tools can follow the id the answer carries."""
    suffix = "" if not action else f"~1{action}"
    return {
        "operationRef": f"#/paths/~1v1~1directory~1share-requests~1{{request_id}}{suffix}/{method}",
        "parameters": {"request_id": "$response.body#/id"},
    }


@router.post(
    "/share-requests",
    response_model=ShareRequestResponse,
    status_code=status.HTTP_201_CREATED,
    summary="Ask for a resource's items for a service item (unconditional: granted at once)",
    responses={
        status.HTTP_201_CREATED: {
            "description": "The request as filed",
            "links": {
                "ShowRequest": _request_link("", "get"),
                "ApproveRequest": _request_link("approve", "post"),
                "RejectRequest": _request_link("reject", "post"),
                "RevokeRequest": _request_link("revoke", "post"),
            },
        }
    },
)
def submit_request(
    body: ShareRequestCreate, caller: Editor, directory: Dir
) -> ShareRequestResponse:
    view = directory.requests.submit(
        caller.actor,
        body.department or caller.department,
        body.resource_code,
        body.service_item_code,
        body.purpose,
        body.legal_basis,
        body.items,
    )
    return views.share_request(view)


@router.get("/share-requests/{request_id}", response_model=ShareRequestResponse, summary="One")
def show_request(request_id: RowId, _caller: Reader, directory: Dir) -> ShareRequestResponse:
    return views.share_request(directory.requests.get(request_id))


@router.post(
    "/share-requests/{request_id}/approve",
    response_model=ShareRequestResponse,
    summary="Approve (the provider's steward): validity, optional daily quota",
)
def approve(
    request_id: RowId, body: Approval, caller: Editor, directory: Dir
) -> ShareRequestResponse:
    view = directory.requests.approve(
        request_id, caller.actor, body.valid_until, body.daily_quota, body.note
    )
    return views.share_request(view)


@router.post(
    "/share-requests/{request_id}/reject",
    response_model=ShareRequestResponse,
    summary="Reject with a reason (the provider's steward)",
)
def reject(
    request_id: RowId, body: ReasonBody, caller: Editor, directory: Dir
) -> ShareRequestResponse:
    return views.share_request(directory.requests.reject(request_id, caller.actor, body.reason))


@router.post(
    "/share-requests/{request_id}/revoke",
    response_model=ShareRequestResponse,
    summary="Revoke a grant with a reason (the provider's steward)",
)
def revoke(
    request_id: RowId, body: ReasonBody, caller: Editor, directory: Dir
) -> ShareRequestResponse:
    return views.share_request(directory.requests.revoke(request_id, caller.actor, body.reason))


@router.get(
    "/grants/check",
    response_model=GrantDecision,
    summary="May department D read items I of resource R for service item S on day T?",
)
def check_grant(
    _caller: Reader,
    directory: Dir,
    department: Annotated[str, Query(examples=["mr"])],
    resource: Annotated[str, Query(examples=["301001/000001"])],
    service_item: Annotated[str, Query(examples=["4101000001"])],
    items: Annotated[list[str], Query(examples=[["id_number", "name"]])],
    on: Annotated[CalendarDay, Query(description=f"Default: today in China; {DAY_RANGE}")] = None,
) -> GrantDecision:
    decision = directory.grants.check(department, resource, items, service_item, on)
    return GrantDecision(
        allowed=decision.allowed,
        reason=decision.reason,
        request_id=decision.request_id,
        daily_quota=decision.daily_quota,
    )
