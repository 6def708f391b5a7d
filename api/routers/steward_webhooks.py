"""A department's outbound webhook (`directory.webhooks`): register a URL and get its secret,
see it, remove it, and read its delivery log.

A steward acts for their own department, an admin for any (`directory.actors`). Registering
only writes the directory; the worker (`onceonly webhooks deliver`) sends the events, so no
request here waits on a receiver. Each registration, removal and log read is audited.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from pydantic import BaseModel, Field

from api.auth import Caller, Editor, get_directory
from api.errors import ERROR_RESPONSES, ErrorContractRoute
from api.middleware import request_id
from directory.audit import actor_event
from directory.errors import PermissionDenied
from directory.store import Directory
from directory.webhooks import (
    MAX_ATTEMPTS,
    DeliveryStatus,
    DeliveryView,
    WebhookView,
)

router = APIRouter(
    prefix="/v1/directory/webhook",
    tags=["directory: webhook"],
    route_class=ErrorContractRoute,
    responses=ERROR_RESPONSES,
)
Dir = Annotated[Directory, Depends(get_directory)]
Department = Annotated[
    str | None, Query(description="Default: yours; an admin names any department")
]


class WebhookRegistration(BaseModel):
    url: str = Field(max_length=2000, examples=["https://hpf.example.gov.cn/onceonly/events"])
    department: str | None = Field(default=None, description="Default: yours (admins: any)")


class WebhookModel(BaseModel):
    department: str = Field(examples=["hpf"])
    url: str
    active: bool
    registered_by: str
    registered_at: dt.datetime
    scanned_at: dt.datetime | None = Field(description="When the worker first listed the inbox")
    signature_scheme: str = Field(
        default="Standard Webhooks v1 (HMAC-SHA256): headers webhook-id, webhook-timestamp, "
        "webhook-signature over '{id}.{timestamp}.{body}'"
    )


class RegisteredModel(BaseModel):
    webhook: WebhookModel
    secret: str = Field(
        examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
        description="Shown this once: keep it with the receiver, which checks signatures by it",
    )


class AttemptModel(BaseModel):
    number: int
    at: dt.datetime
    status_code: int | None = Field(description="The receiver's answer; none if it gave none")
    error: str


class DeliveryModel(BaseModel):
    id: int
    event_id: str = Field(description="The webhook-id header, the same on every retry")
    event_type: str = Field(examples=["inbox.objection"])
    item_key: str = Field(examples=["objection:17"])
    status: DeliveryStatus
    attempts: int
    max_attempts: int = MAX_ATTEMPTS
    created_at: dt.datetime
    next_attempt_at: dt.datetime | None
    last_attempt_at: dt.datetime | None
    last_status_code: int | None
    last_error: str
    delivered_at: dt.datetime | None
    attempt_log: list[AttemptModel]


def _webhook(view: WebhookView) -> WebhookModel:
    return WebhookModel(
        department=view.department,
        url=view.url,
        active=view.active,
        registered_by=view.registered_by,
        registered_at=view.registered_at,
        scanned_at=view.scanned_at,
    )


def _delivery(view: DeliveryView) -> DeliveryModel:
    return DeliveryModel(
        id=view.id,
        event_id=view.event_id,
        event_type=view.event_type,
        item_key=view.item_key,
        status=view.status,
        attempts=view.attempts,
        created_at=view.created_at,
        next_attempt_at=view.next_attempt_at,
        last_attempt_at=view.last_attempt_at,
        last_status_code=view.last_status_code,
        last_error=view.last_error,
        delivered_at=view.delivered_at,
        attempt_log=[
            AttemptModel(number=a.number, at=a.at, status_code=a.status_code, error=a.error)
            for a in view.attempt_log
        ],
    )


def _department(
    directory: Directory, caller: Caller, request: Request, action: str, department: str | None
) -> str:
    """The department acted on, if the caller acts for it; a refusal is audited."""
    chosen = department or caller.department
    try:
        caller.actor.require(chosen, f"see or change the webhook of {chosen}")
    except PermissionDenied:
        _log(directory, caller, request, action, "refused", f"webhook of {chosen}")
        raise
    return chosen


@router.post(
    "",
    response_model=RegisteredModel,
    status_code=status.HTTP_201_CREATED,
    summary="Register (or replace) my department's webhook; the new secret is shown once",
)
def register(
    body: WebhookRegistration, caller: Editor, directory: Dir, request: Request
) -> RegisteredModel:
    department = _department(directory, caller, request, "webhook.register", body.department)
    registered = directory.webhooks.register(caller.actor, department, body.url)
    _log(directory, caller, request, "webhook.register", "served", f"webhook of {department}")
    return RegisteredModel(webhook=_webhook(registered.webhook), secret=registered.secret)


@router.get("", response_model=WebhookModel, summary="My department's webhook (no secret)")
def show(
    caller: Editor, directory: Dir, request: Request, department: Department = None
) -> WebhookModel:
    chosen = _department(directory, caller, request, "webhook.read", department)
    found = directory.webhooks.of(chosen)
    _log(directory, caller, request, "webhook.read", "served", f"webhook of {chosen}")
    return _webhook(found)


@router.delete("", response_model=WebhookModel, summary="Stop sending events (the log is kept)")
def remove(
    caller: Editor, directory: Dir, request: Request, department: Department = None
) -> WebhookModel:
    chosen = _department(directory, caller, request, "webhook.remove", department)
    removed = directory.webhooks.remove(caller.actor, chosen)
    _log(directory, caller, request, "webhook.remove", "served", f"webhook of {chosen}")
    return _webhook(removed)


@router.get(
    "/deliveries",
    response_model=list[DeliveryModel],
    summary="The delivery log, newest first: status, attempts, next try, last error",
)
def deliveries(
    caller: Editor,
    directory: Dir,
    request: Request,
    department: Department = None,
    status_: Annotated[DeliveryStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeliveryModel]:
    chosen = _department(directory, caller, request, "webhook.deliveries", department)
    found = directory.webhooks.deliveries(chosen, status_, limit)
    _log(
        directory,
        caller,
        request,
        "webhook.deliveries",
        "served",
        f"{len(found)} deliveries of the webhook of {chosen}",
    )
    return [_delivery(v) for v in found]


def _log(
    directory: Directory, caller: Caller, request: Request, action: str, outcome: str, why: str
) -> None:
    directory.audit.append(
        actor_event(caller.actor, action, outcome, reason=why, request_id=request_id(request))
    )
