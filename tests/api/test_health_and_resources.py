"""The API over HTTP (TestClient), against a pool landed by the real pipeline."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from api.main import create_app
from pipelines.definitions import build_definitions
from pipelines.instance import get_instance
from pipelines.landing.runner import land_pending
from tests.pipelines.landing import feeds


def test_health_without_a_pool(onceonly_home: Path) -> None:
    client = TestClient(create_app())
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["pool_present"] is False
    missing = client.get("/v1/resources")
    assert missing.status_code == 503
    assert missing.json()["detail"]["code"] == "pool_missing"


def test_resources_list_what_landed(onceonly_home: Path) -> None:
    feeds.write_csv(
        onceonly_home / "landing" / "ps" / "ps_population" / "人口基本信息_20261120.csv",
        feeds.POPULATION_HEADER,
        feeds.population_rows(),
        "gbk",
    )
    land_pending(build_definitions(), get_instance())
    client = TestClient(create_app())
    resources = {r["id"]: r for r in client.get("/v1/resources").json()}
    assert resources["ps_population"]["rows_landed"] == 5
    assert resources["ps_population"]["rows_with_key_problems"] == 1
    assert resources["ps_population"]["department_name"] == "公安局"
    assert resources["mr_enterprise"]["files_landed"] == 0


def test_openapi_describes_every_route() -> None:
    spec = TestClient(create_app()).get("/openapi.json").json()
    assert {"/health", "/v1/resources"} <= set(spec["paths"])
