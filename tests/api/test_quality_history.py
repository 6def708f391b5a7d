"""Quality over time over real HTTP: per resource, every batch with its score and how fresh
the data was when it arrived, for the steward's own department only."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from api.main import create_app
from contracts.registry import bundled_contracts
from tests.api.conftest import Exchange
from tests.live_server import ANSWER_SECONDS, serving_in_thread


@pytest.fixture(scope="module")
def http(exchange: Exchange) -> Iterator[httpx.Client]:
    with (
        serving_in_thread(create_app(directory=exchange.directory)) as url,
        httpx.Client(base_url=url, timeout=ANSWER_SECONDS) as client,
    ):
        yield client


def test_each_batch_with_its_score_and_freshness(exchange: Exchange, http: httpx.Client) -> None:
    ps = exchange.token("history.ps", "steward", "ps")
    answer = http.get("/v1/quality/history", headers=ps)
    assert answer.status_code == 200, answer.text
    resources = answer.json()
    ours = sorted(c.id for c in bundled_contracts().values() if c.department == "ps")
    assert sorted(r["resource"] for r in resources) == ours
    for resource in resources:
        batches = http.get(f"/v1/quality/{resource['resource']}/batches", headers=ps).json()
        points = resource["batches"]
        assert [p["batch"] for p in points] == [b["batch"] for b in reversed(batches)]
        for point, batch in zip(points, reversed(batches), strict=True):
            scores = batch["scores"]
            expected = sum(scores.values()) / len(scores) if scores else None
            assert point["score"] == pytest.approx(expected)
            assert point["rows_certified"] == batch["rows_certified"]
        if points:
            assert (points[0]["age_hours"], points[0]["freshness"]) == (None, "unknown")
    population = next(r for r in resources if r["resource"] == "ps_population")
    assert population["code"] == "301001/000001" and population["batches"]


def test_one_resource_and_other_departments(exchange: Exchange, http: httpx.Client) -> None:
    ps = exchange.token("history.ps", "steward", "ps")
    one = http.get("/v1/quality/history", params={"resource": "ps_population"}, headers=ps)
    assert [r["resource"] for r in one.json()] == ["ps_population"]
    mr = exchange.token("history.mr", "steward", "mr")
    other = http.get("/v1/quality/history", params={"resource": "ps_population"}, headers=mr)
    assert other.status_code == 403 and other.json()["code"] == "not_your_department"
    unknown = http.get("/v1/quality/history", params={"resource": "nope"}, headers=mr)
    assert unknown.status_code == 404
    clerk = exchange.token("history.clerk", "clerk", "mr")
    assert http.get("/v1/quality/history", headers=clerk).status_code == 403
    assert http.get("/v1/quality/history").status_code == 401
    refused = [
        e
        for e in exchange.directory.audit.entries(limit=None)
        if e.action == "api.request" and "/v1/quality/history" in e.reason
    ]
    assert {e.user for e in refused} >= {"history.mr", "history.clerk", "anonymous"}
