"""The steward's inbox on their home page, and the department's webhook page (registration,
the secret shown once, the delivery log).

Like every page they go through the `/v1` routes with the user's own token: the inbox is
`/v1/directory/inbox`, the webhook `/v1/directory/webhook` and its `/deliveries`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from api.console.client import ApiError
from api.console.render import view
from api.console.session import CONSOLE_PATH, Console, checked_form, role_gate

router = APIRouter(prefix=CONSOLE_PATH)
# A department's inbox and webhook are its own stewards' (admins act over the API).
ProviderSteward = Annotated[Console, Depends(role_gate("steward"))]
WEBHOOK = "/v1/directory/webhook"
LOG_SHOWN = 50


async def inbox_of(console: Console) -> dict[str, Any] | None:
    """The steward's inbox for the home page; None for other roles, who have none."""
    if console.role != "steward":
        return None
    inbox: dict[str, Any] = await console.api.get("/v1/directory/inbox")
    return inbox


async def _webhook_page(
    console: Console, secret: str | None = None, problem: ApiError | None = None
) -> HTMLResponse:
    try:
        webhook = await console.api.get(WEBHOOK)
        deliveries = await console.api.get(f"{WEBHOOK}/deliveries", limit=LOG_SHOWN)
    except ApiError as error:
        if error.status != 404:
            raise
        webhook, deliveries = None, []
    return view(
        console,
        "webhook.html",
        status_code=problem.status if problem else 200,
        webhook=webhook,
        deliveries=deliveries,
        secret=secret,
        problem=problem,
        errors=problem.problems_by_field() if problem else {},
    )


@router.get("/webhook", response_class=HTMLResponse)
async def webhook(console: ProviderSteward) -> HTMLResponse:
    return await _webhook_page(console)


@router.post("/webhook", response_class=HTMLResponse)
async def register(console: ProviderSteward) -> HTMLResponse:
    """Register the URL; the page that answers shows the secret once (never in a URL)."""
    form = await checked_form(console)
    try:
        registered = await console.api.post(WEBHOOK, {"url": str(form.get("url", "")).strip()})
    except ApiError as error:
        if error.status != 422:
            raise
        return await _webhook_page(console, problem=error)
    return await _webhook_page(console, secret=registered["secret"])
