"""The console's way to the exchange API: the same app, called in-process over ASGI.

Going through the HTTP routes rather than the services behind them keeps one place where
authorisation, masking, audit and error shapes are decided; the console only renders.
"""

from __future__ import annotations

from typing import Any

import httpx
from starlette.types import ASGIApp

INTERNAL_BASE = "http://console.internal"


class ApiError(Exception):
    """An API answer other than 2xx, carrying the API's own code and advice."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status = status
        self.code = str(body.get("code", "error"))
        self.message = str(body.get("message", "the exchange API refused the request"))
        self.problems: list[dict[str, str]] = list(body.get("problems") or [])
        super().__init__(f"{status} {self.code}: {self.message}")

    def problems_by_field(self) -> dict[str, str]:
        """Validation problems keyed by the field they belong to, for messages beside inputs."""
        by_field: dict[str, str] = {}
        for problem in self.problems:
            field = problem.get("field", "").split(".")[0]
            text = problem.get("message", "")
            if problem.get("fix"):
                text = f"{text}（{problem['fix']}）"
            by_field[field] = f"{by_field[field]}；{text}" if field in by_field else text
        return by_field


def _error_body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"code": "error", "message": response.text[:200]}
    if isinstance(body, dict) and "detail" in body and "code" not in body:
        # FastAPI's own validation shape, for parameters the console passed through.
        detail = body["detail"]
        if isinstance(detail, list):
            problems = [
                {"field": str(d.get("loc", ["", ""])[-1]), "message": str(d.get("msg", ""))}
                for d in detail
                if isinstance(d, dict)
            ]
            return {"code": "invalid_request", "message": "请检查输入", "problems": problems}
        if isinstance(detail, dict):
            return detail
    return body if isinstance(body, dict) else {"code": "error", "message": str(body)}


class ConsoleApi:
    """Calls to the API as the signed-in user; one per console request."""

    def __init__(
        self, app: ASGIApp, token: str, request_id: str | None = None, origin: str | None = None
    ) -> None:
        """`origin`: the address the user's browser reached the console at, so that what the
        API derives from its own address (a printed extract's QR code) names that one."""
        headers = {"Authorization": f"Bearer {token}"}
        if request_id:
            headers["X-Request-ID"] = request_id
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url=origin or INTERNAL_BASE,
            headers=headers,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def response(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
    ) -> httpx.Response:
        """The raw answer, for files (charts, CSV, exports); raises ApiError on failure."""
        clean = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        response = await self._client.request(method, path, params=clean, json=json)
        if response.status_code >= 400:
            raise ApiError(response.status_code, _error_body(response))
        return response

    async def upload(
        self,
        path: str,
        *,
        files: dict[str, tuple[str, bytes]],
        data: dict[str, str],
        params: dict[str, str],
    ) -> httpx.Response:
        """A multipart POST (a sheet to import); raises ApiError on failure."""
        response = await self._client.post(path, files=files, data=data, params=params)
        if response.status_code >= 400:
            raise ApiError(response.status_code, _error_body(response))
        return response

    async def upload_body(self, path: str, content: bytes, content_type: str, **params: Any) -> Any:
        """POST a file as the request body (a bulk prefill's list); its JSON answer."""
        clean = {k: v for k, v in params.items() if v not in (None, "")}
        response = await self._client.post(
            path, params=clean, content=content, headers={"Content-Type": content_type}
        )
        if response.status_code >= 400:
            raise ApiError(response.status_code, _error_body(response))
        return response.json()

    async def get(self, path: str, **params: Any) -> Any:
        return (await self.response("GET", path, params=params)).json()

    async def post(self, path: str, body: Any = None, **params: Any) -> Any:
        return (await self.response("POST", path, params=params, json=body)).json()

    async def patch(self, path: str, body: Any) -> Any:
        return (await self.response("PATCH", path, json=body)).json()
