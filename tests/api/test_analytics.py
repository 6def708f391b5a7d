"""The analysts' API: authentication, statistics, warnings, forecasts, charts, the workbench."""

from __future__ import annotations

import datetime as dt
import io
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from directory.actors import Role
from directory.store import Directory, open_directory
from directory.workdays import local_today
from snapshot.analytics.charts import _cjk_fonts
from tests.directory.fixtures import bearer
from tests.pipelines.analytics.support import AS_OF, install_serving

ANALYTICS = "/v1/analytics"


@pytest.fixture
def directory(onceonly_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Directory]:
    install_serving(tmp_path_factory.getbasetemp(), onceonly_home)
    opened = open_directory()
    yield opened
    opened.close()


@pytest.fixture
def client(directory: Directory) -> Iterator[TestClient]:
    with TestClient(create_app()) as started:
        yield started


@pytest.fixture
def analyst(directory: Directory) -> dict[str, str]:
    return bearer(directory, "ana", Role.analyst, "gsc")


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] and body["message"]
    return body


def test_every_analytics_call_needs_an_analyst(client: TestClient, directory: Directory) -> None:
    for path in ("/summary", "/statistics", "/warnings", "/forecasts", "/views"):
        assert error(client.get(ANALYTICS + path), 401)["code"] == "token_missing"
    assert error(client.post(f"{ANALYTICS}/query", json={"sql": "SELECT 1"}), 401)
    clerk = bearer(directory, "clerk1", Role.clerk, "hrss")
    forbidden = error(client.get(f"{ANALYTICS}/summary", headers=clerk), 403)
    assert forbidden["code"] == "role_forbidden" and "analyst" in forbidden["message"]
    admin = bearer(directory, "boss", Role.admin, "gsc")
    assert ok(client.get(f"{ANALYTICS}/views", headers=admin))


def test_summary_and_statistics(client: TestClient, analyst: dict[str, str]) -> None:
    summary = ok(client.get(f"{ANALYTICS}/summary", headers=analyst))
    totals = summary["totals"]
    assert totals["grain"] == "all" and totals["received"] > 5000
    assert totals["received"] == totals["on_the_spot"] + totals["promised"]
    assert set(summary["open_cases"]) == {"green", "yellow", "red"}
    months = ok(
        client.get(
            f"{ANALYTICS}/statistics",
            params={"grain": "month", "dimension": "service_item", "key": "4101000008"},
            headers=analyst,
        )
    )
    assert months["total"] == len(months["rows"]) >= 17
    assert {r["name"] for r in months["rows"]} == {"居民身份证换领"}
    assert all(0 <= r["completion_rate"] <= 1 for r in months["rows"])
    bad = error(client.get(f"{ANALYTICS}/statistics?grain=year", headers=analyst), 422)
    assert bad["problems"][0]["field"] == "grain"


def test_warnings_recolour_for_the_day_asked(client: TestClient, analyst: dict[str, str]) -> None:
    monday = ok(client.get(f"{ANALYTICS}/warnings", params={"as_of": AS_OF}, headers=analyst))
    assert monday["as_of"] == str(AS_OF) and sum(monday["counts"].values()) == monday["total"]
    colours = [c["colour"] for c in monday["cases"]]
    assert colours == sorted(colours, key=["red", "yellow", "green"].index)  # reds first
    later = ok(client.get(f"{ANALYTICS}/warnings", params={"as_of": "2027-06-01"}, headers=analyst))
    assert later["counts"]["red"] == later["total"]  # half a year on, every open case is late
    assert all(c["provisional"] for c in later["cases"])  # judged past the known calendar
    reds = ok(
        client.get(
            f"{ANALYTICS}/warnings",
            params={"as_of": AS_OF, "colour": "red", "department": "公安局"},
            headers=analyst,
        )
    )
    assert all(c["colour"] == "red" and c["department"] == "公安局" for c in reds["cases"])


def test_forecasts_with_intervals_model_and_backtest(
    client: TestClient, analyst: dict[str, str]
) -> None:
    listed = ok(client.get(f"{ANALYTICS}/forecasts", params={"kind": "item"}, headers=analyst))
    assert len(listed) == 4 and all(s["series_kind"] == "item" for s in listed)
    one = ok(client.get(f"{ANALYTICS}/forecasts/item/4101000008", headers=analyst))
    choice = one["choice"]
    assert choice["model"] and choice["mase"] <= choice["baseline_mase"]
    assert len(one["points"]) == 28
    closed = [p for p in one["points"] if p["closed"]]
    assert closed and all(p["forecast"] == 0 == p["hi_95"] for p in closed)
    assert all(
        p["lo_95"] <= p["lo_80"] <= p["forecast"] <= p["hi_80"] <= p["hi_95"] for p in one["points"]
    )
    assert {s["model"] for s in one["backtest"]} >= {"SeasonalNaive", "CalendarARIMA"}
    today = local_today()
    assert [p["past"] for p in one["points"]] == [
        dt.date.fromisoformat(p["period_start"]) < today for p in one["points"]
    ]
    weekly = ok(
        client.get(
            f"{ANALYTICS}/forecasts/window/综合窗口4",
            params={"frequency": "weekly"},
            headers=analyst,
        )
    )
    assert len(weekly["points"]) == 4 and weekly["frequency"] == "weekly"
    missing = error(client.get(f"{ANALYTICS}/forecasts/item/0000", headers=analyst), 404)
    assert missing["code"] == "series_not_found"


def test_charts_as_png_and_svg(client: TestClient, analyst: dict[str, str]) -> None:
    png = client.get(f"{ANALYTICS}/forecasts/item/4101000008/chart", headers=analyst)
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG") and len(png.content) > 20_000
    svg = client.get(
        f"{ANALYTICS}/forecasts/window/综合窗口4/chart",
        params={"format": "svg", "frequency": "weekly"},
        headers=analyst,
    )
    assert svg.headers["content-type"].startswith("image/svg+xml") and b"<svg" in svg.content
    chinese = client.get(
        f"{ANALYTICS}/forecasts/item/4101000008/chart",
        params={"format": "svg", "lang": "zh"},
        headers=analyst,
    )
    assert chinese.status_code == 200 and b"<svg" in chinese.content
    if _cjk_fonts():
        assert "每日件数".encode() in chinese.content


def test_query_as_json_csv_and_arrow(client: TestClient, analyst: dict[str, str]) -> None:
    sql = (
        "SELECT service_item_code, count(*) AS cases FROM cases GROUP BY ALL "
        "ORDER BY cases DESC, service_item_code"
    )
    body = ok(
        client.post(
            f"{ANALYTICS}/query",
            params={"dialect": "postgres"},
            json={"sql": sql},
            headers=analyst,
        )
    )
    assert [c["name"] for c in body["columns"]] == ["service_item_code", "cases"]
    assert body["row_count"] == 4 and not body["truncated"]
    assert body["transpiled"].startswith("SELECT") and body["dialect"] == "postgres"
    csv = client.post(
        f"{ANALYTICS}/query",
        params={"format": "csv"},
        json={"sql": sql, "limit": 2},
        headers=analyst,
    )
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.headers["x-truncated"] == "true" and csv.headers["x-row-count"] == "2"
    table = pacsv.read_csv(io.BytesIO(csv.content))
    assert table.num_rows == 2 and table.column_names == ["service_item_code", "cases"]
    arrow = client.post(
        f"{ANALYTICS}/query",
        params={"format": "arrow", "dialect": "mysql"},
        json={"sql": "SELECT * FROM forecasts"},
        headers=analyst,
    )
    assert arrow.headers["content-type"] == "application/vnd.apache.arrow.stream"
    read = pa.ipc.open_stream(arrow.content).read_all()
    assert read.num_rows == int(arrow.headers["x-row-count"]) > 100
    assert "forecasts" in urllib.parse.unquote(arrow.headers["x-transpiled-sql"])


def test_refused_and_failed_queries_say_why(client: TestClient, analyst: dict[str, str]) -> None:
    refused = error(
        client.post(
            f"{ANALYTICS}/query",
            json={"sql": "SELECT * FROM read_csv('/etc/passwd')"},
            headers=analyst,
        ),
        400,
    )
    assert refused["code"] == "table_function" and "views" in refused["message"]
    pragma = error(
        client.post(f"{ANALYTICS}/query", json={"sql": "PRAGMA version"}, headers=analyst), 400
    )
    assert pragma["code"] == "not_a_select"
    failed = error(
        client.post(f"{ANALYTICS}/query", json={"sql": "SELECT 1 / 'x'"}, headers=analyst),
        422,
    )
    assert failed["code"] == "query_error"
    views = ok(client.get(f"{ANALYTICS}/views", headers=analyst))
    assert {v["name"] for v in views} >= {"cases", "case_statistics", "forecasts"}
    assert "applicant_pseudonym" in next(v for v in views if v["name"] == "cases")["columns"]


def test_queries_in_another_dialect_and_plain_error_text(
    client: TestClient, analyst: dict[str, str]
) -> None:
    tsql = ok(
        client.post(
            f"{ANALYTICS}/query",
            params={"read": "tsql", "dialect": "mysql"},
            json={"sql": "SELECT TOP 2 [colour] FROM case_warnings ORDER BY [colour]"},
            headers=analyst,
        )
    )
    assert tsql["row_count"] == 2 and "LIMIT 2" in tsql["sql"] and "`colour`" in tsql["transpiled"]
    broken = error(
        client.post(f"{ANALYTICS}/query", json={"sql": "SELECT * FROM WHERE"}, headers=analyst),
        400,
    )
    assert broken["code"] == "parse_error" and "\x1b" not in broken["message"]
    unknown = error(
        client.post(
            f"{ANALYTICS}/query",
            params={"read": "cobol"},
            json={"sql": "SELECT 1"},
            headers=analyst,
        ),
        400,
    )
    assert unknown["code"] == "unknown_dialect"


def test_before_any_build_the_api_says_what_to_run(
    client: TestClient, analyst: dict[str, str], onceonly_home: Path
) -> None:
    (onceonly_home / "serving" / "analytics.duckdb").unlink()
    missing = error(client.get(f"{ANALYTICS}/summary", headers=analyst), 503)
    assert (
        missing["code"] == "analytics_missing" and "onceonly analytics build" in missing["message"]
    )


def test_openapi_documents_the_analytics() -> None:
    spec = create_app().openapi()
    paths = [p for p in spec["paths"] if p.startswith(ANALYTICS)]
    assert (
        f"{ANALYTICS}/query" in paths and f"{ANALYTICS}/forecasts/{{kind}}/{{key}}/chart" in paths
    )
    body = spec["paths"][f"{ANALYTICS}/query"]["post"]["requestBody"]["content"]
    assert body["application/json"]["examples"]
