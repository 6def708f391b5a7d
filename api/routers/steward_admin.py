"""Identity and maintenance endpoints: who am I, users and tokens (admins), contract sync."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from api import steward_views as views
from api.auth import Admin, Caller, current_caller, get_directory
from api.bounds import RowId
from api.errors import ERROR_RESPONSES, ErrorContractRoute
from api.models_directory import (
    ContractSyncModel,
    IssuedTokenResponse,
    ProblemModel,
    TokenCreate,
    TokenResponse,
    UserCreate,
    UserResponse,
    UserState,
)
from directory.store import Directory

router = APIRouter(
    prefix="/v1/directory",
    tags=["directory: administration"],
    route_class=ErrorContractRoute,
    responses=ERROR_RESPONSES,
)
Dir = Annotated[Directory, Depends(get_directory)]


@router.get("/me", response_model=Caller, summary="Who the token belongs to")
def me(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
    return caller


@router.get("/users", response_model=list[UserResponse], summary="Every user (admins)")
def list_users(_admin: Admin, directory: Dir) -> list[UserResponse]:
    return [views.user(u) for u in directory.identity.list_users()]


@router.post(
    "/users",
    response_model=UserResponse,
    status_code=status.HTTP_201_CREATED,
    summary="Create a user with a role and a department (admins)",
)
def create_user(body: UserCreate, _admin: Admin, directory: Dir) -> UserResponse:
    created = directory.identity.create_user(
        body.name, body.role, body.department, body.display_name
    )
    return views.user(created)


@router.patch(
    "/users/{name}", response_model=UserResponse, summary="Disable or enable a user (admins)"
)
def set_user_state(name: str, body: UserState, _admin: Admin, directory: Dir) -> UserResponse:
    return views.user(directory.identity.set_disabled(name, body.disabled))


@router.post(
    "/users/{name}/tokens",
    response_model=IssuedTokenResponse,
    status_code=status.HTTP_201_CREATED,
    summary="Issue a token; it is shown only in this response (admins)",
)
def issue_token(name: str, body: TokenCreate, _admin: Admin, directory: Dir) -> IssuedTokenResponse:
    issued = directory.identity.issue_token(name, body.label)
    return IssuedTokenResponse(token=issued.token, info=views.token(issued.info))


@router.get("/tokens", response_model=list[TokenResponse], summary="Tokens, never their secret")
def list_tokens(
    _admin: Admin, directory: Dir, user: Annotated[str | None, Query()] = None
) -> list[TokenResponse]:
    return [views.token(t) for t in directory.identity.list_tokens(user)]


@router.delete("/tokens/{token_id}", response_model=TokenResponse, summary="Revoke a token")
def revoke_token(token_id: RowId, _admin: Admin, directory: Dir) -> TokenResponse:
    return views.token(directory.identity.revoke_token(token_id))


@router.post(
    "/contracts/sync",
    response_model=list[ContractSyncModel],
    summary="Seed or update entries from the bundled contracts and show what changed",
)
def sync_contracts(_admin: Admin, directory: Dir) -> list[ContractSyncModel]:
    return [
        ContractSyncModel(
            contract_id=r.contract_id,
            code=r.code,
            action=r.action,
            changes=views.changes(r.changes),
            problems=[
                ProblemModel(field=p.field, message=p.message, fix=p.fix) for p in r.problems
            ],
        )
        for r in directory.sync_contracts()
    ]
