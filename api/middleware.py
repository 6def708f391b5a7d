"""Request plumbing for every route: request id, size limit, rate limit, Prometheus metrics,
and `Cache-Control: no-store` on every answer that may carry personal data.

Plain ASGI middleware (not Starlette's BaseHTTPMiddleware, which costs a task per request),
so it stays cheap on the exchange's hottest paths.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.requests import Request

import settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

REQUEST_ID_MAX = 64
MAX_BODY_BYTES = settings.current().max_body_bytes
RATE_PER_SECOND = settings.current().rate_limit
BURST = RATE_PER_SECOND * 2

REQUESTS = Counter("onceonly_requests_total", "API requests", ["method", "route", "status"])
LATENCY = Histogram(
    "onceonly_request_seconds",
    "API request latency",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)


async def _reply(send: Send, status: int, body: dict[str, str], request_id: str) -> None:
    payload = json.dumps(body, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"x-request-id", request_id.encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


# Answers under these prefixes may carry personal data (the API's, and the console's pages
# built from them): no browser, proxy or gateway may keep a copy. The console's stylesheet
# carries none and may be cached.
PRIVATE_PREFIXES = ("/v1", "/console")
CACHEABLE_PREFIXES = ("/console/static/",)


def _private(path: str) -> bool:
    return path.startswith(PRIVATE_PREFIXES) and not path.startswith(CACHEABLE_PREFIXES)


class TokenBuckets:
    """Token buckets per key: a caller may make `rate` requests a second, `burst` at once.

    Keys are hashes of bearer tokens, or client addresses on the public verification page;
    a token itself is never kept. Buckets that have filled up again are forgotten once there
    are many, so a crowd of one-off callers does not grow the table for ever."""

    _PRUNE_AT = 10_000

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self._state: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            if len(self._state) >= self._PRUNE_AT:
                full = self.burst / self.rate
                self._state = {k: v for k, v in self._state.items() if now - v[1] < full}
            tokens, stamp = self._state.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - stamp) * self.rate)
            if tokens < 1:
                self._state[key] = (tokens, now)
                return False
            self._state[key] = (tokens - 1, now)
            return True


def request_id(request: Request) -> str:
    """The id this middleware gave `request` (and echoes in X-Request-ID), so an audit entry
    can be matched to a response; the caller's header, or a new id, without it."""
    known = getattr(request.state, "request_id", None)
    if known:
        return str(known)
    return request.headers.get("x-request-id", "")[:REQUEST_ID_MAX] or uuid.uuid4().hex


class ExchangeMiddleware:
    def __init__(self, app: App) -> None:
        self.app = app
        self.buckets = TokenBuckets(RATE_PER_SECOND, BURST)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        request_id = headers.get(b"x-request-id", b"").decode()[:REQUEST_ID_MAX] or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        if scope["path"] == "/metrics":
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", CONTENT_TYPE_LATEST.encode())],
                }
            )
            await send({"type": "http.response.body", "body": generate_latest()})
            return
        length = int(headers.get(b"content-length", b"0") or 0)
        if length > MAX_BODY_BYTES:
            await _reply(
                send,
                413,
                {
                    "code": "request_too_large",
                    "message": f"requests are limited to {MAX_BODY_BYTES} bytes; split the batch",
                },
                request_id,
            )
            return
        authorization = headers.get(b"authorization")
        if authorization and not self.buckets.allow(hashlib.sha256(authorization).hexdigest()):
            await _reply(
                send,
                429,
                {
                    "code": "rate_limited",
                    "message": f"over {RATE_PER_SECOND:.0f} requests/s on this token; slow down",
                },
                request_id,
            )
            return
        started = time.perf_counter()
        status_holder = {"status": 500}
        private = _private(scope["path"])

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if not (private and name.lower() == b"cache-control")
                ]
                headers.append((b"x-request-id", request_id.encode()))
                if private:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            name = getattr(route, "path", "unmatched")
            REQUESTS.labels(scope["method"], name, str(status_holder["status"])).inc()
            LATENCY.labels(name).observe(time.perf_counter() - started)
