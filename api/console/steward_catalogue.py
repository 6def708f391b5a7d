"""The stewards' catalogue page: keyword search with filters kept in the URL (a filtered view
is a bookmark), the sheet export of exactly that view, and the bulk import with its dry run.

The import is two steps without any state on the server: the dry run's page carries the
uploaded sheet back in its confirm form, and confirming sends it to the API again, which
checks every cell again before writing (so a sheet that went stale in between is refused,
not half applied). Everything goes through the `/v1/directory` routes with the user's token.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from api.console.client import ApiError
from api.console.render import view
from api.console.session import CONSOLE_PATH, Console, checked_form, role_gate
from api.console.steward_inbox import inbox_of
from api.console.steward_quality import late_deliveries
from directory.departments import departments

router = APIRouter(prefix=CONSOLE_PATH)
Steward = Annotated[Console, Depends(role_gate("steward", "admin"))]
PAGE_SIZE = 20
FILTERS = ("department", "sharing_type", "open_to_public", "update_cycle", "status", "data_grade")
IMPORT = "/v1/directory/import"


def _chosen(values: dict[str, str | None]) -> dict[str, str]:
    """The filters actually set, in a fixed order (so equal views have equal URLs)."""
    return {name: value for name in FILTERS if (value := values.get(name))}


@router.get("/catalogue", response_class=HTMLResponse)
async def catalogue(
    console: Steward,
    q: Annotated[str, Query(max_length=200)] = "",
    department: Annotated[str | None, Query(max_length=32)] = None,
    sharing_type: Annotated[str | None, Query(max_length=32)] = None,
    open_to_public: Annotated[str | None, Query(max_length=8)] = None,
    update_cycle: Annotated[str | None, Query(max_length=32)] = None,
    status: Annotated[str | None, Query(max_length=32)] = None,
    data_grade: Annotated[str | None, Query(max_length=32)] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    done: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    chosen = _chosen(
        {
            "department": department,
            "sharing_type": sharing_type,
            "open_to_public": open_to_public,
            "update_cycle": update_cycle,
            "status": status,
            "data_grade": data_grade,
        }
    )
    query = {"q": q, **chosen} if q else chosen
    canonical = urlencode({**query, **({"offset": offset} if offset else {})})
    if not done and console.request.url.query != canonical:
        # The form sends every field, empty ones too: keep only what filters, so the address
        # bar holds a short bookmark of exactly this view.
        suffix = f"?{canonical}" if canonical else ""
        return RedirectResponse(f"{CONSOLE_PATH}/catalogue{suffix}", status_code=303)
    found = await console.api.get("/v1/directory/entries", **query, limit=PAGE_SIZE, offset=offset)
    return view(
        console,
        "catalogue.html",
        q=q,
        chosen=chosen,
        here_query=urlencode(query),
        departments=list(departments().values()),
        found=found,
        offset=offset,
        page_size=PAGE_SIZE,
        late=await late_deliveries(console),
        inbox=await inbox_of(console),
        done=done,
    )


@router.get("/catalogue/export.{fmt}")
async def export(console: Steward, fmt: Annotated[str, Path(pattern="^(csv|xlsx)$")]) -> Response:
    """The sheet of the view the steward is looking at (the same query, passed on)."""
    params = {k: v for k, v in console.request.query_params.items() if k in ("q", *FILTERS)}
    answer = await console.api.response("GET", f"/v1/directory/export.{fmt}", params=params)
    return Response(
        answer.content,
        media_type=answer.headers["content-type"],
        headers={"Content-Disposition": answer.headers["content-disposition"]},
    )


async def _send(console: Console, name: str, data: bytes, reason: str, dry_run: bool) -> Any:
    answer = await console.api.upload(
        IMPORT,
        files={"file": (name, data)},
        data={"reason": reason},
        params={"dry_run": "true" if dry_run else "false"},
    )
    return answer.json()


@router.post("/catalogue/import", response_class=HTMLResponse)
async def import_dry_run(console: Steward) -> Response:
    """Step one: upload the sheet, see what would be created, changed or refused, and why."""
    form = await checked_form(console)
    upload = form.get("file")
    reason = str(form.get("reason", "")).strip()
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _import_page(console, None, "", b"", reason, "请选择要导入的目录文件", 422)
    data = await upload.read()
    report = await _send(console, upload.filename, data, reason, dry_run=True)
    return _import_page(console, report, upload.filename, data, reason)


@router.post("/catalogue/import/confirm", response_class=HTMLResponse)
async def import_confirm(console: Steward) -> Response:
    """Step two: the same sheet, sent again for real; refused cells are shown, not written."""
    form = await checked_form(console)
    name = str(form.get("file_name", "")) or "catalogue.csv"
    reason = str(form.get("reason", "")).strip()
    try:
        data = base64.b64decode(str(form.get("sheet", "")), validate=True)
    except binascii.Error:
        return _import_page(console, None, name, b"", reason, "文件内容已损坏，请重新上传", 422)
    try:
        await _send(console, name, data, reason, dry_run=False)
    except ApiError as error:
        if error.status != 422:
            raise
        report = await _send(console, name, data, reason, dry_run=True)
        return _import_page(console, report, name, data, reason, error.message, 422)
    return RedirectResponse(f"{CONSOLE_PATH}/catalogue?done=imported", status_code=303)


def _import_page(
    console: Console,
    report: dict[str, Any] | None,
    name: str,
    data: bytes,
    reason: str,
    problem: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    return view(
        console,
        "catalogue_import.html",
        status_code=status_code,
        report=report,
        file_name=name,
        sheet=base64.b64encode(data).decode("ascii"),
        reason=reason,
        problem=problem,
    )
