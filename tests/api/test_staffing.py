"""The staffing plan, its backtest and the analysts' Excel exports, over real HTTP.

A live server reads the analytical database built from the synthetic centre's cases
(`tests.pipelines.analytics.support`); workbooks are opened with python-calamine, as an
analyst's Excel would read them, and their rows compared with the JSON answer's.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from python_calamine import CalamineWorkbook

from api.main import create_app
from directory.actors import Role
from directory.store import Directory, open_directory
from snapshot.analytics.staffing import Queue, service_level
from tests.directory.fixtures import bearer
from tests.live_server import ANSWER_SECONDS, serving_in_thread
from tests.pipelines.analytics.support import AS_OF, install_serving

STAFFING = "/v1/analytics/staffing"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HALF_DAY_MINUTES = {"morning": 180.0, "afternoon": 210.0}  # 09:00-12:00, 13:30-17:00


@pytest.fixture
def directory(onceonly_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Directory]:
    install_serving(tmp_path_factory.getbasetemp(), onceonly_home)
    opened = open_directory()
    yield opened
    opened.close()


@pytest.fixture
def api(directory: Directory) -> Iterator[httpx.Client]:
    with (
        serving_in_thread(create_app(directory=directory)) as url,
        httpx.Client(base_url=url, timeout=ANSWER_SECONDS) as client,
    ):
        yield client


@pytest.fixture
def analyst(directory: Directory) -> dict[str, str]:
    return bearer(directory, "ana", Role.analyst, "gsc")


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def sheet(response: httpx.Response) -> list[list[Any]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    assert response.headers["content-disposition"].startswith("attachment;")
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    rows: list[list[Any]] = book.get_sheet_by_index(0).to_python()
    return rows


def test_plan_meets_the_level_with_the_fewest_windows(
    api: httpx.Client, analyst: dict[str, str]
) -> None:
    plan = ok(api.get(STAFFING, params={"department": "公安局"}, headers=analyst))
    assert plan["target"]["level"] == 0.8 and plan["target"]["within_minutes"] == 15
    assert plan["departments"] == ["公安局", "市场监督管理局"]
    days = plan["days"]
    assert len(days) == 28 and {d["department"] for d in days} == {"公安局"}
    open_days = [d for d in days if not d["closed"]]
    assert open_days and all(d["windows"] == 0 for d in days if d["closed"])
    for d in open_days:
        for half in ("morning", "afternoon"):
            part = d[half]
            queue = Queue(part["arrivals"], HALF_DAY_MINUTES[half], d["handling_minutes"])
            if part["arrivals"] == 0:
                assert part["windows"] == 0
                continue
            assert service_level(part["windows"], queue, 15 * 60) >= 0.8
            assert service_level(part["windows"] - 1, queue, 15 * 60) < 0.8  # the fewest
        assert d["windows"] == max(d["morning"]["windows"], d["afternoon"]["windows"]) > 0
    peaks = [d for d in open_days if d["peak"]]
    assert peaks and all(d["basis"] == "hi_80" and d["arrivals"] > d["forecast"] for d in peaks)
    assert all(d["arrivals"] == d["forecast"] for d in open_days if not d["peak"])

    week = ok(api.get(STAFFING, params={"week": str(AS_OF)}, headers=analyst))
    assert {d["week_start"] for d in week["days"]} == {str(AS_OF)}  # AS_OF is a Monday
    assert len(week["days"]) == 7 * len(week["departments"])
    strict = ok(
        api.get(
            STAFFING,
            params={"week": str(AS_OF), "level": 0.95, "within_minutes": 5},
            headers=analyst,
        )
    )
    pairs = zip(week["days"], strict["days"], strict=True)
    assert all(a["windows"] <= b["windows"] for a, b in pairs)
    assert sum(d["windows"] for d in strict["days"]) > sum(d["windows"] for d in week["days"])
    bad = api.get(STAFFING, params={"level": 1.5}, headers=analyst)
    assert bad.status_code == 422 and bad.json()["problems"][0]["field"] == "level"


def test_backtest_replays_the_held_out_days(api: httpx.Client, analyst: dict[str, str]) -> None:
    result = ok(api.get(f"{STAFFING}/backtest", headers=analyst))
    replayed = result["replayed"]
    assert result["days"] == len(replayed) > 0 and result["fitted_through"]
    assert result["met"] == sum(d["met"] for d in replayed)
    assert result["share_met"] == pytest.approx(result["met"] / result["days"])
    assert all(d["day"] > result["fitted_through"] for d in replayed)
    assert all(d["met"] == (d["share"] >= 0.8) for d in replayed)
    # the replayed applicants are the cases the department received that day
    counts = ok(
        api.post(
            "/v1/analytics/query",
            json={
                "sql": "SELECT department, CAST(received_date AS VARCHAR) AS day, count(*) AS n "
                f"FROM cases WHERE received_date > DATE '{result['fitted_through']}' GROUP BY ALL"
            },
            headers=analyst,
        )
    )
    actual = {(department, day): n for department, day, n in counts["rows"]}
    assert {(d["department"], d["day"]): d["applicants"] for d in replayed} == {
        key: actual.get(key, 0) for key in ((d["department"], d["day"]) for d in replayed)
    }
    # more windows call more applicants in time: a looser target is met at least as often
    loose = ok(api.get(f"{STAFFING}/backtest", params={"within_minutes": 60}, headers=analyst))
    assert loose["met"] >= result["met"]


def test_only_analysts_plan_and_refusals_are_logged(
    api: httpx.Client, directory: Directory
) -> None:
    assert api.get(STAFFING).status_code == 401
    clerk = bearer(directory, "clerk1", Role.clerk, "hrss")
    refused = api.get(f"{STAFFING}/backtest", headers=clerk)
    assert refused.status_code == 403 and refused.json()["code"] == "role_forbidden"
    auditor = bearer(directory, "aud", Role.auditor, "gsc")
    entries = ok(
        api.get(
            "/v1/audit/entries", params={"user": "clerk1", "outcome": "refused"}, headers=auditor
        )
    )["entries"]
    assert [e["reason"].split(":")[0] for e in entries] == [f"GET {STAFFING}/backtest"]
    admin = bearer(directory, "boss", Role.admin, "gsc")
    assert ok(api.get(STAFFING, headers=admin))["days"]


def test_exports_are_the_filtered_rows_and_are_logged(
    api: httpx.Client, analyst: dict[str, str], directory: Directory
) -> None:
    filters = {"as_of": str(AS_OF), "department": "公安局", "colour": "green", "limit": 5}
    page = ok(api.get("/v1/analytics/warnings", params=filters, headers=analyst))
    assert len(page["cases"]) == 5 < page["total"]  # one page of JSON
    rows = sheet(
        api.get("/v1/analytics/warnings", params={**filters, "format": "xlsx"}, headers=analyst)
    )
    header, body = rows[0], rows[1:]
    assert len(body) == page["total"]  # the workbook holds every matching case
    colour, department = header.index("colour"), header.index("department")
    assert {(r[colour], r[department]) for r in body} == {("green", "公安局")}
    assert [r[header.index("case_no")] for r in body[:5]] == [c["case_no"] for c in page["cases"]]

    params = {"grain": "month", "dimension": "service_item", "key": "4101000008"}
    months = ok(api.get("/v1/analytics/statistics", params=params, headers=analyst))
    rows = sheet(
        api.get("/v1/analytics/statistics", params={**params, "format": "xlsx"}, headers=analyst)
    )
    assert len(rows) - 1 == months["total"] and rows[0][:3] == [
        "grain",
        "period_start",
        "period_end",
    ]
    received = rows[0].index("received")
    assert [r[received] for r in rows[1:]] == [m["received"] for m in months["rows"]]

    plan = ok(api.get(STAFFING, params={"week": str(AS_OF)}, headers=analyst))
    rows = sheet(api.get(STAFFING, params={"week": str(AS_OF), "format": "xlsx"}, headers=analyst))
    windows = rows[0].index("windows")
    assert [r[windows] for r in rows[1:]] == [d["windows"] for d in plan["days"]]
    backtest = sheet(api.get(f"{STAFFING}/backtest", params={"format": "xlsx"}, headers=analyst))
    assert len(backtest) - 1 == ok(api.get(f"{STAFFING}/backtest", headers=analyst))["days"]

    auditor = bearer(directory, "aud", Role.auditor, "gsc")
    logged = ok(
        api.get("/v1/audit/entries", params={"action": "analytics.export"}, headers=auditor)
    )["entries"]
    reasons = sorted(e["reason"].split(" as xlsx")[0] for e in logged)
    assert reasons == ["case statistics", "case warnings", "staffing backtest", "staffing plan"]
    assert all(e["user"] == "ana" and e["outcome"] == "served" for e in logged)
