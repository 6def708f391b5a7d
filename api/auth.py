"""Who is calling: bearer tokens from the directory's identity store, and role checks.

`current_caller` is the dependency every authenticated route takes; `require_role(...)` adds a
role check on top. Tokens are issued with `onceonly token create` (or by an admin over the
API) and only their hash is stored, see `directory.identity`.

The dependencies are `async def` because none of them blocks (the directory is the app's,
opened at start-up; a token is found in memory after a counter read of microseconds, see
`directory.identity_cache`): a plain `def` dependency is run in the thread pool, and those
hand-offs cost more than the work itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from api.deps import get_directory
from directory.actors import Actor, Role
from directory.errors import AuthenticationFailed
from directory.store import Directory


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


async def current_caller(
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


def require_role(*roles: Role) -> Callable[[Caller], Awaitable[Caller]]:
    """A dependency admitting only callers with one of `roles`."""

    async def dependency(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
        return check_role(caller, *roles)

    return dependency


def check_role(caller: Caller, *roles: Role) -> Caller:
    """`caller` if they hold one of `roles`, else the 403 saying which role is needed."""
    if caller.role not in roles:
        allowed = ", ".join(r.value for r in roles)
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail={
                "code": "role_forbidden",
                "message": f"this needs the role {allowed}; {caller.name} is a "
                f"{caller.role.value}. Ask an admin if you need it.",
            },
        )
    return caller


# Who may call a route, as the type of a route's caller parameter: each rule defined once here
# rather than once per router, so two routers cannot drift apart on the same rule.
Reader = Annotated[Caller, Depends(current_caller)]  # any signed-in caller
Editor = Annotated[Caller, Depends(require_role(Role.steward, Role.admin))]
Steward = Annotated[Caller, Depends(require_role(Role.steward))]  # their own department's queues
QualityReader = Annotated[Caller, Depends(require_role(Role.steward, Role.admin, Role.auditor))]
Admin = Annotated[Caller, Depends(require_role(Role.admin))]
