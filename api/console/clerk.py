"""Clerks' pages: prefill a service item's form for an applicant, and object to a value."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, Response

from api.console.client import ApiError
from api.console.render import view
from api.console.session import CONSOLE_PATH, Console, checked_form, role_gate

router = APIRouter(prefix=CONSOLE_PATH)
Clerk = Annotated[Console, Depends(role_gate("clerk"))]
Text = Annotated[str, Query(max_length=64)]


async def _service_items(console: Console) -> list[dict[str, Any]]:
    """The service items of the catalogue, the clerk's own department first."""
    items = [i["item"] for i in await console.api.get("/v1/directory/service-items")]
    return sorted(items, key=lambda i: (i["department"] != console.department, i["code"]))


@router.get("/prefill", response_class=HTMLResponse)
async def prefill(
    console: Clerk,
    service_item: Text = "",
    subject: Text = "",
    case_no: Text = "",
    as_of: Annotated[str, Query(pattern=r"^(\d{4}-\d{2}-\d{2})?$")] = "",
) -> HTMLResponse:
    answer = None
    error: ApiError | None = None
    if service_item and subject and case_no:
        try:
            answer = await console.api.get(
                "/v1/prefill",
                service_item=service_item,
                subject=subject,
                case_no=case_no,
                # The end of that day in China: a case is reviewed as it stood that day.
                as_of=f"{as_of}T23:59:59+08:00" if as_of else None,
            )
        except ApiError as refused:
            if refused.status >= 500:
                raise
            error = refused
    return view(
        console,
        "prefill.html",
        status_code=error.status if error else 200,
        items=await _service_items(console),
        asked={
            "service_item": service_item,
            "subject": subject,
            "case_no": case_no,
            "as_of": as_of,
        },
        answer=answer,
        error=error,
    )


@router.get("/objections/new", response_class=HTMLResponse)
async def objection_form(
    console: Clerk,
    subject: Text,
    resource: Text,
    item: Text,
    service_item: Text,
    case_no: Text,
    field: Annotated[str, Query(max_length=100)] = "",
    current: Annotated[str, Query(max_length=500)] = "",
) -> HTMLResponse:
    asked = {
        "subject": subject,
        "resource": resource,
        "item": item,
        "service_item": service_item,
        "case_no": case_no,
        "field": field,
        "current": current,
    }
    return view(console, "objection_new.html", asked=asked, filed=None, errors={})


@router.post("/objections/new", response_class=HTMLResponse)
async def file_objection(console: Clerk) -> Response:
    form = await checked_form(console)
    asked = {k: str(v) for k, v in form.items() if k != "csrf"}
    body = {
        k: asked.get(k, "")
        for k in ("subject", "resource", "item", "claimed_value", "note", "service_item", "case_no")
    }
    try:
        filed = await console.api.post("/v1/objections", body)
    except ApiError as error:
        if error.status >= 500:
            raise
        errors = error.problems_by_field() or {"claimed_value": error.message}
        return view(
            console,
            "objection_new.html",
            status_code=error.status,
            asked=asked,
            filed=None,
            errors=errors,
        )
    return view(console, "objection_new.html", asked=asked, filed=filed, errors={})
