"""The console's own mechanics over HTTP: sign-in, the session cookie and the server-side
session behind it, the form token, the role gate, security headers, and that its reads go
through the API (and so into the audit log)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.console.session import SESSION_COOKIE, form_token
from api.main import create_app
from directory.tables import ConsoleSession
from tests.api.conftest import Exchange

PAGES = {  # page: roles that may open it
    "/console/catalogue": {"steward", "admin"},
    "/console/entries/301001/000001": {"steward", "admin"},
    "/console/share-requests": {"steward", "admin"},
    "/console/quarantine": {"steward", "admin"},
    "/console/objections": {"steward"},
    "/console/conflicts": {"steward"},
    "/console/quality": {"steward", "admin"},
    "/console/prefill": {"clerk"},
    "/console/analytics": {"analyst"},
    "/console/forecasts": {"analyst"},
    "/console/workbench": {"analyst"},
    "/console/audit": {"auditor"},
}
DEPARTMENTS = {"steward": "ps", "admin": "gsc", "clerk": "mr", "analyst": "gsc", "auditor": "gsc"}


def token_of(exchange: Exchange, role: str) -> str:
    bearer = exchange.token(f"console.{role}", role, DEPARTMENTS[role])["Authorization"]
    return bearer.removeprefix("Bearer ")


@pytest.fixture
def app(exchange: Exchange) -> Iterator[FastAPI]:
    """The exchange's app, started; each client a test makes is a browser of its own."""
    served = create_app(directory=exchange.directory)
    with TestClient(served):
        yield served


def signed_in(app: FastAPI, exchange: Exchange, role: str) -> tuple[TestClient, str]:
    client = TestClient(app, follow_redirects=False)
    token = token_of(exchange, role)
    response = client.post("/console/sign-in", data={"token": token})
    assert response.status_code == 303, response.text
    return client, token


def session_id_of(response: httpx.Response) -> str:
    """The session id the sign-in set, from its Set-Cookie header."""
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}="), cookie
    return cookie.split(";")[0].split("=", 1)[1]


def with_cookie(app: FastAPI, session_id: str) -> TestClient:
    """Another browser presenting a stolen or remembered cookie."""
    client = TestClient(app, follow_redirects=False)
    client.cookies.set(SESSION_COOKIE, session_id, path="/console")
    return client


def test_pages_need_a_session_and_come_back_after_sign_in(app: FastAPI, exchange: Exchange) -> None:
    client = TestClient(app, follow_redirects=False)
    response = client.get("/console/prefill?service_item=4101000004")
    assert response.status_code == 303
    assert response.headers["location"] == (
        "/console/sign-in?next=/console/prefill%3Fservice_item%3D4101000004"
    )
    token = token_of(exchange, "clerk")
    signed = client.post(
        "/console/sign-in",
        data={"token": token, "next": "/console/prefill?service_item=4101000004"},
    )
    assert signed.headers["location"] == "/console/prefill?service_item=4101000004"
    cookie = signed.headers["set-cookie"]
    assert token not in cookie and len(session_id_of(signed)) >= 40
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie  # plain http: a Secure cookie would never come back


def test_the_cookie_names_a_session_and_the_token_stays_sealed_on_the_server(
    app: FastAPI,
    exchange: Exchange,
) -> None:
    client = TestClient(app, follow_redirects=False)
    token = token_of(exchange, "auditor")
    session_id = session_id_of(client.post("/console/sign-in", data={"token": token}))
    assert client.get("/console/audit").status_code == 200
    with exchange.directory.db.read() as db:
        stored = [
            str(getattr(row, column.name))
            for row in db.query(ConsoleSession).all()
            for column in ConsoleSession.__table__.columns
        ]
    assert stored
    assert not [value for value in stored if token in value or session_id in value]
    # The token itself, put where a session id belongs (as the old cookie held it), opens
    # nothing.
    assert (
        with_cookie(app, token)
        .get("/console/audit")
        .headers["location"]
        .startswith("/console/sign-in")
    )


def test_the_cookie_is_secure_over_https(app: FastAPI, exchange: Exchange) -> None:
    client = TestClient(app, base_url="https://testserver", follow_redirects=False)
    signed = client.post("/console/sign-in", data={"token": token_of(exchange, "clerk")})
    assert "Secure" in signed.headers["set-cookie"]
    assert client.get("/console/prefill").status_code == 200


def test_sign_out_ends_the_session_for_every_copy_of_the_cookie(
    app: FastAPI, exchange: Exchange
) -> None:
    client = TestClient(app, follow_redirects=False)
    session_id = session_id_of(
        client.post("/console/sign-in", data={"token": token_of(exchange, "analyst")})
    )
    copy = with_cookie(app, session_id)
    assert copy.get("/console/workbench").status_code in (200, 503)
    out = client.post("/console/sign-out", data={"csrf": form_token(session_id)})
    assert out.status_code == 303 and f'{SESSION_COOKIE}=""' in out.headers["set-cookie"]
    assert copy.get("/console/workbench").headers["location"].startswith("/console/sign-in")


def test_disabling_the_user_ends_their_session_for_good(app: FastAPI, exchange: Exchange) -> None:
    identity = exchange.directory.identity
    identity.create_user("console.leaver", "steward", "ps")
    client = TestClient(app, follow_redirects=False)
    token = identity.issue_token("console.leaver").token
    session_id = session_id_of(client.post("/console/sign-in", data={"token": token}))
    user_id = identity.get_user("console.leaver").id
    sessions = exchange.directory.console_sessions
    assert sessions.count(user_id) == 1
    identity.set_disabled("console.leaver", True)
    assert sessions.count(user_id) == 0
    identity.set_disabled("console.leaver", False)  # enabled again: the token works again...
    assert client.get("/console/catalogue").headers["location"].startswith("/console/sign-in")
    assert with_cookie(app, session_id).get("/console/catalogue").status_code == 303  # ...not this


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/v1/audit"])
def test_sign_in_never_sends_the_user_off_the_console(
    app: FastAPI, exchange: Exchange, target: str
) -> None:
    client = TestClient(app, follow_redirects=False)
    response = client.post(
        "/console/sign-in", data={"token": token_of(exchange, "analyst"), "next": target}
    )
    assert response.headers["location"] == "/console/analytics"


def test_a_bad_or_revoked_token_does_not_sign_in(app: FastAPI, exchange: Exchange) -> None:
    client = TestClient(app, follow_redirects=False)
    refused = client.post("/console/sign-in", data={"token": "oo_wrong"})
    assert refused.status_code == 401 and "令牌无效或已撤销" in refused.text
    assert SESSION_COOKIE not in refused.headers.get("set-cookie", "")

    client, _ = signed_in(app, exchange, "auditor")
    assert client.get("/console/audit").status_code == 200
    identity = exchange.directory.identity
    user_id = identity.get_user("console.auditor").id
    assert exchange.directory.console_sessions.count(user_id) >= 1
    for issued in identity.list_tokens("console.auditor"):
        identity.revoke_token(issued.id)
    assert exchange.directory.console_sessions.count(user_id) == 0
    assert client.get("/console/audit").headers["location"].startswith("/console/sign-in")


def test_every_page_is_open_to_its_roles_only(app: FastAPI, exchange: Exchange) -> None:
    for role in DEPARTMENTS:
        client, _ = signed_in(app, exchange, role)
        for path, roles in PAGES.items():
            response = client.get(path)
            if role in roles:
                # This exchange has no analytics built: the API's 503 and its advice show.
                assert response.status_code in (200, 503), (role, path, response.text[:300])
            else:
                assert response.status_code == 403, (role, path)
                assert "无权访问此页面" in response.text


def test_a_post_without_the_form_token_changes_nothing(app: FastAPI, exchange: Exchange) -> None:
    client, token = signed_in(app, exchange, "steward")
    before = exchange.directory.entries.get("301001/000001").version
    form = {
        "expected_version": str(before),
        "reason": "跨站伪造",
        "name": "被篡改",
        "sharing_type": "conditional",
        "update_cycle": "daily",
        "status": "published",
    }
    forged = client.post("/console/entries/301001/000001/edit", data=form)
    assert forged.status_code == 403 and "表单已过期" in forged.text
    wrong = client.post("/console/entries/301001/000001/edit", data={**form, "csrf": "0" * 32})
    assert wrong.status_code == 403
    assert exchange.directory.entries.get("301001/000001").version == before
    # The form token belongs to the session, not the API token: it cannot be made from it.
    from_token = client.post(
        "/console/entries/301001/000001/edit", data={**form, "csrf": form_token(token)}
    )
    assert from_token.status_code == 403


def test_pages_carry_security_headers_and_stay_out_of_the_openapi(
    app: FastAPI, exchange: Exchange
) -> None:
    client, _ = signed_in(app, exchange, "clerk")
    page = client.get("/console/prefill")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    assert client.get("/console/static/console.css").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p.startswith("/console")]


def test_a_prefill_in_the_console_is_a_posted_and_logged_api_read(
    app: FastAPI, exchange: Exchange
) -> None:
    client, _ = signed_in(app, exchange, "clerk")
    case, past_case = exchange.case("4101000004", 40), exchange.case("4101000004", 41)
    csrf = form_token(client.cookies[SESSION_COOKIE])  # the form token is the session's
    asked = {"csrf": csrf, "service_item": "4101000004", "subject": exchange.person}
    page = client.post("/console/prefill", data=asked | {"case_no": case})
    assert page.status_code == 200 and "公安局" in page.text
    assert exchange.person not in str(page.url)
    assert 'action="/console/objections/draft"' in page.text and "objections/new?" not in page.text
    logged = [
        e for e in exchange.directory.audit.entries(user="console.clerk") if e.case_no == case
    ]
    assert [(e.action, e.outcome) for e in logged] == [("prefill", "served")]

    past = client.post(
        "/console/prefill", data=asked | {"case_no": past_case, "as_of": "2026-11-21"}
    )
    assert past.status_code == 200 and "数据截至 2026年11月21日 23:59" in past.text

    bad = client.post("/console/prefill", data=asked | {"subject": "123", "case_no": case})
    assert bad.status_code == 422 and 'role="alert"' in bad.text

    forged = client.post("/console/prefill", data=asked | {"csrf": "0" * 32, "case_no": case})
    assert forged.status_code == 403 and "公安局" not in forged.text


def test_the_prefill_page_reads_no_subject_from_the_url(app: FastAPI, exchange: Exchange) -> None:
    client, _ = signed_in(app, exchange, "clerk")
    before = len(exchange.directory.audit.entries(user="console.clerk", limit=None))
    page = client.get(
        "/console/prefill",
        params={"service_item": "4101000004", "subject": exchange.person, "case_no": "ZZ-GET-1"},
    )
    assert page.status_code == 200 and 'method="post" action="/console/prefill"' in page.text
    assert "公安局 ·" not in page.text and exchange.person not in page.text
    assert len(exchange.directory.audit.entries(user="console.clerk", limit=None)) == before
