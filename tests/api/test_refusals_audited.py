"""Every refusal of a data route is an audit entry, over HTTP against a real exchange: each
kind of refusal an outsider can provoke leaves exactly one entry, with the reason and the
caller it claimed to be, and neither a token nor a subject key in clear."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from directory.audit import AuditRecord
from tests.api.conftest import Exchange

SOLE_PROPRIETOR = "4101000004"  # 个体工商户设立登记 (mr)
CASE = "ZZ2026112100001"


@dataclass
class Callers:
    clerk: str  # tokens
    revoked: str
    disabled: str
    unknown: str = "oo_" + "n0t-a-real-token-but-long-enough-to-look-like-one"
    names: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="module")
def client(exchange: Exchange) -> Iterator[TestClient]:
    with TestClient(create_app(directory=exchange.directory)) as started:
        yield started


@pytest.fixture(scope="module")
def callers(exchange: Exchange) -> Callers:
    identity = exchange.directory.identity
    identity.create_user("refused.clerk", "clerk", "mr")
    identity.create_user("gone.clerk", "clerk", "mr")
    identity.create_user("off.clerk", "clerk", "mr")
    revoked = identity.issue_token("gone.clerk")
    identity.revoke_token(revoked.info.id)
    disabled = identity.issue_token("off.clerk").token
    identity.set_disabled("off.clerk", True)
    return Callers(identity.issue_token("refused.clerk").token, revoked.token, disabled)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _probes(exchange: Exchange, c: Callers) -> dict[str, dict[str, Any]]:
    """Each refusal kind: the request, and the status, code and claimed user expected."""
    person = exchange.person
    prefill = {"service_item": SOLE_PROPRIETOR, "subject": person, "case_no": CASE}
    unknown_user = "token:" + hashlib.sha256(c.unknown.encode()).hexdigest()[:12]
    return {
        "no token": dict(
            get="/v1/prefill", params=prefill, expect=(401, "token_missing", "anonymous")
        ),
        "bad token": dict(
            get="/v1/prefill",
            params=prefill,
            headers=_bearer(c.unknown),
            expect=(401, "token_invalid", unknown_user),
        ),
        "revoked token": dict(
            get=f"/v1/subjects/{person}",
            params={"service_item": SOLE_PROPRIETOR, "case_no": CASE},
            headers=_bearer(c.revoked),
            expect=(401, "token_revoked", "gone.clerk"),
        ),
        "disabled user": dict(
            get="/v1/prefill",
            params=prefill,
            headers=_bearer(c.disabled),
            expect=(401, "user_disabled", "off.clerk"),
        ),
        "token in the query string": dict(
            get="/v1/prefill",
            params={**prefill, "access_token": c.clerk},
            expect=(401, "token_missing", "refused.clerk"),
        ),
        "not a token scheme": dict(
            get="/v1/resources",
            headers={"Authorization": "Basic c2VjcmV0OnBhc3N3b3Jk"},
            expect=(401, "token_missing", None),
        ),
        "422 missing case number": dict(
            get="/v1/prefill",
            params={"service_item": SOLE_PROPRIETOR, "subject": person},
            headers=_bearer(c.clerk),
            expect=(422, "invalid_request", "refused.clerk"),
        ),
        "422 not a key": dict(
            get="/v1/subjects/11010519491231002",
            params={"service_item": SOLE_PROPRIETOR, "case_no": CASE},
            headers=_bearer(c.clerk),
            expect=(422, None, "refused.clerk"),
        ),
        "422 bulk body": dict(
            post="/v1/subjects/verify",
            json={"service_item": SOLE_PROPRIETOR, "subjects": "not a list"},
            headers=_bearer(c.clerk),
            expect=(422, "invalid_request", "refused.clerk"),
        ),
        "unknown service item": dict(
            get="/v1/prefill",
            params={**prefill, "service_item": "9999999999"},
            headers=_bearer(c.clerk),
            expect=(404, "unknown_service_item", "refused.clerk"),
        ),
        "unknown route": dict(
            get=f"/v1/people/{person}",
            headers=_bearer(c.clerk),
            expect=(404, None, "refused.clerk"),
        ),
        "objections: role": dict(
            get="/v1/objections",
            headers=_bearer(c.clerk),
            expect=(403, "role_forbidden", "refused.clerk"),
        ),
        "quality: role": dict(
            get="/v1/quality/ps_population/batches",
            headers=_bearer(c.clerk),
            expect=(403, "role_forbidden", "refused.clerk"),
        ),
        "analytics: role": dict(
            get="/v1/analytics/summary",
            headers=_bearer(c.clerk),
            expect=(403, "role_forbidden", "refused.clerk"),
        ),
        "directory: role": dict(
            get="/v1/directory/users",
            headers=_bearer(c.clerk),
            expect=(403, "role_forbidden", "refused.clerk"),
        ),
        "directory write: role": dict(
            post="/v1/directory/entries",
            json={},
            headers=_bearer(c.clerk),
            expect=(403, "role_forbidden", "refused.clerk"),
        ),
    }


def _entries_of(exchange: Exchange, request_id: str) -> list[AuditRecord]:
    return [e for e in exchange.directory.audit.entries(limit=None) if e.request_id == request_id]


@pytest.mark.parametrize(
    "kind",
    [
        "no token",
        "bad token",
        "revoked token",
        "disabled user",
        "token in the query string",
        "not a token scheme",
        "422 missing case number",
        "422 not a key",
        "422 bulk body",
        "unknown service item",
        "unknown route",
        "objections: role",
        "quality: role",
        "analytics: role",
        "directory: role",
        "directory write: role",
    ],
)
def test_each_refusal_is_one_entry_with_its_reason_and_claimed_caller(
    exchange: Exchange, client: TestClient, callers: Callers, kind: str
) -> None:
    probe = _probes(exchange, callers)[kind]
    status, code, user = probe["expect"]
    request_id = "refusal-" + hashlib.sha256(kind.encode()).hexdigest()[:16]
    method, path = ("post", probe["post"]) if "post" in probe else ("get", probe["get"])
    answer = client.request(
        method,
        path,
        params=probe.get("params"),
        json=probe.get("json"),
        headers={**probe.get("headers", {}), "X-Request-ID": request_id},
    )
    assert answer.status_code == status, answer.text
    if code:
        assert answer.json()["code"] == code
    (entry,) = _entries_of(exchange, request_id)
    assert entry.outcome == "refused"
    if user is not None:
        assert entry.user == user
    else:  # a credential that is no token is still named by a hash prefix, never in clear
        assert entry.user.startswith("token:")
    assert str(status) in entry.reason and (code or "") in entry.reason
    text = repr(entry)
    for secret in (callers.clerk, callers.revoked, callers.disabled, callers.unknown):
        assert secret not in text
    assert exchange.person not in text
    subject = (probe.get("params") or {}).get("subject")
    if subject or path.startswith(f"/v1/subjects/{exchange.person}"):
        assert entry.subject_hash == exchange.directory.audit.subject_hash(exchange.person)
    if kind == "token in the query string":
        assert "query string" in entry.reason


def test_a_refusal_the_route_logged_is_not_logged_twice_and_service_is_not_a_refusal(
    exchange: Exchange, client: TestClient, callers: Callers
) -> None:
    headers = {**_bearer(callers.clerk), "X-Request-ID": "refusal-logged-by-route"}
    assert client.get("/v1/audit/verify", headers=headers).status_code == 403
    (entry,) = _entries_of(exchange, "refusal-logged-by-route")
    assert entry.action == "audit.read" and "may not read the audit log" in entry.reason
    served = {**_bearer(callers.clerk), "X-Request-ID": "refusal-none-served"}
    case = exchange.case(SOLE_PROPRIETOR)  # an open case in the centre's register
    params = {"service_item": SOLE_PROPRIETOR, "subject": exchange.person, "case_no": case}
    assert client.get("/v1/prefill", params=params, headers=served).status_code == 200
    assert [e.outcome for e in _entries_of(exchange, "refusal-none-served")] == ["served"]
    public = {"X-Request-ID": "refusal-public-key"}
    client.get("/v1/extracts/public-key", headers=public)
    assert _entries_of(exchange, "refusal-public-key") == []
