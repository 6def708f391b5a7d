"""Stewards' pages: the catalogue, share requests, quarantine and the objection queue."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.console.client import ApiError
from api.console.render import view
from api.console.session import CONSOLE_PATH, Console, checked_form, role_gate
from directory.workdays import local_today

router = APIRouter(prefix=CONSOLE_PATH)
Steward = Annotated[Console, Depends(role_gate("steward", "admin"))]
# Objections name the applicant, and admins read no subject data (separation of duties).
ProviderSteward = Annotated[Console, Depends(role_gate("steward"))]
PAGE_SIZE = 20
# Scalar fields a steward edits on the entry form; data items are kept as they are.
TEXT_FIELDS = (
    "name",
    "abstract",
    "sharing_condition",
    "legal_basis",
    "open_condition",
    "steward",
)
CHOICE_FIELDS = ("sharing_type", "update_cycle", "status")


def _entry_path(code: str) -> str:
    return f"/v1/directory/entries/{code}"


async def _quality(console: Console, contract_id: str | None) -> dict[str, Any]:
    """Batches, quarantine counts and the last batch's rule checks, where the steward may see."""
    if not contract_id:
        return {}
    try:
        batches = await console.api.get(f"/v1/quality/{contract_id}/batches")
    except ApiError as error:
        if error.status in (403, 404, 503):
            return {"hidden": error.message}
        raise
    rules = (
        await console.api.get(f"/v1/quality/{contract_id}/validations/{batches[0]['batch']}")
        if batches
        else []
    )
    return {
        "batches": batches,
        "rules": rules,
        "quarantined": sum(b["rows_quarantined"] for b in batches),
        "trend": _trend([b for b in reversed(batches)]),
    }


def _trend(batches: list[dict[str, Any]]) -> dict[str, Any]:
    """Points of the quality-score line (oldest first) in a 300x60 box, for an inline SVG."""
    scores = [
        sum(b["scores"].values()) / len(b["scores"]) if b["scores"] else None for b in batches
    ]
    known = [(i, s) for i, s in enumerate(scores) if s is not None]
    if not known:
        return {"points": "", "low": None, "high": None}
    low = min(s for _, s in known)
    span = max(1.0 - low, 0.01)
    step = 300 / max(len(scores) - 1, 1)
    points = " ".join(f"{i * step:.1f},{58 - (s - low) / span * 56:.1f}" for i, s in known)
    return {"points": points, "low": low, "high": 1.0, "count": len(known)}


@router.get("/entries/{code:path}/edit", response_class=HTMLResponse)
async def edit_form(console: Steward, code: str) -> HTMLResponse:
    entry = await console.api.get(_entry_path(code))
    return view(console, "entry_edit.html", entry=entry, values=entry["entry"], errors={})


@router.post("/entries/{code:path}/edit", response_class=HTMLResponse)
async def edit(console: Steward, code: str) -> Response:
    form = await checked_form(console)
    changes: dict[str, Any] = {f: str(form.get(f, "")).strip() for f in TEXT_FIELDS}
    changes.update({f: str(form.get(f, "")) for f in CHOICE_FIELDS})
    changes["sharing_methods"] = [str(m) for m in form.getlist("sharing_methods")]
    changes["open_to_public"] = form.get("open_to_public") == "on"
    changes["publish_date"] = str(form.get("publish_date", "")) or None
    changes["replaced_by"] = str(form.get("replaced_by", "")).strip() or None
    body = {
        "expected_version": int(str(form.get("expected_version", "0")) or 0),
        "reason": str(form.get("reason", "")).strip(),
        "changes": changes,
    }
    try:
        await console.api.patch(_entry_path(code), body)
    except ApiError as error:
        if error.status not in (409, 422):
            raise
        entry = await console.api.get(_entry_path(code))
        errors = error.problems_by_field()
        if not body["reason"]:
            errors.setdefault("reason", "请说明修改原因 (say why you changed it)")
        return view(
            console,
            "entry_edit.html",
            status_code=error.status,
            entry=entry,
            values={**entry["entry"], **changes, "reason": body["reason"]},
            errors=errors,
            problem=error,
            expected_version=body["expected_version"],
        )
    return RedirectResponse(f"{CONSOLE_PATH}/entries/{code}/history?done=saved", status_code=303)


@router.get("/entries/{code:path}/history", response_class=HTMLResponse)
async def history(
    console: Steward, code: str, done: Annotated[str | None, Query()] = None
) -> HTMLResponse:
    entry = await console.api.get(_entry_path(code))
    versions = await console.api.get(f"{_entry_path(code)}/history")
    return view(console, "history.html", entry=entry, versions=versions, done=done)


@router.post("/entries/{code:path}/restore", response_class=HTMLResponse)
async def restore(console: Steward, code: str) -> Response:
    form = await checked_form(console)
    version = int(str(form.get("version", "0")))
    await console.api.post(
        f"{_entry_path(code)}/versions/{version}/restore",
        {
            "expected_version": int(str(form.get("expected_version", "0"))),
            "reason": str(form.get("reason", "")).strip() or f"恢复至第{version}版",
        },
    )
    return RedirectResponse(f"{CONSOLE_PATH}/entries/{code}/history?done=restored", status_code=303)


@router.get("/entries/{code:path}", response_class=HTMLResponse)
async def entry_page(console: Steward, code: str) -> HTMLResponse:
    entry = await console.api.get(_entry_path(code))
    dependents = await console.api.get(f"{_entry_path(code)}/dependents")
    quality = await _quality(console, entry["entry"].get("contract_id"))
    return view(console, "entry.html", entry=entry, dependents=dependents, quality=quality)


@router.get("/share-requests", response_class=HTMLResponse)
async def share_requests(
    console: Steward, done: Annotated[str | None, Query()] = None
) -> HTMLResponse:
    return await _share_requests_page(console, done)


async def _share_requests_page(
    console: Console,
    done: str | None = None,
    asked: dict[str, str] | None = None,
    problem: ApiError | None = None,
) -> HTMLResponse:
    """The queue to answer, and the form to file a request of one's own (with the
    submission's refusal beside its fields, and what was typed kept)."""
    received = await console.api.get(
        "/v1/directory/share-requests", department=console.department, direction="incoming"
    )
    waiting = sorted(
        (r for r in received if r["status"] == "pending"), key=lambda r: r["requested_at"]
    )
    decided = sorted(
        (r for r in received if r["decided_at"]), key=lambda r: r["decided_at"], reverse=True
    )
    default_until = local_today().replace(year=local_today().year + 1)
    return view(
        console,
        "share_requests.html",
        status_code=problem.status if problem else 200,
        waiting=waiting,
        decided=decided[:PAGE_SIZE],
        default_until=default_until,
        done=done,
        asked=asked or {},
        problem=problem,
        request_errors=_request_errors(problem),
    )


def _request_errors(problem: ApiError | None) -> dict[str, str]:
    """The refusal's problems by form field: every `items[n]` problem belongs to the items."""
    if problem is None:
        return {}
    errors: dict[str, str] = {}
    for field, text in problem.problems_by_field().items():
        name = field.split("[")[0]
        errors[name] = f"{errors[name]}；{text}" if name in errors else text
    return errors


@router.post("/share-requests/new", response_class=HTMLResponse)
async def file_request(console: Steward) -> Response:
    """File a share request through the API, which refuses items beyond minimum necessary."""
    form = await checked_form(console)
    asked = {
        name: str(form.get(name, "")).strip()
        for name in ("resource_code", "service_item_code", "items", "purpose", "legal_basis")
    }
    items = [i for i in asked["items"].replace("，", ",").replace(",", " ").split() if i]
    body = {
        "resource_code": asked["resource_code"],
        "service_item_code": asked["service_item_code"],
        "purpose": asked["purpose"],
        "legal_basis": asked["legal_basis"],
        "items": items or None,
    }
    try:
        filed = await console.api.post("/v1/directory/share-requests", body)
    except ApiError as error:
        if error.status not in (404, 409, 422):
            raise
        return await _share_requests_page(console, asked=asked, problem=error)
    done = "filed" if filed["status"] == "pending" else "granted"
    return RedirectResponse(f"{CONSOLE_PATH}/share-requests?done={done}", status_code=303)


@router.post("/share-requests/{request_id}/{decision}", response_class=HTMLResponse)
async def decide(console: Steward, request_id: int, decision: str) -> Response:
    form = await checked_form(console)
    path = f"/v1/directory/share-requests/{request_id}"
    if decision == "approve":
        quota = str(form.get("daily_quota", "")).strip()
        await console.api.post(
            f"{path}/approve",
            {
                "valid_until": str(form.get("valid_until") or dt.date.today().isoformat()),
                "daily_quota": int(quota) if quota else None,
                "note": str(form.get("note", "")),
            },
        )
        done = "approved"
    else:
        await console.api.post(f"{path}/reject", {"reason": str(form.get("reason", "")).strip()})
        done = "rejected"
    return RedirectResponse(f"{CONSOLE_PATH}/share-requests?done={done}", status_code=303)


@router.get("/quarantine", response_class=HTMLResponse)
async def quarantine(
    console: Steward, resource: Annotated[str | None, Query()] = None
) -> HTMLResponse:
    resources = [
        r
        for r in await console.api.get("/v1/resources")
        if console.role == "admin" or r["department"] == console.department
    ]
    summaries = []
    for r in resources:
        summary = await console.api.get(f"/v1/quality/{r['id']}/quarantine/summary")
        summaries.append(
            {"resource": r, "count": summary["open_rows"], "by_rule": summary["by_rule"].items()}
        )
    chosen = resource or next((s["resource"]["id"] for s in summaries if s["count"]), None)
    rows = (
        await console.api.get(f"/v1/quality/{chosen}/quarantine", limit=PAGE_SIZE * 5)
        if chosen
        else []
    )
    return view(console, "quarantine.html", summaries=summaries, chosen=chosen, rows=rows)


@router.get("/quarantine/{resource}/export")
async def quarantine_export(console: Steward, resource: str) -> Response:
    answer = await console.api.response("GET", f"/v1/quality/{resource}/quarantine/export")
    return Response(
        answer.content,
        media_type=answer.headers["content-type"],
        headers={"Content-Disposition": answer.headers["content-disposition"]},
    )


@router.get("/objections", response_class=HTMLResponse)
async def objections(
    console: ProviderSteward, done: Annotated[str | None, Query()] = None
) -> HTMLResponse:
    queue = await console.api.get("/v1/objections", status="open")
    return view(console, "objections.html", queue=queue, done=done)


@router.post("/objections/{objection_id}/resolve", response_class=HTMLResponse)
async def resolve(console: ProviderSteward, objection_id: int) -> Response:
    form = await checked_form(console)
    await console.api.post(
        f"/v1/objections/{objection_id}/resolve",
        {"outcome": str(form.get("outcome", "")), "reason": str(form.get("reason", "")).strip()},
    )
    return RedirectResponse(f"{CONSOLE_PATH}/objections?done=resolved", status_code=303)
