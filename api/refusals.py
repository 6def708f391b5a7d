"""Every refusal of a data route is an audit entry, whoever the caller claimed to be.

Routes log what they serve and the refusals they decide themselves (no grant, not shared,
role refused on the audit log). Everything else that turns a request away happens before a
route runs or outside it: no token, a bad, revoked or query-string token, a parameter that
does not validate (422), an unknown service item or path (404), a role check in a dependency
(403). This layer sits at the edge, sees every response of a data route, and when it is a
refusal (4xx) that nothing in the request logged, writes one entry saying why, before the
refusal leaves.

Data routes are every path under `/v1/` except `/v1/extracts/public-key`, which hands out the
centre's public key to anyone and has nothing to refuse. Rate-limited (429) and oversized
(413) requests are answered by the exchange middleware outside this one, unlogged: logging
each would let a flood fill the log.

The claimed caller comes from the Authorization header, or from a token in the query string,
without trusting it: a valid token names its user; a revoked token or a disabled user's names
that user (the reason says the token was refused); a token never issued is logged as
`token:` and the first 12 hex digits of its SHA-256, never the token itself; no token at all
as `anonymous`. A subject in the path or query is logged as its keyed hash, and the reason is
masked like every log line, so no personal number is kept in clear.

Plain ASGI, like `api.middleware`, so it costs nothing on served requests but a status check.
"""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.parse
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from fastapi.concurrency import run_in_threadpool

from api.deps import audit_of, directory_of
from api.middleware import App, Message, Receive, Scope, Send
from directory.audit import AuditEvent, counting_appends
from directory.entries import now
from directory.errors import AuthenticationFailed
from directory.identity import hash_token
from directory.log_privacy import mask_keys
from directory.store import Directory

ACTION = "api.request"
DATA_PREFIX = "/v1/"
PUBLIC_PATHS = frozenset({"/v1/extracts/public-key"})
QUERY_TOKEN_NAMES = ("access_token", "token")
_FIELD_MAX = 64
_REASON_MAX = 500
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClaimedCaller:
    user: str
    department: str
    role: str


ANONYMOUS = ClaimedCaller("anonymous", "-", "anonymous")


def is_data_route(path: str) -> bool:
    return path.startswith(DATA_PREFIX) and path not in PUBLIC_PATHS


class RefusalAudit:
    """Writes the audit entry for a refused data request that no route logged."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_data_route(scope["path"]):
            await self.app(scope, receive, send)
            return
        held: list[Message] = []
        status = 0

        async def hold_refusals(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            if 400 <= status < 500:
                held.append(message)  # small error bodies: sent once the refusal is logged
            else:
                await send(message)

        with counting_appends() as tally:
            await self.app(scope, receive, hold_refusals)
        if held and tally.count == 0:
            await _log_refusal(scope, status, held)
        for message in held:
            await send(message)


async def _log_refusal(scope: Scope, status: int, held: list[Message]) -> None:
    body = b"".join(m.get("body", b"") for m in held if m["type"] == "http.response.body")
    try:
        app = scope["app"]
        event = await run_in_threadpool(_refusal_event, directory_of(app), scope, status, body)
        await asyncio.wrap_future(audit_of(app).submit([event]))
    except Exception:
        # The refusal still leaves (it gives nothing away); the operator must see the gap.
        log.exception(
            "could not write the audit entry for a refused %s %s (%d): check that the "
            "directory database is reachable and writable",
            scope["method"],
            _route_of(scope),
            status,
        )


def _refusal_event(directory: Directory, scope: Scope, status: int, body: bytes) -> AuditEvent:
    query = dict(urllib.parse.parse_qsl(scope.get("query_string", b"").decode("latin-1")))
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    token, in_query = _presented_token(headers, query)
    caller = _claimed(directory, token)
    code, message = _error_of(status, body)
    reason = f"{scope['method']} {_route_of(scope)}: {status} {code}: {message}"
    if in_query:
        reason += (
            " (the token was sent in the query string, where logs and browser history keep "
            "it: send it in an 'Authorization: Bearer' header, and ask an admin to revoke it)"
        )
    subject = (scope.get("path_params") or {}).get("subject") or query.get("subject")
    state: MutableMapping[str, Any] = scope.get("state") or {}
    return AuditEvent(
        at=now(),
        user=caller.user,
        department=caller.department,
        role=caller.role,
        action=ACTION,
        outcome="refused",
        service_item=_field(query.get("service_item")),
        case_no=_field(query.get("case_no")),
        subject_hash=directory.audit.subject_hash(str(subject)) if subject else None,
        reason=mask_keys(reason)[:_REASON_MAX],
        request_id=str(state.get("request_id", "")),
    )


def _presented_token(headers: dict[str, str], query: dict[str, str]) -> tuple[str | None, bool]:
    """The credential the caller presented, and whether it came in the query string."""
    authorization = headers.get("authorization", "").strip()
    if authorization:
        scheme, _, credential = authorization.partition(" ")
        return (credential.strip() if scheme.lower() == "bearer" else authorization), False
    for name in QUERY_TOKEN_NAMES:
        if query.get(name):
            return query[name], True
    return None, False


def _claimed(directory: Directory, token: str | None) -> ClaimedCaller:
    if not token:
        return ANONYMOUS
    try:
        user = directory.identity.authenticate(token)
    except AuthenticationFailed:
        found = directory.identity.claimed_by(token)
        if found is None:
            return ClaimedCaller(f"token:{hash_token(token)[:12]}", "-", "unknown")
        user = found
    return ClaimedCaller(user.name, user.department, user.role.value)


def _error_of(status: int, body: bytes) -> tuple[str, str]:
    """(code, message) of an error body in the exchange's shape or FastAPI's own."""
    try:
        document = json.loads(body) if body else {}
    except ValueError:
        document = {}
    if isinstance(document, dict) and "detail" in document and "code" not in document:
        detail = document["detail"]
        if isinstance(detail, list):
            fields = "; ".join(
                f"{'.'.join(str(p) for p in d.get('loc', ()))}: {d.get('msg', '')}"
                for d in detail
                if isinstance(d, dict)
            )
            return "invalid_request", f"the request is not valid: {fields}"
        document = detail if isinstance(detail, dict) else {"message": str(detail)}
    if not isinstance(document, dict):
        document = {}
    return str(document.get("code") or f"http_{status}"), str(document.get("message") or "")


def _route_of(scope: Scope) -> str:
    """The route's template (`/v1/subjects/{subject}`), never the raw path with its key."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    return str(template) if template else mask_keys(str(scope["path"]))[:200]


def _field(value: str | None) -> str | None:
    return mask_keys(value)[:_FIELD_MAX] if value else None
