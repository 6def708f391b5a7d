"""Stewards' quality routes: the quarantine summary and the file sent back to the department."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from contracts.registry import bundled_contracts
from contracts.returns import RULES_HEADER
from tests.api.conftest import Exchange


@pytest.fixture(scope="module")
def client(exchange: Exchange) -> Iterator[TestClient]:
    with TestClient(create_app(directory=exchange.directory)) as started:
        yield started


def test_the_summary_counts_every_open_row_by_rule(exchange: Exchange, client: TestClient) -> None:
    ps = exchange.token("quality.ps", "steward", "ps")
    summary = client.get("/v1/quality/ps_population/quarantine/summary", headers=ps).json()
    rows = client.get(
        "/v1/quality/ps_population/quarantine", params={"limit": 1000}, headers=ps
    ).json()
    assert summary["open_rows"] == len(rows) > 0
    assert summary["by_rule"] == dict(Counter(r for row in rows for r in row["rule_ids"]))
    counts = list(summary["by_rule"].values())
    assert counts == sorted(counts, reverse=True)
    mr = exchange.token("quality.mr", "steward", "mr")
    refused = client.get("/v1/quality/ps_population/quarantine/summary", headers=mr)
    assert refused.status_code == 403 and refused.json()["code"] == "not_your_department"


def test_the_export_is_the_departments_own_format(exchange: Exchange, client: TestClient) -> None:
    ps = exchange.token("quality.ps", "steward", "ps")
    contract = bundled_contracts()["ps_population"]
    answer = client.get("/v1/quality/ps_population/quarantine/export", headers=ps)
    assert answer.status_code == 200
    assert "attachment" in answer.headers["content-disposition"]
    encoding = answer.headers["content-type"].split("charset=")[1]
    assert encoding == ("gbk" if contract.source.encoding in ("gbk", "gb18030") else "utf-8")
    table = list(csv.reader(io.StringIO(answer.content.decode(encoding))))
    header, body = table[0], table[1:]
    assert RULES_HEADER in header and header[0] == (contract.columns[0].aliases or ["id"])[0]
    summary = client.get("/v1/quality/ps_population/quarantine/summary", headers=ps).json()
    assert len(body) == summary["open_rows"]


def test_an_empty_quarantine_has_nothing_to_export(exchange: Exchange, client: TestClient) -> None:
    admin = exchange.token("quality.admin", "admin", "gsc")
    clean = [
        resource
        for resource in bundled_contracts()
        if client.get(f"/v1/quality/{resource}/quarantine/summary", headers=admin).json()[
            "open_rows"
        ]
        == 0
    ]
    assert clean, "the sample has a resource without quarantined rows"
    answer = client.get(f"/v1/quality/{clean[0]}/quarantine/export", headers=admin)
    assert answer.status_code == 404 and answer.json()["code"] == "nothing_quarantined"
