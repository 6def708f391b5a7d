"""Health, readiness and the resource figures over HTTP, against a real published snapshot."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from api.main import create_app
from directory.store import open_directory
from pipelines.definitions import build_definitions
from pipelines.instance import get_instance
from pipelines.landing.runner import land_pending, publish_snapshot
from tests.pipelines.landing import feeds


def analyst_headers() -> dict[str, str]:
    directory = open_directory()  # as `onceonly token create` would, beside the API's
    try:
        directory.identity.create_user("analyst_a", "analyst", "gsc")
        return {"Authorization": f"Bearer {directory.identity.issue_token('analyst_a').token}"}
    finally:
        directory.close()


def test_health_and_readiness_without_a_snapshot(onceonly_home: Path) -> None:
    with TestClient(create_app()) as client:
        assert client.get("/health").json()["status"] == "ok"
        ready = client.get("/ready")
        assert ready.status_code == 503 and ready.json()["ready"] is False
        missing = client.get("/v1/resources", headers=analyst_headers())
        assert missing.status_code == 503
        assert "onceonly ingest" in missing.text


def test_resources_need_a_token(onceonly_home: Path) -> None:
    with TestClient(create_app()) as client:
        assert client.get("/v1/resources").status_code == 401


def test_resources_list_what_was_certified(onceonly_home: Path) -> None:
    feeds.write_csv(
        onceonly_home / "landing" / "ps" / "ps_population" / "人口基本信息_20261120.csv",
        feeds.POPULATION_HEADER,
        feeds.population_rows(),
        "gbk",
    )
    defs = build_definitions()
    land_pending(defs, get_instance())
    publish_snapshot(defs, get_instance())
    with TestClient(create_app()) as client:
        ready = client.get("/ready").json()
        assert ready["ready"] is True and ready["snapshot_version"] == 1
        resources = {
            r["id"]: r for r in client.get("/v1/resources", headers=analyst_headers()).json()
        }
    people = resources["ps_population"]
    # The 15-digit number is the same person as the first row; two rows disagree with the
    # gender their ID number encodes, one has a bad check character.
    figures = ("rows_landed", "rows_certified", "rows_quarantined", "rows_duplicate")
    assert tuple(people[f] for f in figures) == (5, 1, 3, 1)
    assert people["department_name"] == "公安局"
    assert resources["mr_enterprise"]["batches"] == 0


def test_openapi_describes_every_route() -> None:
    spec = TestClient(create_app()).get("/openapi.json").json()
    assert {"/health", "/ready", "/v1/resources"} <= set(spec["paths"])
