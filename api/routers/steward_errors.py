"""One error shape for the steward endpoints: `{"code", "message", "problems"?}`.

A route class rather than app-wide exception handlers, so the steward routers bring their
error contract with them: directory errors map to their HTTP status here, FastAPI's request
validation errors become problems naming the field, and the auth dependencies' HTTP errors
are flattened to the same body.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from api.models_directory import ErrorBody, ProblemModel
from directory.errors import (
    AuthenticationFailed,
    DirectoryError,
    EditConflict,
    InvalidState,
    NotFound,
    PermissionDenied,
    RequestRefused,
    ValidationFailed,
)
from directory.problems import field_path, fix_for

_STATUS: dict[type[DirectoryError], int] = {
    NotFound: status.HTTP_404_NOT_FOUND,
    PermissionDenied: status.HTTP_403_FORBIDDEN,
    ValidationFailed: status.HTTP_422_UNPROCESSABLE_CONTENT,
    EditConflict: status.HTTP_409_CONFLICT,
    InvalidState: status.HTTP_409_CONFLICT,
    RequestRefused: status.HTTP_409_CONFLICT,
    AuthenticationFailed: status.HTTP_401_UNAUTHORIZED,
}

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "No token, or a token that is invalid or revoked"},
    403: {"model": ErrorBody, "description": "Your role or department may not do this"},
    404: {"model": ErrorBody, "description": "No such entry, item, request or user"},
    409: {"model": ErrorBody, "description": "Edit conflict, or not allowed in this state"},
    422: {"model": ErrorBody, "description": "Invalid input; `problems` names each field"},
}


def _json(code: int, body: ErrorBody, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body.model_dump(exclude_none=True), status_code=code, headers=headers)


def _directory_error(error: DirectoryError) -> JSONResponse:
    body = ErrorBody(code=error.code, message=error.message)
    if isinstance(error, ValidationFailed):
        body.problems = [
            ProblemModel(field=p.field, message=p.message, fix=p.fix) for p in error.problems
        ]
    if isinstance(error, EditConflict):
        body.current_version = error.current
        body.changed_fields = error.fields
    code = next((s for cls, s in _STATUS.items() if isinstance(error, cls)), 400)
    return _json(code, body)


def _request_error(error: RequestValidationError) -> JSONResponse:
    problems = []
    for detail in error.errors():
        loc = [p for p in detail.get("loc", ()) if p not in ("body", "query", "path")]
        problems.append(
            ProblemModel(field=field_path(loc), message=detail.get("msg", ""), fix=fix_for(detail))
        )
    listing = "; ".join(f"{p.field}: {p.message}" for p in problems)
    return _json(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        ErrorBody(
            code="invalid_request",
            message=f"the request is not valid: {listing}",
            problems=problems,
        ),
    )


class StewardRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except DirectoryError as error:
                return _directory_error(error)
            except RequestValidationError as error:
                return _request_error(error)
            except HTTPException as error:
                detail = error.detail
                if isinstance(detail, dict) and {"code", "message"} <= detail.keys():
                    body = ErrorBody(code=detail["code"], message=detail["message"])
                    return _json(error.status_code, body, error.headers)
                raise

        return route
