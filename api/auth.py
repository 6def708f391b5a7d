"""Who is calling: bearer tokens from the directory's identity store, and role checks.

`current_caller` is the dependency every authenticated route takes; `require_role(...)` adds a
role check on top. Tokens are issued with `onceonly token create` (or by an admin over the
API) and only their hash is stored, see `directory.identity`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from directory.actors import Actor, Role
from directory.errors import AuthenticationFailed
from directory.settings import directory_url
from directory.store import Directory, open_directory

_directories: dict[str, Directory] = {}
_directories_lock = threading.Lock()


def get_directory() -> Directory:
    """The process's directory for the configured URL, opened (and migrated) on first use.

    One per URL rather than per request: it holds the connection pool and the in-memory
    search and grant indexes.
    """
    url = directory_url()
    with _directories_lock:
        if url not in _directories:
            _directories[url] = open_directory(url)
        return _directories[url]


class Caller(BaseModel):
    """The authenticated user behind a request."""

    user_id: int
    name: str = Field(examples=["wang.li"])
    display_name: str = Field(examples=["王丽"])
    role: Role
    department: str = Field(examples=["mr"])

    @property
    def actor(self) -> Actor:
        return Actor(self.name, self.role, self.department)


_bearer = HTTPBearer(
    auto_error=False,
    description="A token from `onceonly token create` (shown once when issued).",
)


def _unauthorised(code: str, message: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        detail={"code": code, "message": message},
        headers={"WWW-Authenticate": "Bearer"},
    )


def current_caller(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    directory: Annotated[Directory, Depends(get_directory)],
) -> Caller:
    if credentials is None:
        raise _unauthorised(
            "token_missing",
            "send an 'Authorization: Bearer <token>' header; an admin issues tokens with "
            "`onceonly token create`",
        )
    try:
        user = directory.identity.authenticate(credentials.credentials)
    except AuthenticationFailed as failed:
        raise _unauthorised(failed.code, failed.message) from failed
    return Caller(
        user_id=user.id,
        name=user.name,
        display_name=user.display_name,
        role=user.role,
        department=user.department,
    )


def require_role(*roles: Role) -> Callable[[Caller], Caller]:
    """A dependency admitting only callers with one of `roles`."""
    allowed = ", ".join(r.value for r in roles)

    def dependency(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
        if caller.role not in roles:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail={
                    "code": "role_forbidden",
                    "message": f"this needs the role {allowed}; {caller.name} is a "
                    f"{caller.role.value}. Ask an admin if you need it.",
                },
            )
        return caller

    return dependency
