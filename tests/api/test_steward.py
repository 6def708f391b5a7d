"""The steward API over HTTP: authentication, the catalogue, versions and conflicts,
exports, administration, and the one error shape."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.deps import directory_of
from api.main import create_app
from directory.actors import Role
from directory.store import Directory, open_directory
from tests.directory.fixtures import bearer, entry, open_sample, seeded

PEOPLE = "301001/000001"  # 人口基本信息 (ps) in the sample
FIRMS = "302001/000001"  # 企业登记信息 (mr)


@pytest.fixture
def sample(onceonly_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Directory]:
    opened = open_sample(tmp_path_factory.getbasetemp(), onceonly_home)
    yield opened
    opened.close()


@pytest.fixture
def client(sample: Directory) -> Iterator[TestClient]:
    with TestClient(create_app()) as started:
        yield started


def error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) >= {"code", "message"} and body["message"]
    return body


# ---- authentication -----------------------------------------------------------------------


def test_no_token_bad_token_revoked_token(client: TestClient, sample: Directory) -> None:
    missing = client.get("/v1/directory/entries")
    assert error(missing, 401)["code"] == "token_missing"
    assert missing.headers["www-authenticate"] == "Bearer"
    assert "onceonly token create" in missing.json()["message"]
    bad = client.get("/v1/directory/entries", headers={"Authorization": "Bearer oo_nope"})
    assert error(bad, 401)["code"] == "token_invalid"
    issued = sample.identity.issue_token("mr_steward")
    headers = {"Authorization": f"Bearer {issued.token}"}
    assert client.get("/v1/directory/me", headers=headers).json()["department"] == "mr"
    sample.identity.revoke_token(issued.info.id)
    assert error(client.get("/v1/directory/me", headers=headers), 401)["code"] == "token_revoked"


def test_a_token_revoked_by_another_process_is_refused_on_the_next_request(
    client: TestClient, sample: Directory
) -> None:
    # The API keeps authenticated tokens in memory; `onceonly token revoke` and `token
    # disable` run in another process, with a Directory of their own on the same database.
    revoked = sample.identity.issue_token("mr_steward")
    kept = sample.identity.issue_token("ps_steward")
    headers = {"Authorization": f"Bearer {revoked.token}"}
    other = {"Authorization": f"Bearer {kept.token}"}
    for _ in range(2):  # the second answer comes from the cache
        assert client.get("/v1/directory/me", headers=headers).status_code == 200
        assert client.get("/v1/directory/me", headers=other).status_code == 200
    cli = open_directory()
    assert cli is not directory_of(client.app)  # the API's own
    try:
        cli.identity.revoke_token(revoked.info.id)
        assert error(client.get("/v1/directory/me", headers=headers), 401)["code"] == (
            "token_revoked"
        )
        assert client.get("/v1/directory/me", headers=other).status_code == 200
        cli.identity.set_disabled("ps_steward", True)
        assert error(client.get("/v1/directory/me", headers=other), 401)["code"] == (
            "user_disabled"
        )
        cli.identity.set_disabled("ps_steward", False)
        assert client.get("/v1/directory/me", headers=other).status_code == 200
    finally:
        cli.close()


def test_every_role_reads_only_stewards_and_admins_edit(
    client: TestClient, sample: Directory
) -> None:
    analyst = bearer(sample, "ana", Role.analyst, "gsc")
    assert client.get("/v1/directory/entries", headers=analyst).json()["total"] == 9
    patch = {"expected_version": 2, "reason": "x", "changes": {"abstract": "y"}}
    forbidden = client.patch(f"/v1/directory/entries/{FIRMS}", headers=analyst, json=patch)
    assert error(forbidden, 403)["code"] == "role_forbidden"
    other = client.patch(
        f"/v1/directory/entries/{FIRMS}", headers=bearer(sample, "ps_steward"), json=patch
    )
    assert error(other, 403)["code"] == "forbidden"
    assert "only a steward of mr" in other.json()["message"]


# ---- the catalogue ------------------------------------------------------------------------


def test_search_show_and_filters(client: TestClient, sample: Directory) -> None:
    headers = bearer(sample, "clerk1", Role.clerk, "hrss")
    found = client.get("/v1/directory/entries", params={"q": "不动产 坐落"}, headers=headers).json()
    assert [h["name"] for h in found["hits"]] == ["不动产登记信息"]
    conditional = client.get(
        "/v1/directory/entries",
        params={"sharing_type": "unconditional", "status": "published"},
        headers=headers,
    ).json()
    assert [h["code"] for h in conditional["hits"]] == [FIRMS, seeded(sample, "tax_standing")]
    shown = client.get(f"/v1/directory/entries/{PEOPLE}", headers=headers).json()
    assert shown["version"] == 2 and shown["entry"]["provider_name"] == "公安局"
    assert shown["freshness"] == "unknown" and shown["figures"] is None
    assert shown["dependent_service_items"] >= 15
    missing = client.get("/v1/directory/entries/309001/000009", headers=headers)
    assert error(missing, 404)["code"] == "not_found"


def test_edit_conflict_validation_and_history(client: TestClient, sample: Directory) -> None:
    mr = bearer(sample, "mr_steward")
    url = f"/v1/directory/entries/{FIRMS}"
    saved = client.patch(
        url,
        headers=mr,
        json={"expected_version": 2, "reason": "补充", "changes": {"abstract": "新摘要"}},
    )
    assert saved.status_code == 200 and saved.json()["version"] == 3
    stale = client.patch(
        url,
        headers=mr,
        json={"expected_version": 2, "reason": "旧", "changes": {"steward": "张三"}},
    )
    body = error(stale, 409)
    assert (body["code"], body["current_version"], body["changed_fields"]) == (
        "edit_conflict",
        3,
        ["abstract"],
    )
    invalid = client.patch(
        url,
        headers=mr,
        json={"expected_version": 3, "reason": "改", "changes": {"sharing_type": "conditional"}},
    )
    body = error(invalid, 422)
    assert body["code"] == "invalid"
    assert {p["field"] for p in body["problems"]} == {"sharing_condition", "legal_basis"}
    assert all(p["fix"] for p in body["problems"])
    malformed = client.patch(
        url, headers=mr, json={"expected_version": 3, "reason": "改", "changes": {"format": "xml"}}
    )
    body = error(malformed, 422)
    assert body["code"] == "invalid_request"
    assert body["problems"][0]["field"] == "changes.format"
    assert body["problems"][0]["fix"].startswith("use one of: 'database'")

    history = client.get(f"{url}/history", headers=mr).json()
    assert [v["version"] for v in history] == [3, 2, 1]
    assert history[0]["changes"][0]["field"] == "abstract" and history[0]["author"] == "mr_steward"
    old = client.get(f"{url}/versions/1", headers=mr).json()
    assert old["entry"]["status"] == "draft"
    restored = client.post(
        f"{url}/versions/2/restore", headers=mr, json={"expected_version": 3, "reason": "撤销"}
    )
    assert restored.json()["version"] == 4
    assert restored.json()["entry"]["abstract"].startswith("市场监管部门登记的企业")
    assert client.get(f"{url}/history", headers=mr).json()[0]["kind"] == "restored"


def test_create_an_entry(client: TestClient, sample: Directory) -> None:
    created = client.post(
        "/v1/directory/entries",
        headers=bearer(sample, "mr_steward"),
        json={"reason": "新编目", "entry": entry()},
    )
    assert created.status_code == 201 and created.json()["version"] == 1
    duplicate = client.post(
        "/v1/directory/entries",
        headers=bearer(sample, "mr_steward"),
        json={"reason": "x", "entry": entry()},
    )
    assert error(duplicate, 422)["problems"][0]["field"] == "code"


def test_dependents_and_exports(client: TestClient, sample: Directory) -> None:
    headers = bearer(sample, "aud", Role.auditor, "gsc")
    dependents = client.get(f"/v1/directory/entries/{PEOPLE}/dependents", headers=headers).json()
    assert dependents[0]["base_daily_volume"] >= dependents[-1]["base_daily_volume"]
    assert any(d["code"] == "4101000001" for d in dependents)
    exported = client.get("/v1/directory/export.json", headers=headers).json()
    assert exported["count"] == 9
    dcat = client.get("/v1/directory/export.jsonld", headers=headers)
    assert dcat.headers["content-type"].startswith("application/ld+json")
    assert len(dcat.json()["dcat:dataset"]) == 9


# ---- administration -----------------------------------------------------------------------


def test_admins_manage_users_and_tokens(client: TestClient, sample: Directory) -> None:
    admin = bearer(sample, "centre_admin")
    created = client.post(
        "/v1/directory/users",
        headers=admin,
        json={"name": "wang.li", "role": "steward", "department": "mr", "display_name": "王丽"},
    )
    assert created.status_code == 201
    issued = client.post(
        "/v1/directory/users/wang.li/tokens", headers=admin, json={"label": "3号窗口"}
    )
    token = issued.json()["token"]
    mine = {"Authorization": f"Bearer {token}"}
    assert client.get("/v1/directory/me", headers=mine).json()["display_name"] == "王丽"
    listed = client.get("/v1/directory/tokens", params={"user": "wang.li"}, headers=admin).json()
    assert token not in str(listed) and listed[0]["label"] == "3号窗口"
    assert error(client.get("/v1/directory/users", headers=mine), 403)["code"] == "role_forbidden"
    client.delete(f"/v1/directory/tokens/{listed[0]['id']}", headers=admin)
    assert error(client.get("/v1/directory/me", headers=mine), 401)["code"] == "token_revoked"
    bad = client.post(
        "/v1/directory/users",
        headers=admin,
        json={"name": "x y", "role": "steward", "department": "zz"},
    )
    assert {p["field"] for p in error(bad, 422)["problems"]} == {"name", "department"}
    synced = client.post("/v1/directory/contracts/sync", headers=admin).json()
    assert {s["action"] for s in synced} == {"unchanged"}


def test_openapi_documents_every_steward_route(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    routes = {p: ops for p, ops in spec["paths"].items() if p.startswith("/v1/directory")}
    assert len(routes) >= 20
    for path, operations in routes.items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "200" in responses or "201" in responses, (method, path)
            assert responses["401"]["content"]["application/json"]["schema"]["$ref"].endswith(
                "/ErrorBody"
            )
            body = operation.get("requestBody")
            if body:  # JSON, or a file upload (the catalogue import) as multipart form data
                (media,) = body["content"]
                assert media in ("application/json", "multipart/form-data"), (method, path)
                assert "$ref" in body["content"][media]["schema"], (method, path)
    schemas = spec["components"]["schemas"]
    assert schemas["EntryPatch"]["properties"]["expected_version"]["examples"] == [3]
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
