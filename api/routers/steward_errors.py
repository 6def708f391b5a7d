"""One error shape for the `/v1` endpoints: `{"code", "message", "problems"?}`.

A route class, so the routers bring their error contract with them: directory errors map to
their HTTP status, FastAPI's request validation errors become problems naming the field, and
the auth dependencies' HTTP errors are flattened to the same body. The conversions are
`api.errors`', which the app also registers app-wide for what never reaches a route.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from api.errors import directory_error, http_error, request_error
from api.models_directory import ErrorBody
from directory.errors import DirectoryError

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "The body is not valid JSON"},
    401: {"model": ErrorBody, "description": "No token, or a token that is invalid or revoked"},
    403: {"model": ErrorBody, "description": "Your role or department may not do this"},
    404: {"model": ErrorBody, "description": "No such entry, item, request or user"},
    409: {"model": ErrorBody, "description": "Edit conflict, or not allowed in this state"},
    422: {"model": ErrorBody, "description": "Invalid input; `problems` names each field"},
}


class StewardRoute(APIRoute):
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
