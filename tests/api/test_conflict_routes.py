"""The conflict queue and the quality overview routes on a small hand-made snapshot: quick
checks of who sees what, the settlement's rules and the clock, beside the end-to-end ones on
a real exchange (`test_conflicts.py`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.console.session import SESSION_COOKIE, form_token
from api.deps import current_snapshot
from api.main import create_app
from directory import lateness
from directory.store import Directory
from tests.directory.fixtures import bearer, open_sample, seeded
from tests.snapshot.small import AT, PERSON, SmallSnapshot, write_small_snapshot

QUEUE = "/v1/directory/conflicts"


@pytest.fixture
def sample(onceonly_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Directory]:
    opened = open_sample(tmp_path_factory.getbasetemp(), onceonly_home)
    yield opened
    opened.close()


@pytest.fixture
def client(sample: Directory, tmp_path: Path) -> Iterator[TestClient]:
    write_small_snapshot(tmp_path / "small.duckdb")
    small = SmallSnapshot(tmp_path / "small.duckdb")
    app = create_app(directory=sample)
    app.dependency_overrides[current_snapshot] = lambda: small
    with TestClient(app) as started:
        yield started


def test_the_queue_goes_to_the_other_providers_steward(
    sample: Directory, client: TestClient
) -> None:
    hrss = bearer(sample, "hrss_steward")
    (conflict,) = client.get(QUEUE, headers=hrss).json()
    assert conflict["subject_key"] == PERSON and conflict["status"] == "open"
    assert (conflict["authoritative_value"], conflict["authoritative_batch"]) == ("张伟", "ps-b1")
    assert (conflict["other_value"], conflict["other_batch"]) == ("张玮", "hrss-b2")
    assert conflict["authoritative_department"] == "ps"
    assert conflict["subject_hash"] == sample.audit.subject_hash(PERSON)
    assert client.get(QUEUE, headers=bearer(sample, "ps_steward")).json() == []
    assert client.get(QUEUE, headers=bearer(sample, "centre_admin")).status_code == 403

    settle = f"{QUEUE}/{conflict['id']}/resolve"
    body = {"outcome": "explained", "note": "社保登记沿用曾用名，已在备注中注明"}
    refused = client.post(settle, json=body, headers=bearer(sample, "ps_steward"))
    assert refused.status_code == 403 and refused.json()["code"] == "not_your_department"
    settled = client.post(settle, json=body, headers=hrss)
    assert settled.status_code == 200, settled.text
    assert settled.json()["settlement"]["resolved_by"] == "hrss_steward"
    assert client.post(settle, json=body, headers=hrss).status_code == 409
    assert client.get(QUEUE, headers=hrss).json() == []
    assert [c["id"] for c in client.get(QUEUE, params={"status": "all"}, headers=hrss).json()] == [
        conflict["id"]
    ]
    logged = sample.audit.entries(action="conflict.resolve")
    assert sorted(e.outcome for e in logged) == ["refused", "served"]
    assert all(e.subject_hash == conflict["subject_hash"] for e in logged)


def test_the_overview_counts_open_conflicts_and_judges_lateness_by_the_clock(
    sample: Directory, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    hrss = bearer(sample, "hrss_steward")
    certified = AT.astimezone(dt.UTC) + dt.timedelta(days=1)  # hrss-b2
    monkeypatch.setattr(lateness, "clock", lambda: certified + dt.timedelta(days=20))
    (insurance,) = client.get("/v1/quality/overview", headers=hrss).json()
    assert insurance["resource"] == "hrss_insurance" and insurance["open_conflicts"] == 1
    assert insurance["update_cycle"] == "monthly" and not insurance["late"]
    assert insurance["batches"] == 2
    monkeypatch.setattr(lateness, "clock", lambda: certified + dt.timedelta(days=34))
    (insurance,) = client.get("/v1/quality/overview", headers=hrss).json()
    assert insurance["late"] and insurance["freshness"] == "late"
    assert dt.datetime.fromisoformat(insurance["due_by"]) == certified + dt.timedelta(days=33)

    admin = {
        r["resource"]: r
        for r in client.get("/v1/quality/overview", headers=bearer(sample, "centre_admin")).json()
    }
    assert admin["ps_population"]["late"]  # daily, 34 days on
    assert admin["mr_enterprise"]["last_certified_at"] is None
    assert not admin["mr_enterprise"]["late"]  # never delivered: nothing to be late against
    assert (
        client.get(
            "/v1/quality/overview", headers=bearer(sample, "demo.x", "clerk", "mr")
        ).status_code
        == 403
    )


def console_of(client: TestClient, sample: Directory, user: str) -> tuple[TestClient, str]:
    """A browser signed in to the console as `user`, and its form token."""
    browser = TestClient(client.app, follow_redirects=False)
    token = bearer(sample, user)["Authorization"].removeprefix("Bearer ")
    assert browser.post("/console/sign-in", data={"token": token}).status_code == 303
    return browser, form_token(browser.cookies[SESSION_COOKIE])


def test_the_console_pages_settle_a_conflict_and_show_late_deliveries(
    sample: Directory, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser, csrf = console_of(client, sample, "hrss_steward")
    queue = browser.get("/console/conflicts")
    assert queue.status_code == 200 and "张玮" in queue.text and "hrss-b2" in queue.text
    conflict_id = client.get(QUEUE, headers=bearer(sample, "hrss_steward")).json()[0]["id"]
    done = browser.post(
        f"/console/conflicts/{conflict_id}/resolve",
        data={"csrf": csrf, "outcome": "corrected_at_source", "note": "已按户籍姓名更正"},
    )
    assert done.status_code == 303 and done.headers["location"].endswith("done=settled")
    assert "已按户籍姓名更正" in browser.get("/console/conflicts").text

    assert 'id="late-deliveries"' not in browser.get("/console/catalogue").text
    monkeypatch.setattr(lateness, "clock", lambda: dt.datetime.now(dt.UTC) + dt.timedelta(days=400))
    home = browser.get("/console/catalogue").text
    assert 'id="late-deliveries"' in home and "hrss_insurance" in home
    overview = browser.get("/console/quality").text
    assert 'class="late"' in overview and "迟报" in overview
    ps_browser, _ = console_of(client, sample, "ps_steward")
    assert ps_browser.get("/console/conflicts").status_code == 200
    admin, _ = console_of(client, sample, "centre_admin")
    assert admin.get("/console/quality").status_code == 200
    assert admin.get("/console/conflicts").status_code == 403


def test_the_console_refuses_surplus_items_at_submission(
    sample: Directory, client: TestClient
) -> None:
    browser, csrf = console_of(client, sample, "ps_steward")
    asked = {
        "csrf": csrf,
        "resource_code": seeded(sample, "nr_real_estate"),
        "service_item_code": "4101000009",
        "items": "owner_key，area",
        "purpose": "核验迁入地住房",
        "legal_basis": "《户口登记条例》",
    }
    before = len(sample.requests.list())
    refused = browser.post("/console/share-requests/new", data=asked)
    assert refused.status_code == 422
    assert 'id="items-error"' in refused.text and "does not need area" in refused.text
    assert 'value="owner_key，area"' in refused.text  # what was typed is kept
    assert len(sample.requests.list()) == before
