"""Sign-in, sign-out, the language toggle and the landing redirect."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.console.client import ApiError, ConsoleApi
from api.console.render import home_of, page
from api.console.session import (
    CONSOLE_PATH,
    LANGUAGE_COOKIE,
    SESSION_COOKIE,
    Session,
    checked_form,
    end_session,
    language,
)
from api.deps import directory_of
from directory.errors import AuthenticationFailed

router = APIRouter(prefix=CONSOLE_PATH)


def _safe_next(target: str | None) -> str | None:
    """Only a path inside the console, so the sign-in page cannot redirect elsewhere."""
    if target and target.startswith(CONSOLE_PATH + "/") and "//" not in target:
        return target
    return None


@router.get("", response_class=HTMLResponse)
@router.get("/", response_class=HTMLResponse)
async def landing(console: Session) -> Response:
    return RedirectResponse(home_of(console.role), status_code=303)


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_form(
    request: Request, next: Annotated[str | None, Query()] = None
) -> HTMLResponse:
    return page(request, "signin.html", lang=language(request), next=_safe_next(next), error="")


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in(
    request: Request,
    token: Annotated[str, Form()],
    next: Annotated[str | None, Form()] = None,
) -> Response:
    token = token.strip()
    api = ConsoleApi(request.app, token)
    try:
        user = await api.get("/v1/directory/me")
        sessions = directory_of(request.app).console_sessions
        session_id = await run_in_threadpool(sessions.start, token)
    except (ApiError, AuthenticationFailed) as error:
        status = error.status if isinstance(error, ApiError) else 401
        return page(
            request,
            "signin.html",
            lang=language(request),
            next=_safe_next(next),
            error=error.message,
            status_code=status,
        )
    finally:
        await api.aclose()
    response = RedirectResponse(_safe_next(next) or home_of(user["role"]), status_code=303)
    # The cookie names the session; the token stays on the server.
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path=CONSOLE_PATH,
    )
    return response


@router.post("/sign-out")
async def sign_out(console: Session) -> Response:
    await checked_form(console)
    await end_session(console.request, console.request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse(f"{CONSOLE_PATH}/sign-in", status_code=303)
    response.delete_cookie(
        SESSION_COOKIE,
        path=CONSOLE_PATH,
        secure=console.request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    return response


@router.get("/language")
async def switch_language(
    request: Request,
    to: Annotated[str, Query(pattern="^(zh|en)$")],
    next: Annotated[str | None, Query()] = None,
) -> Response:
    response = RedirectResponse(_safe_next(next) or f"{CONSOLE_PATH}/", status_code=303)
    response.set_cookie(LANGUAGE_COOKIE, to, samesite="strict", path=CONSOLE_PATH)
    return response
