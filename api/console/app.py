"""Mounting the console on the API app: pages, static files and error pages."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from api.console import (
    analyst,
    analyst_staffing,
    auditor,
    clerk,
    clerk_bulk,
    signin,
    steward,
    steward_catalogue,
    steward_inbox,
    steward_quality,
)
from api.console.client import ApiError
from api.console.render import page
from api.console.session import CONSOLE_PATH, ConsoleForbidden, SignInRequired, language


async def _sign_in(request: Request, error: Exception) -> Response:
    assert isinstance(error, SignInRequired)
    return RedirectResponse(
        f"{CONSOLE_PATH}/sign-in?next={quote(error.next_url, safe='/')}", status_code=303
    )


async def _forbidden(request: Request, error: Exception) -> Response:
    assert isinstance(error, ConsoleForbidden)
    return page(
        request,
        "forbidden.html",
        lang=language(request),
        roles=error.roles,
        message=error.message,
        status_code=403,
    )


async def _api_error(request: Request, error: Exception) -> Response:
    """An API refusal the page did not handle itself, shown with the API's own advice."""
    assert isinstance(error, ApiError)
    if error.status == 401:
        return await _sign_in(request, SignInRequired(request.url.path))
    return page(
        request, "error.html", lang=language(request), error=error, status_code=error.status
    )


def install(app: FastAPI) -> None:
    app.mount(
        f"{CONSOLE_PATH}/static",
        StaticFiles(directory=Path(__file__).parent / "static"),
        name="console-static",
    )
    for module in (
        signin,
        steward_catalogue,
        steward,
        steward_quality,
        steward_inbox,
        clerk,
        clerk_bulk,
        analyst,
        analyst_staffing,
        auditor,
    ):
        app.include_router(module.router, include_in_schema=False)
    app.add_exception_handler(SignInRequired, _sign_in)
    app.add_exception_handler(ConsoleForbidden, _forbidden)
    app.add_exception_handler(ApiError, _api_error)
