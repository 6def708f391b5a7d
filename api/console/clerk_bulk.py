"""Clerks' pages for many applicants at once: the bulk prefill upload with its progress, and
the notices of values changed since prefill.

The upload is a plain multipart form (no JavaScript): the file is passed to
`POST /v1/prefill/bulk` as it came, and the browser is sent to the job's page, which reloads
itself every second while the job runs and then offers the workbook. Like every console page,
these call the API with the clerk's own token, so screening, audit and refusals are the API's.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from api.console.clerk import service_items
from api.console.client import ApiError
from api.console.render import view
from api.console.session import CONSOLE_PATH, Console, checked_form, role_gate

router = APIRouter(prefix=CONSOLE_PATH)
Clerk = Annotated[Console, Depends(role_gate("clerk"))]
JobId = Annotated[str, Path(pattern="^[0-9a-f]{32}$")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/prefill/bulk", response_class=HTMLResponse)
async def bulk_form(console: Clerk) -> HTMLResponse:
    """The upload form: a service item of the clerk's department and the list of applicants."""
    return view(
        console,
        "prefill_bulk.html",
        items=await service_items(console),
        asked={"service_item": ""},
        error=None,
    )


@router.post("/prefill/bulk", response_class=HTMLResponse)
async def bulk_upload(console: Clerk) -> Response:
    form = await checked_form(console)
    service_item = str(form.get("service_item", ""))[:40]
    upload = form.get("list")
    error: ApiError | None = None
    if not isinstance(upload, UploadFile) or not upload.filename:
        error = ApiError(422, {"code": "no_file", "message": "请选择申请人名单文件"})
    else:
        content = await upload.read()
        excel = (upload.filename or "").lower().endswith((".xlsx", ".xls"))
        try:
            job = await console.api.upload_body(
                "/v1/prefill/bulk",
                content,
                XLSX if excel else "text/csv",
                service_item=service_item,
            )
        except ApiError as refused:
            if refused.status >= 500:
                raise
            error = refused
        else:
            return RedirectResponse(f"{CONSOLE_PATH}/prefill/bulk/{job['job']}", status_code=303)
    return view(
        console,
        "prefill_bulk.html",
        status_code=error.status,
        items=await service_items(console),
        asked={"service_item": service_item},
        error=error,
    )


@router.get("/prefill/bulk/{job}", response_class=HTMLResponse)
async def bulk_job(console: Clerk, job: JobId) -> HTMLResponse:
    """The job's progress, reloaded every second while it runs; then its workbook."""
    state = await console.api.get(f"/v1/prefill/bulk/{job}")
    return view(console, "prefill_bulk_job.html", job=state)


@router.get("/prefill/bulk/{job}/workbook")
async def bulk_workbook(console: Clerk, job: JobId) -> Response:
    answer = await console.api.response("GET", f"/v1/prefill/bulk/{job}/workbook")
    return Response(
        answer.content,
        media_type=XLSX,
        headers={"Content-Disposition": answer.headers.get("content-disposition", "attachment")},
    )


@router.get("/prefill/changes", response_class=HTMLResponse)
async def changes(console: Clerk) -> HTMLResponse:
    """The department's open cases whose prefilled values a source has since corrected."""
    return view(
        console, "prefill_changes.html", answer=await console.api.get("/v1/prefill/changes")
    )
