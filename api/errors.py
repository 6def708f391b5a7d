"""The API's error contract: one body for every answer, `{"code", "message", "problems"?}`.

Each conversion lives here once. `ErrorContractRoute`, the route class every `/v1` router
mounts its routes with, calls it for errors raised inside a route (directory errors mapped to
their HTTP status, FastAPI's validation errors as problems naming the field, the auth
dependencies' HTTP errors flattened to the same body), and `ERROR_RESPONSES` documents those
answers in the OpenAPI description. `install` registers the same conversions app-wide for
everything that never reaches a route: an unknown path (404), a method the path does not take
(405), a body that is not JSON (400), validation errors of routes without the route class,
and any unexpected exception (500), whose message carries the request id to quote in the
server log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, HTTPException, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

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

log = logging.getLogger("onceonly.api")

_STATUS: dict[type[DirectoryError], int] = {
    NotFound: status.HTTP_404_NOT_FOUND,
    PermissionDenied: status.HTTP_403_FORBIDDEN,
    ValidationFailed: status.HTTP_422_UNPROCESSABLE_CONTENT,
    EditConflict: status.HTTP_409_CONFLICT,
    InvalidState: status.HTTP_409_CONFLICT,
    RequestRefused: status.HTTP_409_CONFLICT,
    AuthenticationFailed: status.HTTP_401_UNAUTHORIZED,
}
# Errors carrying personal data are never cached, whatever answered them.
_NO_STORE = {"Cache-Control": "no-store"}

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "The body is not valid JSON"},
    401: {"model": ErrorBody, "description": "No token, or a token that is invalid or revoked"},
    403: {"model": ErrorBody, "description": "Your role or department may not do this"},
    404: {"model": ErrorBody, "description": "No such entry, item, request or user"},
    409: {"model": ErrorBody, "description": "Edit conflict, or not allowed in this state"},
    422: {"model": ErrorBody, "description": "Invalid input; `problems` names each field"},
}


def error_json(code: int, body: ErrorBody, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=code,
        headers={**(headers or {}), **_NO_STORE},
    )


def directory_error(error: DirectoryError) -> JSONResponse:
    body = ErrorBody(code=error.code, message=error.message)
    if isinstance(error, ValidationFailed):
        body.problems = [
            ProblemModel(field=p.field, message=p.message, fix=p.fix) for p in error.problems
        ]
    if isinstance(error, EditConflict):
        body.current_version = error.current
        body.changed_fields = error.fields
    code = next((s for cls, s in _STATUS.items() if isinstance(error, cls)), 400)
    return error_json(code, body)


def request_error(error: RequestValidationError) -> JSONResponse:
    """422 naming each field; a body that is not JSON at all is a 400 saying where it broke."""
    details = list(error.errors())
    broken_json = next((d for d in details if d.get("type") == "json_invalid"), None)
    if broken_json is not None:
        position = broken_json.get("loc", ("body", "?"))[-1]
        cause = (broken_json.get("ctx") or {}).get("error", "not JSON")
        return error_json(
            status.HTTP_400_BAD_REQUEST,
            ErrorBody(
                code="invalid_json",
                message=f"the body is not valid JSON ({cause} at character {position}); send "
                "a JSON document as the API description at /docs shows",
            ),
        )
    problems = []
    for detail in details:
        loc = [p for p in detail.get("loc", ()) if p not in ("body", "query", "path")]
        problems.append(
            ProblemModel(field=field_path(loc), message=detail.get("msg", ""), fix=fix_for(detail))
        )
    listing = "; ".join(f"{p.field}: {p.message}" for p in problems)
    return error_json(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        ErrorBody(
            code="invalid_request",
            message=f"the request is not valid: {listing}",
            problems=problems,
        ),
    )


def _generic_message(code: int, method: str, headers: dict[str, str]) -> str:
    if code == status.HTTP_404_NOT_FOUND:
        return "there is no such route; check the path against the API description at /docs"
    if code == status.HTTP_405_METHOD_NOT_ALLOWED:
        allowed = headers.get("Allow") or headers.get("allow") or "another method"
        return f"this route does not take {method}; use {allowed}"
    return f"{HTTPStatus(code).phrase.lower()}; check the request against /docs"


def http_error(error: StarletteHTTPException, method: str) -> JSONResponse:
    """An HTTPException as the one body: ours carry `{code, message}` as their detail already;
    the framework's own (404, 405, 400 on a broken form) get a code and advice here."""
    headers = dict(error.headers or {})
    detail: Any = error.detail
    if isinstance(detail, dict) and {"code", "message"} <= detail.keys():
        body = ErrorBody(code=str(detail["code"]), message=str(detail["message"]))
    else:
        phrase = HTTPStatus(error.status_code).phrase
        generic = _generic_message(error.status_code, method, headers)
        text = str(detail) if detail and str(detail) != phrase else generic
        body = ErrorBody(code=phrase.lower().replace(" ", "_").replace("-", "_"), message=text)
    return error_json(error.status_code, body, headers)


def server_error_message(request_id: str) -> str:
    return (
        f"the exchange failed to answer this request (request id {request_id}); try again, and "
        "if it fails again give an admin the request id: the server log has the cause under it"
    )


async def _on_directory_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DirectoryError)
    return directory_error(error)


async def _on_request_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    return request_error(error)


async def _on_http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    return http_error(error, request.method)


async def _on_unexpected(request: Request, error: Exception) -> JSONResponse:
    """Runs outside every middleware (Starlette's outermost layer), so it sets the request id
    header itself; the traceback is logged by the server under the same words."""
    request_id = str(getattr(request.state, "request_id", "") or "unknown")
    message = server_error_message(request_id)
    log.error("%s: %s", message, type(error).__name__)
    return error_json(
        status.HTTP_500_INTERNAL_SERVER_ERROR,
        ErrorBody(code="internal_error", message=message),
        {"X-Request-ID": request_id},
    )


class ErrorContractRoute(APIRoute):
    """The route class of every `/v1` router, so the routers bring the error contract with
    them: an error raised in a route or its dependencies is answered here, in the one body."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except DirectoryError as error:
                return directory_error(error)
            except RequestValidationError as error:
                return request_error(error)
            except HTTPException as error:
                return http_error(error, request.method)

        return route


def install(app: FastAPI) -> None:
    app.add_exception_handler(DirectoryError, _on_directory_error)
    app.add_exception_handler(RequestValidationError, _on_request_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)
