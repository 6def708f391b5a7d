"""Who is using the console: the session cookie, the role gate and the form guard.

The cookie holds a random session id only (HttpOnly, SameSite=Strict, scoped to /console,
`Secure` over https); the user's API token stays on the server, sealed in the directory's
session store (`directory.console_sessions`), which every API process shares. Sign-out
deletes the session, and revoking the token or disabling the user ends it at the next click.
Every POST also carries a form token derived from the session id, which a page of another
site cannot know.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from api.console.client import ApiError, ConsoleApi
from api.console.text import LANGUAGES
from api.deps import directory_of

SESSION_COOKIE = "onceonly_console"
LANGUAGE_COOKIE = "onceonly_lang"
CONSOLE_PATH = "/console"


class SignInRequired(Exception):
    """No session, or its token no longer works: back to the sign-in page."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url
        super().__init__(next_url)


class ConsoleForbidden(Exception):
    """The page is not for the signed-in user's role (the API would refuse its data too)."""

    def __init__(self, roles: tuple[str, ...], message: str = "") -> None:
        self.roles = roles
        self.message = message
        super().__init__(message or ", ".join(roles))


def language(request: Request) -> str:
    chosen = request.cookies.get(LANGUAGE_COOKIE, "zh")
    return chosen if chosen in LANGUAGES else "zh"


def form_token(session_id: str) -> str:
    return hmac.new(session_id.encode(), b"onceonly-console-form", hashlib.sha256).hexdigest()[:32]


async def end_session(request: Request, session_id: str) -> None:
    await run_in_threadpool(directory_of(request.app).console_sessions.end, session_id)


@dataclass
class Console:
    """One console request: the user, their API client and language."""

    request: Request
    api: ConsoleApi
    user: dict[str, Any]
    csrf: str
    lang: str

    @property
    def role(self) -> str:
        return str(self.user["role"])

    @property
    def department(self) -> str:
        return str(self.user["department"])


def _here(request: Request) -> str:
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{request.url.path}{query}"


async def console_session(request: Request) -> AsyncIterator[Console]:
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        raise SignInRequired(_here(request))
    sessions = directory_of(request.app).console_sessions
    token = await run_in_threadpool(sessions.token_of, session_id)
    if token is None:
        raise SignInRequired(_here(request))
    request_id = getattr(request.state, "request_id", None) or uuid.uuid4().hex
    api = ConsoleApi(request.app, token, request_id, origin=str(request.base_url))
    try:
        try:
            user = await api.get("/v1/directory/me")
        except ApiError as error:
            if error.status == 401:
                await end_session(request, session_id)
                raise SignInRequired(_here(request)) from error
            raise
        yield Console(request, api, user, form_token(session_id), language(request))
    finally:
        await api.aclose()


Session = Annotated[Console, Depends(console_session)]


def role_gate(*roles: str) -> Callable[[Console], Awaitable[Console]]:
    """A dependency admitting only the given roles to a page."""

    async def gate(console: Session) -> Console:
        if console.role not in roles:
            raise ConsoleForbidden(roles)
        return console

    return gate


async def checked_form(console: Console) -> FormData:
    """The posted form, once its form token matches the session's."""
    form = await console.request.form()
    sent = str(form.get("csrf", ""))
    if not hmac.compare_digest(sent, console.csrf):
        raise ConsoleForbidden(
            (), "表单已过期，请刷新页面后重试 (the form expired: reload the page)"
        )
    return form
