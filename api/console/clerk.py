"""Clerks' pages: prefill a service item's form for an applicant, print it as a certified
extract (PDF), and object to a value.

Every form that carries the applicant's key is posted (with the form token), so the key never
sits in a URL: the prefill, the objection form opened from a value, and the way back.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, Response

from api.console.client import ApiError
from api.console.render import view
from api.console.session import CONSOLE_PATH, Console, checked_form, role_gate

router = APIRouter(prefix=CONSOLE_PATH)
Clerk = Annotated[Console, Depends(role_gate("clerk"))]
Text = Annotated[str, Query(max_length=64)]
AS_OF = re.compile(r"\d{4}-\d{2}-\d{2}")


async def service_items(console: Console) -> list[dict[str, Any]]:
    """The service items of the catalogue, the clerk's own department first."""
    items = [i["item"] for i in await console.api.get("/v1/directory/service-items")]
    return sorted(items, key=lambda i: (i["department"] != console.department, i["code"]))


@router.get("/prefill", response_class=HTMLResponse)
async def prefill_form(console: Clerk, service_item: Text = "", case_no: Text = "") -> HTMLResponse:
    """The empty form (a service item and case number may be given; never the applicant)."""
    asked = {"service_item": service_item, "subject": "", "case_no": case_no, "as_of": ""}
    return view(
        console,
        "prefill.html",
        items=await service_items(console),
        asked=asked,
        answer=None,
        error=None,
    )


@router.post("/prefill", response_class=HTMLResponse)
async def prefill(console: Clerk) -> HTMLResponse:
    """The prefill, asked by POST: the applicant's key travels in the body, so it never sits
    in a URL (access logs, the browser's history, a Referer)."""
    form = await checked_form(console)
    asked = {k: str(form.get(k, ""))[:64] for k in ("service_item", "subject", "case_no", "as_of")}
    if asked["as_of"] and not AS_OF.fullmatch(asked["as_of"]):
        asked["as_of"] = ""
    answer = None
    error: ApiError | None = None
    try:
        answer = await console.api.post(
            "/v1/prefill",
            {
                "service_item": asked["service_item"],
                "subject": asked["subject"],
                "case_no": asked["case_no"],
                # The end of that day in China: a case is reviewed as it stood that day.
                "as_of": f"{asked['as_of']}T23:59:59+08:00" if asked["as_of"] else None,
            },
        )
    except ApiError as refused:
        if refused.status >= 500:
            raise
        error = refused
    return view(
        console,
        "prefill.html",
        status_code=error.status if error else 200,
        items=await service_items(console),
        asked=asked,
        answer=answer,
        error=error,
    )


@router.post("/extract.pdf", response_model=None)
async def extract_pdf(console: Clerk) -> Response:
    """The prefill as a signed, printable extract (the API's `/v1/extracts/pdf`), downloaded.
    Posted like the prefill, so the applicant's key stays out of the URL."""
    form = await checked_form(console)
    body = {k: str(form.get(k, ""))[:64] for k in ("service_item", "subject", "case_no")}
    answer = await console.api.response(
        "POST", "/v1/extracts/pdf", json={"kind": "prefill", **body}
    )
    return Response(
        answer.content,
        media_type="application/pdf",
        headers={"Content-Disposition": answer.headers["content-disposition"]},
    )


@router.post("/objections/draft", response_class=HTMLResponse)
async def objection_form(console: Clerk) -> HTMLResponse:
    """The objection form for one prefilled value, opened by POST from the prefill page."""
    form = await checked_form(console)
    limits = {"field": 100, "current": 500}
    asked = {
        name: str(form.get(name, ""))[: limits.get(name, 64)]
        for name in ("subject", "resource", "item", "service_item", "case_no", "field", "current")
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
