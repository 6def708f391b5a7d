"""Case records and statistics against values computed by hand on eight cases.

The cases (2026; the centre's working days, National Day included):
  A 承诺件 3d  received Mon 2 Nov, closed Wed 4 Nov   handling 2, due Thu 5 Nov: on time
  B 承诺件 3d  received Mon 2 Nov, closed Mon 9 Nov   handling 5, due Thu 5 Nov: late
  C 即办件     received Tue 3 Nov, closed the same day handling 0, due 3 Nov: on time
  D 承诺件 5d  received Fri 6 Nov, open               due Fri 13 Nov: late as of 23 Nov
  E 承诺件 20d received Mon 16 Nov, open              due Mon 14 Dec: not yet decided
  F 即办件     received Tue 10 Nov, closed that day   (市场监督管理局, item 4101000001)
  H 承诺件 3d  received Wed 30 Sep, closed Fri 9 Oct  due Sat 10 Oct (a worked Saturday),
                                                      handling 2 (8 and 9 Oct): on time
  A' an older version of A, superseded: not counted
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from pipelines.analytics.pseudonym import pseudonymise
from pipelines.analytics.records import case_records, read_current_cases
from pipelines.analytics.statistics import case_statistics
from snapshot.calendar import OfficialCalendar
from tests.pipelines.analytics.support import case, write_snapshot

T = dt.datetime
KEY = b"k" * 32
AS_OF = dt.date(2026, 11, 23)
MR = {"item": "4101000001", "name": "企业设立登记", "department": "市场监督管理局"}
CASES = [
    case("A", T(2026, 11, 2, 10), T(2026, 11, 4, 15), applicant="410102199310113373"),
    case("A", T(2026, 11, 2, 10), None, superseded=True),
    case("B", T(2026, 11, 2, 11), T(2026, 11, 9, 15), applicant="410102199310113373"),
    case("C", T(2026, 11, 3, 9), T(2026, 11, 3, 9, 30), case_type="即办件", promised=0),
    case("D", T(2026, 11, 6, 10), None, promised=5),
    case("E", T(2026, 11, 16, 10), None, promised=20),
    case("F", T(2026, 11, 10, 10), T(2026, 11, 10, 10, 20), case_type="即办件", promised=0, **MR),
    case("H", T(2026, 9, 30, 10), T(2026, 10, 9, 16)),
]


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> pa.Table:
    snapshot = write_snapshot(tmp_path_factory.mktemp("serving"), CASES)
    return case_records(read_current_cases(snapshot), OfficialCalendar(), KEY)


def _by_case(records: pa.Table) -> dict[str, dict[str, Any]]:
    return {row["case_no"]: row for row in records.to_pylist()}


def test_records_have_deadlines_and_handling_in_working_days(records: pa.Table) -> None:
    rows = _by_case(records)
    assert sorted(rows) == ["A", "B", "C", "D", "E", "F", "H"]  # A's old version is not current
    assert {k: rows[k]["deadline"] for k in rows} == {
        "A": dt.date(2026, 11, 5),
        "B": dt.date(2026, 11, 5),
        "C": dt.date(2026, 11, 3),
        "D": dt.date(2026, 11, 13),
        "E": dt.date(2026, 12, 14),
        "F": dt.date(2026, 11, 10),
        "H": dt.date(2026, 10, 10),
    }
    assert {k: rows[k]["handling_working_days"] for k in rows} == {
        "A": 2,
        "B": 5,
        "C": 0,
        "D": None,
        "E": None,
        "F": 0,
        "H": 2,
    }
    assert {k: rows[k]["completed_on_time"] for k in rows} == {
        "A": True,
        "B": False,
        "C": True,
        "D": None,
        "E": None,
        "F": True,
        "H": True,
    }
    assert not any(rows[k]["provisional"] for k in rows)


def test_applicants_are_pseudonymised_with_the_key(records: pa.Table) -> None:
    assert "applicant_key" not in records.column_names
    rows = _by_case(records)
    assert rows["A"]["applicant_pseudonym"] == rows["B"]["applicant_pseudonym"]
    expected = pseudonymise(pa.array(["410102199310113373"]), KEY)[0].as_py()
    assert rows["A"]["applicant_pseudonym"] == expected
    other_key = pseudonymise(pa.array(["410102199310113373"]), b"q" * 32)[0].as_py()
    assert other_key != expected and len(expected) == 20


def _row(table: pa.Table, grain: str, dimension: str, key: str, start: dt.date) -> dict[str, Any]:
    mask = pc.and_(
        pc.and_(pc.equal(table["grain"], grain), pc.equal(table["dimension"], dimension)),
        pc.and_(pc.equal(table["key"], key), pc.equal(table["period_start"], start)),
    )
    rows = table.filter(mask).to_pylist()
    assert len(rows) == 1, rows
    return rows[0]


def test_statistics_match_the_hand_computed_values(records: pa.Table) -> None:
    stats = case_statistics(records, AS_OF)
    whole = _row(stats, "all", "centre", "all", dt.date(2026, 9, 30))
    assert whole["period_end"] == dt.date(2026, 11, 16)
    assert (whole["received"], whole["completed"], whole["open"]) == (7, 5, 2)
    assert (whole["on_time"], whole["late"]) == (4, 2)  # B closed late, D open past due
    assert whole["completion_rate"] == pytest.approx(5 / 7)
    assert whole["on_time_rate"] == pytest.approx(4 / 6)
    assert whole["avg_working_days"] == pytest.approx((2 + 5 + 0 + 0 + 2) / 5)
    assert whole["p90_working_days"] == pytest.approx(3.8)  # 0,0,2,2,5: 2 + 0.6 x 3
    assert (whole["on_the_spot"], whole["promised"]) == (2, 5)

    november = _row(stats, "month", "centre", "all", dt.date(2026, 11, 1))
    assert november["period_end"] == dt.date(2026, 11, 30)
    assert (november["received"], november["completed"], november["late"]) == (6, 4, 2)
    assert november["p90_working_days"] == pytest.approx(4.1)  # 0,0,2,5: 2 + 0.7 x 3
    september = _row(stats, "month", "centre", "all", dt.date(2026, 9, 1))
    assert (september["received"], september["on_time_rate"]) == (1, 1.0)

    week = _row(stats, "week", "centre", "all", dt.date(2026, 11, 2))
    assert week["period_end"] == dt.date(2026, 11, 8)
    assert (week["received"], week["completed"], week["on_time"], week["late"]) == (4, 3, 2, 2)
    day = _row(stats, "day", "service_item", "4101000008", dt.date(2026, 11, 2))
    assert (day["received"], day["name"]) == (2, "居民身份证换领")

    police = _row(stats, "month", "department", "公安局", dt.date(2026, 11, 1))
    assert (police["received"], police["completed"], police["on_time"]) == (5, 3, 2)
    market = _row(stats, "month", "service_item", "4101000001", dt.date(2026, 11, 1))
    assert (market["received"], market["on_the_spot"], market["on_time_rate"]) == (1, 1, 1.0)


def test_open_cases_within_their_promise_are_neither_on_time_nor_late(records: pa.Table) -> None:
    earlier = case_statistics(records, dt.date(2026, 11, 12))  # before D's deadline
    whole = _row(earlier, "all", "centre", "all", dt.date(2026, 9, 30))
    assert (whole["on_time"], whole["late"]) == (4, 1)


def test_a_snapshot_without_cases_says_what_to_do(tmp_path: Path) -> None:
    import duckdb

    path = tmp_path / "empty.duckdb"
    duckdb.connect(str(path)).close()
    with pytest.raises(LookupError, match="onceonly ingest"):
        read_current_cases(path)
