"""Bulk prefill over real HTTP: a list of 10,000 applicants uploaded to a live server, its
workbook checked row by row against single prefills, and one audit entry per row.

The list is generated here from the small sample exchange (a few hundred residents) and
keys that are valid but held by no department, with rows that must be refused on their own:
a bad check character, no case number, another department's case, a closed case. Keys are
written as back offices type them (spaces, full-width digits, lower-case x).
"""

from __future__ import annotations

import collections
import datetime as dt
import io
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import duckdb
import httpx
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from api.main import create_app
from contracts.keys import check_subject_key
from contracts.keys.checksums import id_check_char
from pipelines.samples.cases import load_service_items
from tests.api.conftest import CLOSED_CASE, OPEN_CASES_PER_ITEM, Exchange
from tests.live_server import ANSWER_SECONDS, serving_in_thread

SOLE_PROPRIETOR = "4101000004"  # 个体工商户设立登记 (mr): population and real estate
ROWS = 10_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Row:
    key: str  # as written in the file
    case_no: str
    expect: str  # "prefill" (as a single prefill answers), or the refusal code
    normalised: str | None


@pytest.fixture(scope="module")
def live(exchange: Exchange) -> Iterator[str]:
    with serving_in_thread(create_app(directory=exchange.directory)) as url:
        yield url


def _residents(exchange: Exchange) -> list[str]:
    path = exchange.home / "serving" / "current.duckdb"
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            "SELECT DISTINCT id_number FROM ps_population WHERE _valid_to IS NULL "
            "AND length(id_number) = 18 ORDER BY 1"
        ).fetchall()
    return [r[0] for r in rows]


def _unknown(n: int) -> str:
    """A valid ID number no department holds (born in 1901)."""
    body = f"41010219010101{n % 1000:03d}"
    return body + id_check_char(body)


def _typed(key: str, n: int) -> str:
    """The key as a back office might type it."""
    if n % 3 == 0:
        return f"{key[:6]} {key[6:14]} {key[14:]}"
    if n % 3 == 1:
        return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c.lower() for c in key)
    return key.lower()


def applicant_list(exchange: Exchange) -> list[Row]:
    residents = _residents(exchange)
    other = next(i.code for i in load_service_items() if i.department != "mr")
    rows = []
    for n in range(ROWS):
        resident = residents[n % len(residents)]
        case = exchange.case(SOLE_PROPRIETOR, n % OPEN_CASES_PER_ITEM)
        kind = n % 50
        if kind == 0:
            wrong = "0" if resident[-1] != "0" else "1"
            rows.append(Row(resident[:-1] + wrong, case, "subject_bad_check_char", None))
        elif kind == 1:
            rows.append(Row(resident, "", "case_no_missing", resident))
        elif kind == 2:
            rows.append(Row(resident, exchange.case(other), "case_not_yours", resident))
        elif kind == 3:
            closed = exchange.case(SOLE_PROPRIETOR, CLOSED_CASE)
            rows.append(Row(resident, closed, "case_closed", resident))
        elif kind < 10:
            unknown = _unknown(n)
            rows.append(Row(unknown, case, "prefill", unknown))
        else:
            rows.append(Row(_typed(resident, n), case, "prefill", resident))
    return rows


def csv_of(rows: list[Row]) -> bytes:
    lines = ["序号,证件号码,办件编号"] + [f"{n},{r.key},{r.case_no}" for n, r in enumerate(rows)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def finished(client: httpx.Client, job: dict[str, Any]) -> dict[str, Any]:
    """Poll the job's progress until it is done (an upper bound, not a speed test)."""
    deadline = time.monotonic() + 10 * ANSWER_SECONDS
    seen = []
    while True:
        state = client.get(job["progress"]).raise_for_status().json()
        seen.append(state["rows_done"])
        assert 0 <= state["rows_done"] <= state["rows_total"]
        if state["status"] != "running":
            assert seen == sorted(seen), "progress went backwards"
            return state
        assert time.monotonic() < deadline, f"the job is stuck at {state}"
        time.sleep(0.5)


def single_prefill(client: httpx.Client, key: str, case: str) -> dict[str, Any]:
    answer = client.post(
        "/v1/prefill", json={"service_item": SOLE_PROPRIETOR, "subject": key, "case_no": case}
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def outcome_of(answer: dict[str, Any]) -> str:
    """The outcome a single prefill's audit entry records for this answer."""
    served = any(f["provenance"] for f in answer["fields"])
    if not served and answer["refused"]:
        return "refused"
    return "partial" if answer["refused"] else "served"


def test_ten_thousand_applicants_one_workbook_one_audit_entry_each(
    exchange: Exchange, live: str
) -> None:
    rows = applicant_list(exchange)
    clerk = exchange.token("bulk.clerk", "clerk", "mr")
    request_id = uuid.uuid4().hex
    with httpx.Client(base_url=live, headers=clerk, timeout=ANSWER_SECONDS) as client:
        upload = client.post(
            "/v1/prefill/bulk",
            params={"service_item": SOLE_PROPRIETOR},
            content=csv_of(rows),
            headers={"Content-Type": "text/csv", "X-Request-ID": request_id},
        )
        assert upload.status_code == 202, upload.text
        job = upload.json()
        assert (job["rows_total"], job["status"]) == (ROWS, "running")
        state = finished(client, job)
        assert state["status"] == "done", state
        assert state["rows_done"] == ROWS
        book = client.get(state["workbook"])
        assert book.status_code == 200 and book.headers["content-type"] == XLSX
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(book.content)).get_sheet_by_index(0)
    header, *table = sheet.to_python()
    assert len(table) == ROWS
    column = {name: n for n, name in enumerate(header)}

    # The same applicants through the single prefill, by another clerk of the department.
    other = exchange.token("single.clerk", "clerk", "mr")
    singles: dict[str, dict[str, Any]] = {}
    with httpx.Client(base_url=live, headers=other, timeout=ANSWER_SECONDS) as client:
        for row in rows:
            if row.expect == "prefill" and row.normalised not in singles:
                singles[row.normalised or ""] = single_prefill(
                    client, row.key, exchange.case(SOLE_PROPRIETOR)
                )
    fields = [f["field"] for f in next(iter(singles.values()))["fields"]]
    expected_entries: collections.Counter[tuple[str | None, str | None, str]] = (
        collections.Counter()
    )
    hashed = exchange.directory.audit.normal_subject_hash
    for n, (row, cells) in enumerate(zip(rows, table, strict=True)):
        where = f"workbook row {n + 2}"
        assert cells[column["行号 row"]] == str(n + 2), where
        assert cells[column["办件编号 case"]] == row.case_no, where
        outcome = cells[column["结果 outcome"]]
        if row.expect != "prefill":
            assert outcome == "refused", where
            assert cells[column["拒绝代码 refusal"]] == row.expect, where
            assert cells[column["原因 why"]], where
            case = row.case_no if row.expect != "case_no_missing" else None
            subject = hashed(row.normalised) if row.normalised else None
            expected_entries[(subject, case, "refused")] += 1
            continue
        answer = singles[row.normalised or ""]
        assert cells[column["证件号码 key"]] == row.normalised, where
        assert outcome == outcome_of(answer), where
        by_field = {f["field"]: f for f in answer["fields"]}
        for name in fields:
            field = by_field[name]
            value = cells[column[name]]
            source = cells[column[f"{name}·来源 source"]]
            batch = cells[column[f"{name}·批次 batch"]]
            certified = cells[column[f"{name}·认证时间 certified"]]
            provenance = field["provenance"]
            if provenance is None:
                assert (value, source, batch, certified) == ("", "", "", ""), where
                continue
            assert value == ("" if field["value"] is None else str(field["value"])), where
            assert provenance["resource_name"] in source, where
            assert provenance["department_name"] in source, where
            assert batch == provenance["batch"], where
            assert dt.datetime.fromisoformat(certified) == dt.datetime.fromisoformat(
                provenance["certified_at"]
            ), where
        saved = sum(m["no_longer_needed"] for m in answer["materials"])
        assert cells[column["免交材料 materials saved"]] == str(saved), where
        expected_entries[(hashed(row.normalised or ""), row.case_no, outcome)] += 1
    assert {r.expect for r in rows} >= {"prefill", "case_closed", "case_not_yours"}
    assert collections.Counter(c[column["结果 outcome"]] for c in table)["served"] > ROWS // 2

    # Exactly one audit entry per row, under the upload's request id, as the auditor sees it.
    auditor = exchange.token("bulk.auditor", "auditor", "gsc")
    entries: list[dict[str, Any]] = []
    with httpx.Client(base_url=live, headers=auditor, timeout=ANSWER_SECONDS) as client:
        offset: int | None = 0
        while offset is not None:
            page = client.get(
                "/v1/audit/entries",
                params={"user": "bulk.clerk", "action": "prefill", "limit": 1000, "offset": offset},
            ).raise_for_status()
            entries += page.json()["entries"]
            offset = page.json()["next_offset"]
    assert len(entries) == ROWS
    assert {e["request_id"] for e in entries} == {request_id}
    logged = collections.Counter((e["subject_hash"], e["case_no"], e["outcome"]) for e in entries)
    assert logged == expected_entries
    assert all(e["service_item"] == SOLE_PROPRIETOR for e in entries)


def _xlsx(rows: list[list[object]]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    for n, row in enumerate(rows):
        sheet.write_row(n, 0, row)
    book.close()
    return buffer.getvalue()


def test_an_excel_list_with_a_title_row_and_its_own_refusals(exchange: Exchange, live: str) -> None:
    clerk = exchange.token("bulk.clerk", "clerk", "mr")
    case = exchange.case(SOLE_PROPRIETOR, 1)
    rounded = next(  # a key typed as a number, whose last digits Excel's float loses
        int(k)
        for k in map(_unknown, range(1000))
        if check_subject_key(str(int(float(int(k))))).value is None
    )
    workbook = _xlsx(
        [
            ["个体工商户设立登记 申请人名单"],
            ["证件号码", "办件编号"],
            [exchange.person, case],
            ["not-a-key", case],
            [rounded, case],
        ]
    )
    with httpx.Client(base_url=live, headers=clerk, timeout=ANSWER_SECONDS) as client:
        upload = client.post(
            "/v1/prefill/bulk",
            params={"service_item": SOLE_PROPRIETOR},
            content=workbook,
            headers={"Content-Type": XLSX},
        )
        assert upload.status_code == 202, upload.text
        state = finished(client, upload.json())
        assert (state["status"], state["rows_total"], state["refused"]) == ("done", 3, 2)
        book = client.get(state["workbook"]).content
    _, *table = CalamineWorkbook.from_filelike(io.BytesIO(book)).get_sheet_by_index(0).to_python()
    assert [(r[0], r[3]) for r in table] == [("3", "served"), ("4", "refused"), ("5", "refused")]
    assert table[1][-2].startswith("subject_")


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "neither CSV"),
        ("姓名,电话\n张三,123\n".encode(), "header row"),
        ("证件号码,办件编号\n".encode(), "no applicant"),
        (b"PK\x03\x04 not really a workbook", "workbook cannot be opened"),
        ("证件号码,办件编号\n".encode("utf-16"), "neither CSV"),
    ],
)
def test_a_file_that_is_no_list_is_refused_whole_and_audited(
    exchange: Exchange, live: str, body: bytes, says: str
) -> None:
    clerk = exchange.token("bulk.clerk", "clerk", "mr")
    request_id = uuid.uuid4().hex
    answer = httpx.post(
        f"{live}/v1/prefill/bulk",
        params={"service_item": SOLE_PROPRIETOR},
        content=body,
        headers={**clerk, "X-Request-ID": request_id},
        timeout=ANSWER_SECONDS,
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "bulk_file_invalid"
    assert says in answer.json()["message"]
    logged = [
        e for e in exchange.directory.audit.entries(user="bulk.clerk") if e.request_id == request_id
    ]
    assert [e.outcome for e in logged] == ["refused"]


def test_only_clerks_of_the_items_department_upload_and_only_the_owner_sees_the_job(
    exchange: Exchange, live: str
) -> None:
    listing = csv_of([Row(exchange.person, exchange.case(SOLE_PROPRIETOR), "prefill", None)])
    params = {"service_item": SOLE_PROPRIETOR}
    steward = exchange.token("bulk.steward", "steward", "mr")
    refused = httpx.post(f"{live}/v1/prefill/bulk", params=params, content=listing, headers=steward)
    assert (refused.status_code, refused.json()["code"]) == (403, "role_may_not_read")
    outsider = exchange.token("bulk.hrss", "clerk", "hrss")
    refused = httpx.post(
        f"{live}/v1/prefill/bulk", params=params, content=listing, headers=outsider
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "service_item_not_handled")
    clerk = exchange.token("bulk.clerk", "clerk", "mr")
    with httpx.Client(base_url=live, headers=clerk, timeout=ANSWER_SECONDS) as client:
        job = client.post("/v1/prefill/bulk", params=params, content=listing).json()
        finished(client, job)
    colleague = exchange.token("bulk.colleague", "clerk", "mr")
    for path in (job["progress"], job["progress"] + "/workbook"):
        answer = httpx.get(f"{live}{path}", headers=colleague)
        assert (answer.status_code, answer.json()["code"]) == (404, "unknown_job")
    assert httpx.get(f"{live}{job['progress']}", headers=steward).status_code == 403
    assert httpx.get(f"{live}{job['progress']}").status_code == 401
