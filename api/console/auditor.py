"""Auditors' page: the audit log with filters, and the hash chain's verification."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse

from api.console.render import view
from api.console.session import CONSOLE_PATH, Console, role_gate

router = APIRouter(prefix=CONSOLE_PATH)
Auditor = Annotated[Console, Depends(role_gate("auditor"))]
Filter = Annotated[str, Query(max_length=100)]
PAGE_SIZE = 50


@router.get("/audit", response_class=HTMLResponse)
async def audit(
    console: Auditor,
    user: Filter = "",
    department: Filter = "",
    action: Filter = "",
    outcome: Annotated[str, Query(pattern="^(|served|partial|refused)$")] = "",
    since: Filter = "",
    until: Filter = "",
    offset: Annotated[int, Query(ge=0)] = 0,
) -> HTMLResponse:
    filters = {
        "user": user,
        "department": department,
        "action": action,
        "outcome": outcome,
        "since": since,
        "until": until,
    }
    page = await console.api.get("/v1/audit/entries", limit=PAGE_SIZE, offset=offset, **filters)
    verification = await console.api.get("/v1/audit/verify")
    return view(
        console,
        "audit.html",
        filters=filters,
        page=page,
        verification=verification,
        offset=offset,
        page_size=PAGE_SIZE,
    )
