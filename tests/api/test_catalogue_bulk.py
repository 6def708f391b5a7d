"""The catalogue's filters, its sheet export and the import with a dry run, and the lifecycle,
over real HTTP against a served app on the sample directory."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from python_calamine import CalamineWorkbook

from api.main import create_app
from directory.actors import Role
from directory.grading import data_grade
from directory.store import Directory
from tests.directory.fixtures import bearer, open_sample
from tests.live_server import ANSWER_SECONDS, serving_in_thread

FIRMS = "302001/000001"  # 企业登记信息 (mr), published in the sample
ENTRIES = "/v1/directory/entries"


@pytest.fixture
def sample(onceonly_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Directory]:
    opened = open_sample(tmp_path_factory.getbasetemp(), onceonly_home)
    yield opened
    opened.close()


@pytest.fixture
def http(sample: Directory) -> Iterator[httpx.Client]:
    with (
        serving_in_thread(create_app()) as url,
        httpx.Client(base_url=url, timeout=ANSWER_SECONDS) as client,
    ):
        yield client


def expected(sample: Directory, **wanted: Any) -> list[str]:
    """The codes whose documents satisfy every filter, worked out from the documents."""
    found = []
    for view in sample.entries.all():
        d = view.document
        facts = {
            "department": d.provider_department,
            "sharing_type": d.sharing_type.value,
            "status": d.status.value,
            "update_cycle": d.update_cycle.value,
            "open_to_public": d.open_to_public,
            "data_grade": data_grade(i.classification for i in d.data_items).value,
        }
        if all(facts[k] == v for k, v in wanted.items()):
            found.append(d.code)
    return sorted(found)


def listed(http: httpx.Client, headers: dict[str, str], **params: Any) -> list[str]:
    answer = http.get(ENTRIES, params={**params, "limit": 200}, headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["total"] == len(body["hits"])
    return sorted(h["code"] for h in body["hits"])


def sheet_rows(answer: httpx.Response, fmt: str) -> list[list[str]]:
    if fmt == "csv":
        return list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"), newline="")))
    book = CalamineWorkbook.from_filelike(io.BytesIO(answer.content))
    return [[str(v) for v in row] for row in book.get_sheet_by_index(0).to_python()]


def test_filters_combine_and_match_the_documents(http: httpx.Client, sample: Directory) -> None:
    headers = bearer(sample, "clerk1", Role.clerk, "hrss")
    combinations: list[dict[str, Any]] = [
        {"department": "mr"},
        {"sharing_type": "conditional"},
        {"status": "published", "sharing_type": "unconditional"},
        {"update_cycle": "daily"},
        {"open_to_public": False, "status": "draft"},
        {"data_grade": "sensitive"},
        {"data_grade": "personal", "update_cycle": "monthly"},
    ]
    for wanted in combinations:
        params = {k: str(v).lower() if isinstance(v, bool) else v for k, v in wanted.items()}
        assert listed(http, headers, **params) == expected(sample, **wanted), wanted
    assert listed(http, headers, data_grade="sensitive"), "the sample has sensitive entries"
    hit = http.get(ENTRIES, params={"q": "企业登记"}, headers=headers).json()["hits"][0]
    assert {"update_cycle", "open_to_public", "data_grade"} <= hit.keys()
    refused = http.get(ENTRIES, params={"data_grade": "secret"}, headers=headers)
    assert refused.status_code == 422 and refused.json()["code"] == "invalid_request"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_filtered_export_round_trips_through_the_dry_run(
    http: httpx.Client, sample: Directory, fmt: str
) -> None:
    steward = bearer(sample, "mr_steward")
    wanted = {"status": "published", "sharing_type": "conditional"}
    exported = http.get(f"/v1/directory/export.{fmt}", params=wanted, headers=steward)
    assert exported.status_code == 200, exported.text
    assert "attachment" in exported.headers["content-disposition"]
    rows = sheet_rows(exported, fmt)
    codes = sorted({r[0] for r in rows[1:]})
    assert codes == expected(sample, **wanted)
    assert 2 <= len(codes) < len(sample.entries.all())
    assert int(exported.headers["x-entry-count"]) == len(codes)

    dry = http.post(
        "/v1/directory/import",
        files={"file": (f"catalogue.{fmt}", exported.content)},
        data={"reason": "往返检查"},
        headers=steward,
    )
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert report == {
        "dry_run": True,
        "applied": False,
        "changes": [],
        "unchanged": len(codes),
        "errors": [],
    }


def test_import_dry_run_then_confirm_and_refusals(http: httpx.Client, sample: Directory) -> None:
    steward = bearer(sample, "mr_steward")
    rows = sheet_rows(http.get("/v1/directory/export.csv", headers=steward), "csv")
    header = rows[0]
    for row in rows[1:]:
        if row[0] == FIRMS:
            row[header.index("更新周期")] = "每周"
    edited = io.StringIO(newline="")
    csv.writer(edited).writerows(rows)
    upload = {"file": ("edited.csv", edited.getvalue().encode("utf-8-sig"))}

    dry = http.post(
        "/v1/directory/import", files=upload, data={"reason": "改周期"}, headers=steward
    )
    report = dry.json()
    assert [(c["code"], c["action"]) for c in report["changes"]] == [(FIRMS, "update")]
    assert report["changes"][0]["changes"] == [
        {"field": "update_cycle", "before": "daily", "after": "weekly"}
    ]
    assert not report["applied"] and sample.entries.get(FIRMS).version == 2

    done = http.post(
        "/v1/directory/import",
        params={"dry_run": "false"},
        files=upload,
        data={"reason": "改周期"},
        headers=steward,
    )
    assert done.status_code == 200 and done.json()["applied"] is True
    assert sample.entries.get(FIRMS).document.update_cycle.value == "weekly"
    assert sample.entries.history(FIRMS)[0].kind.value == "imported"

    clerk = bearer(sample, "clerk1", Role.clerk, "mr")
    forbidden = http.post("/v1/directory/import", files=upload, headers=clerk)
    assert forbidden.status_code == 403

    for row in rows[1:]:
        if row[0] == FIRMS:
            row[header.index("状态")] = "草稿"
    back = io.StringIO(newline="")
    csv.writer(back).writerows(rows)
    refused = http.post(
        "/v1/directory/import",
        params={"dry_run": "false"},
        files={"file": ("back.csv", back.getvalue().encode("utf-8-sig"))},
        data={"reason": "退回"},
        headers=steward,
    )
    assert refused.status_code == 422, refused.text
    problems = refused.json()["problems"]
    assert any(
        p["field"].endswith("状态") and "published entry cannot become draft" in p["message"]
        for p in problems
    )
    assert sample.entries.get(FIRMS).version == 3


def test_lifecycle_over_http_names_the_allowed_next_states(
    http: httpx.Client, sample: Directory
) -> None:
    steward = bearer(sample, "mr_steward")
    shown = http.get(f"{ENTRIES}/{FIRMS}", headers=steward).json()
    assert shown["allowed_statuses"] == ["deprecated", "withdrawn"]
    for target in ("draft", "in_review"):
        refused = http.patch(
            f"{ENTRIES}/{FIRMS}",
            json={"expected_version": 2, "reason": "退回", "changes": {"status": target}},
            headers=steward,
        )
        assert refused.status_code == 422
        body = refused.json()
        assert body["code"] == "invalid_transition"
        assert body["problems"][0]["field"] == "status"
        assert "allowed next states: deprecated, withdrawn" in body["message"]
    logged = [e for e in sample.audit.entries(limit=None) if e.action == "api.request"]
    assert sum("invalid_transition" in e.reason for e in logged) == 2
    withdrawn = http.patch(
        f"{ENTRIES}/{FIRMS}",
        json={"expected_version": 2, "reason": "停止提供", "changes": {"status": "withdrawn"}},
        headers=steward,
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["allowed_statuses"] == []
