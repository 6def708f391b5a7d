"""The edges of the HTTP surface, over real HTTP against the app and the sample directory:
integers too large for a database, days beyond the working-day calendar's years, the one
error body on every error the app can give, no caching of answers that may carry personal
data, and the documentation pages served from the app itself under a strict
Content-Security-Policy."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.middleware import MAX_BODY_BYTES
from directory.actors import Role
from directory.store import Directory
from tests.directory.fixtures import bearer, open_sample
from tests.directory.raw_sql import connect

BEYOND_64_BITS = [
    # The two paths of the outside test, then every other integer id and offset of the API.
    ("GET", "/v1/directory/entries/4101000012/versions/45752183938207021268992", "steward"),
    ("GET", "/v1/directory/share-requests/47873596580623127109658143096832", "steward"),
    ("POST", "/v1/directory/share-requests/47873596580623127109658143096832/reject", "steward"),
    ("GET", f"/v1/objections/{2**64}", "steward"),
    ("DELETE", f"/v1/directory/tokens/{2**63}", "admin"),
    ("GET", f"/v1/audit/entries?offset={2**70}", "auditor"),
    ("GET", f"/v1/directory/entries?offset={2**70}", "steward"),
]


@pytest.fixture
def sample(onceonly_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Directory]:
    opened = open_sample(tmp_path_factory.getbasetemp(), onceonly_home)
    yield opened
    opened.close()


@pytest.fixture
def client(sample: Directory) -> Iterator[TestClient]:
    with TestClient(create_app(), raise_server_exceptions=False) as started:
        yield started


def headers_of(sample: Directory, role: str) -> dict[str, str]:
    users = {"steward": ("mr_steward", None, ""), "admin": ("edges.admin", Role.admin, "gsc")}
    users["auditor"] = ("edges.auditor", Role.auditor, "gsc")
    name, new_role, department = users[role]
    return bearer(sample, name, new_role, department)


def error_body(response: httpx.Response, status: int) -> dict[str, object]:
    """The documented shape, and nothing of FastAPI's `{"detail": ...}`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert "detail" not in body, body
    assert isinstance(body.get("code"), str) and body["code"]
    assert isinstance(body.get("message"), str) and body["message"]
    return body


@pytest.mark.parametrize(("method", "path", "role"), BEYOND_64_BITS)
def test_integers_beyond_64_bits_are_refused_by_name_not_a_server_error(
    client: TestClient, sample: Directory, method: str, path: str, role: str
) -> None:
    body = {"reason": "超出范围"} if method == "POST" else None
    response = client.request(method, path, headers=headers_of(sample, role), json=body)
    refused = error_body(response, 422)
    assert refused["code"] == "invalid_request"
    assert "less than or equal to 9223372036854775807" in str(refused["message"])


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2100-01-01"])
@pytest.mark.parametrize(
    "path",
    [
        "/v1/directory/bundles",
        "/v1/directory/service-items",
        "/v1/directory/grants/check?department=mr&resource=301001/000001"
        "&service_item=4101000001&items=name",
    ],
)
def test_days_beyond_the_calendar_are_refused_by_name_not_built_day_by_day(
    client: TestClient, sample: Directory, path: str, day: str
) -> None:
    # Each such day once made the calendar build every day up to it (seconds per request).
    joined = "&" if "?" in path else "?"
    response = client.get(f"{path}{joined}on={day}", headers=headers_of(sample, "steward"))
    refused = error_body(response, 422)
    assert refused["code"] == "invalid_request"
    assert "outside 2000-01-01..2099-12-31" in str(refused["message"])
    assert client.get(
        f"{path}{joined}on=2026-11-20", headers=headers_of(sample, "steward")
    ).is_success


def test_an_unknown_path_is_a_404_in_the_error_shape(client: TestClient) -> None:
    for path in ("/v1/nowhere", "/nowhere", "/v1/directory/nowhere/at/all"):
        refused = error_body(client.get(path), 404)
        assert refused["code"] == "not_found" and "/docs" in str(refused["message"])


def test_a_method_the_path_does_not_take_is_a_405_naming_the_allowed_one(
    client: TestClient, sample: Directory
) -> None:
    response = client.delete("/v1/resources", headers=headers_of(sample, "steward"))
    refused = error_body(response, 405)
    assert refused["code"] == "method_not_allowed" and "GET" in str(refused["message"])
    assert response.headers["allow"] == "GET"


def test_a_body_that_is_not_json_is_a_400_saying_where(
    client: TestClient, sample: Directory
) -> None:
    response = client.post(
        "/v1/directory/share-requests",
        content=b'{"resource_code": ',
        headers={**headers_of(sample, "steward"), "Content-Type": "application/json"},
    )
    refused = error_body(response, 400)
    assert refused["code"] == "invalid_json" and "character" in str(refused["message"])


def test_too_large_and_invalid_requests_keep_the_shape(
    client: TestClient, sample: Directory
) -> None:
    steward = headers_of(sample, "steward")
    large = client.post(
        "/v1/directory/share-requests",
        content=b"x" * (MAX_BODY_BYTES + 1),
        headers={**steward, "Content-Type": "application/json"},
    )
    assert error_body(large, 413)["code"] == "request_too_large"
    invalid = client.post("/v1/directory/share-requests", headers=steward, json={"purpose": 1})
    assert error_body(invalid, 422)["problems"]
    # A route outside the /v1 routers' own route class, too: the console's sign-in form.
    form = client.post("/console/sign-in", data={})
    assert error_body(form, 422)["code"] == "invalid_request"


def test_an_unexpected_failure_is_a_500_with_the_request_id_to_quote(
    client: TestClient, sample: Directory
) -> None:
    steward = headers_of(sample, "steward")
    with connect(sample) as broken:  # the store loses a table behind the app's back
        broken.execute("DROP TABLE share_request_events")
    response = client.get(
        "/v1/directory/share-requests", headers={**steward, "X-Request-ID": "edge-500"}
    )
    failed = error_body(response, 500)
    assert failed["code"] == "internal_error" and "edge-500" in str(failed["message"])
    assert response.headers["x-request-id"] == "edge-500"
    assert response.headers["cache-control"] == "no-store"


def test_answers_that_may_carry_personal_data_are_never_cached(
    client: TestClient, sample: Directory
) -> None:
    steward = headers_of(sample, "steward")
    for path in ("/v1/directory/me", "/v1/directory/share-requests", "/v1/directory/entries"):
        response = client.get(path, headers=steward)
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store", path
    assert client.get("/v1/directory/me").headers["cache-control"] == "no-store"  # the 401
    assert client.get("/console/sign-in").headers["cache-control"] == "no-store"
    assert client.get("/console/prefill").headers["cache-control"] == "no-store"  # redirect
    assert "cache-control" not in client.get("/health").headers


def test_the_docs_load_nothing_from_outside_and_allow_only_the_app_itself(
    client: TestClient,
) -> None:
    for page in ("/docs", "/redoc"):
        response = client.get(page)
        assert response.status_code == 200
        policy = response.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "script-src" not in policy
        assert not re.search(r"https?:|\*", policy), policy
        html = response.text
        assert not re.search(r"(src|href)=\"(https?:)?//", html), html
        assert "<script>" not in html  # no inline script: the policy would refuse it
        assets = re.findall(r"(?:src|href)=\"(/[^\"]+)\"", html)
        assert assets
        for asset in assets:
            served = client.get(asset)
            assert served.status_code == 200 and served.content, asset
    assert "swagger-ui-bundle.js" in client.get("/docs").text
    assert "SwaggerUIBundle(" in client.get("/docs-assets/swagger-init.js").text
