"""Stewards' quality pages: the quality overview (scores, quarantine, conflicts and late
deliveries per resource) and the conflict queue (一数一源) with its settlement forms.

Like every page, they read and write through the `/v1` routes with the user's own token: the
overview is `/v1/quality/overview`, the queue `/v1/directory/conflicts`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.console.client import ApiError
from api.console.render import view
from api.console.session import CONSOLE_PATH, Console, checked_form, role_gate

router = APIRouter(prefix=CONSOLE_PATH)
Overseer = Annotated[Console, Depends(role_gate("steward", "admin"))]
# Conflicts carry subject keys and values: their provider's steward only, as objections.
ProviderSteward = Annotated[Console, Depends(role_gate("steward"))]
CONFLICTS = "/v1/directory/conflicts"
SETTLED_SHOWN = 20


async def late_deliveries(console: Console) -> list[dict[str, Any]]:
    """The resources the user oversees whose delivery is late (none when nothing is
    published yet), for the steward's home page."""
    try:
        resources = await console.api.get("/v1/quality/overview")
    except ApiError as error:
        if error.status == 503:
            return []
        raise
    return [r for r in resources if r["late"]]


@router.get("/quality", response_class=HTMLResponse)
async def quality(console: Overseer) -> HTMLResponse:
    resources = await console.api.get("/v1/quality/overview")
    return view(console, "quality.html", resources=resources)


@router.get("/quality/history", response_class=HTMLResponse)
async def quality_history(
    console: Overseer, resource: Annotated[str | None, Query(max_length=64)] = None
) -> HTMLResponse:
    """Score and freshness per resource over time: a table of batches and a small chart."""
    try:
        resources = await console.api.get("/v1/quality/history", resource=resource)
    except ApiError as error:
        if error.status != 503:
            raise
        resources = []
    charts = {r["resource"]: spark(r["batches"]) for r in resources}
    return view(
        console, "quality_history.html", resources=resources, charts=charts, chosen=resource
    )


def spark(batches: list[dict[str, Any]]) -> dict[str, Any]:
    """A 240x48 chart of one resource's batches, oldest first: the score as a line (scaled
    between its lowest value and 100%), and each arrival as a dot coloured by freshness."""
    if not batches:
        return {"points": "", "dots": []}
    scores = [b["score"] for b in batches if b["score"] is not None]
    low = min(scores, default=0.0)
    span = max(1.0 - low, 0.01)
    step = 228 / max(len(batches) - 1, 1)

    def y(score: float) -> float:
        return round(40 - (score - low) / span * 32, 1)

    points = " ".join(
        f"{6 + i * step:.1f},{y(b['score'])}"
        for i, b in enumerate(batches)
        if b["score"] is not None
    )
    dots = [
        {"x": round(6 + i * step, 1), "freshness": b["freshness"], "batch": b["file_name"]}
        for i, b in enumerate(batches)
    ]
    return {"points": points, "dots": dots, "low": low}


@router.get("/conflicts", response_class=HTMLResponse)
async def conflicts(
    console: ProviderSteward, done: Annotated[str | None, Query()] = None
) -> HTMLResponse:
    waiting = await console.api.get(CONFLICTS, status="open")
    settled = await console.api.get(CONFLICTS, status="settled")
    settled.sort(key=lambda c: c["settlement"]["resolved_at"], reverse=True)
    return view(
        console, "conflicts.html", waiting=waiting, settled=settled[:SETTLED_SHOWN], done=done
    )


@router.post("/conflicts/{conflict_id}/resolve", response_class=HTMLResponse)
async def settle(console: ProviderSteward, conflict_id: str) -> Response:
    form = await checked_form(console)
    await console.api.post(
        f"{CONFLICTS}/{conflict_id}/resolve",
        {"outcome": str(form.get("outcome", "")), "note": str(form.get("note", "")).strip()},
    )
    return RedirectResponse(f"{CONSOLE_PATH}/conflicts?done=settled", status_code=303)
