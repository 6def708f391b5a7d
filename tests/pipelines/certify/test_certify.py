"""Certification of real deliveries: the split, history, quarantine, conflicts, the gate."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipelines.certify.publish import publish
from snapshot.quarantine_export import export_quarantine
from tests.pipelines.certify.support import CONTRACTS, Pool, people, person
from tests.pipelines.landing import feeds

T1 = dt.datetime(2026, 11, 20, 9, 0)
T2 = dt.datetime(2026, 11, 21, 9, 0)


@pytest.fixture
def pool(tmp_path: Path) -> Pool:
    return Pool(tmp_path)


def test_every_landed_row_is_certified_quarantined_or_a_duplicate(pool: Pool) -> None:
    good = people(6)
    bad_check = person(sequence="201")
    bad_check[0] = bad_check[0][:-1] + ("0" if bad_check[0][-1] != "0" else "1")
    wrong_gender = person(sequence="203", gender="女")
    impossible_date = person(sequence="205", birth_date="1990-02-30")
    collision_a, collision_b = (
        person(sequence="207", name="王五"),
        person(sequence="207", name="王六"),
    )
    rows = [*good, good[0], bad_check, wrong_gender, impossible_date, collision_a, collision_b]
    report = pool.deliver(rows, now=T1)
    assert (
        report.rows_landed,
        report.rows_certified,
        report.rows_quarantined,
        report.rows_duplicate,
    ) == (12, 6, 5, 1)
    assert report.accounted and report.status == "certified"
    # Where the time went, phase by phase (the benches and the asset metadata print it).
    assert {
        "typing, rules and duplicates",
        "gate (Great Expectations)",
        "quarantine",
        "history merge",
    } <= set(report.phases)
    assert all(seconds >= 0 for seconds in report.phases.values())
    quarantined = {
        row[0]: (row[1], row[2])
        for row in pool.query(
            "SELECT row_number, rule_ids, reasons FROM certified.quality.quarantine "
            "ORDER BY row_number"
        )
    }
    assert quarantined[9][0] == ["id_number.key_valid"]
    assert "校验码" in quarantined[9][1][0]
    assert quarantined[10][0] == ["ps_population.gender_matches_id"]
    assert sorted(quarantined[11][0]) == ["birth_date.type"]
    assert quarantined[12][0] == quarantined[13][0] == ["ps_population.record_key_unique"]
    assert pool.query("SELECT count(*) FROM certified.ps_population") == [(6,)]


def test_corrections_supersede_and_as_of_reads_see_the_past(pool: Pool) -> None:
    first = people(3)
    pool.deliver(first, now=T1)
    corrected = [list(r) for r in first]
    corrected[1][1] = "李娜娜"
    report = pool.deliver(corrected, name="人口基本信息_20261121.csv", now=T2)
    assert (report.rows_new_versions, report.rows_unchanged) == (1, 2)
    key = first[1][0]
    as_of = (
        "SELECT name FROM certified.ps_population WHERE id_number = ? AND _valid_from <= ? "
        "AND (_valid_to IS NULL OR _valid_to > ?)"
    )
    assert pool.query(as_of, [key, T1, T1]) == [(first[1][1],)]
    assert pool.query(as_of, [key, T2, T2]) == [("李娜娜",)]
    versions = pool.query(
        "SELECT name, _valid_to FROM certified.ps_population WHERE id_number = ? ORDER BY 2",
        [key],
    )
    assert versions == [(first[1][1], T2), ("李娜娜", None)]
    assert pool.query("SELECT count(*) FROM certified.ps_population") == [(4,)]


def test_same_batch_twice_is_counted_once(pool: Pool) -> None:
    rows = people(3)
    first = pool.deliver(rows, now=T1)
    again = pool.deliver(rows, now=T2)
    assert first.status == "certified" and again.status == "already certified"
    assert pool.query("SELECT count(*) FROM certified.quality.batches") == [(1,)]


def test_conflicts_with_the_authoritative_source_are_recorded(pool: Pool) -> None:
    pool.deliver(people(2), now=T1)
    someone = people(2)[0]
    insurance_header = ["身份证号码", "姓名", "险种", "参保状态", "参保日期"]
    rows = [[someone[0], "张冠李戴", "失业保险", "参保缴费", "2020-01-01"]]
    report = pool.deliver(
        rows,
        name="社会保险参保信息_20261120.csv",
        contract_id="hrss_insurance",
        header=insurance_header,
        now=T2,
    )
    assert report.conflicts == 1
    assert pool.query(
        "SELECT item, subject_key, authoritative_value, other_resource, other_value "
        "FROM certified.quality.conflicts"
    ) == [("person.name", someone[0], someone[1], "hrss_insurance", "张冠李戴")]


def test_a_batch_failing_the_gate_is_not_certified(pool: Pool) -> None:
    pool.deliver(people(4), now=T1)
    sparse = [person(sequence=f"{n:03d}", address="") for n in range(301, 311)]
    report = pool.deliver(sparse, name="人口基本信息_20261121.csv", now=T2)
    assert report.status == "gate_failed"
    assert report.rows_certified == 0 and report.rows_quarantined == 10 and report.accounted
    assert any("address" in rule for rule in report.gate_failures)
    assert pool.query("SELECT count(*) FROM certified.ps_population") == [(4,)]
    statuses = pool.query("SELECT status FROM certified.quality.batches ORDER BY certified_at")
    assert statuses == [("certified",), ("gate_failed",)]


def test_quarantine_export_and_redelivery(pool: Pool, tmp_path: Path) -> None:
    wrong = person(sequence="401", gender="未知")
    pool.deliver([*people(2), wrong], now=T1)
    with pool.connect() as con:
        snapshot = publish(con, Path(pool.resource.certified_path), tmp_path / "serving")
    written = export_quarantine(snapshot.path, CONTRACTS, "ps", tmp_path / "export")
    ((path, count),) = written
    assert count == 1 and path.suffix == ".csv"
    text = path.read_bytes().decode("gbk")
    assert text.splitlines()[0].startswith("公民身份号码,姓名,性别")
    assert "问题规则" in text and "ps_population.gender_enum" in text and "未知" in text
    fixed = person(sequence="401")
    report = pool.deliver([fixed], name="人口基本信息_20261121.csv", now=T2)
    assert report.rows_certified == 1 and report.resolved == 1
    assert pool.query("SELECT status FROM certified.quality.quarantine") == [("resolved",)]


def test_quality_scores_per_dimension(pool: Pool) -> None:
    rows = [*people(3), person(sequence="501", gender="女")]
    report = pool.deliver(rows, now=T1)
    assert report.scores["consistency"] == pytest.approx(0.75)
    assert report.scores["validity"] == pytest.approx(1.0)
    stored = pool.query(
        "SELECT dimension, rows_checked, rows_passing FROM certified.quality.scores "
        "WHERE dimension = 'consistency'"
    )
    assert stored == [("consistency", 4, 3)]


def test_gate_results_are_kept_for_stewards(pool: Pool) -> None:
    pool.deliver(people(3), now=T1)
    results = pool.query(
        "SELECT count(*), count(*) FILTER (WHERE success) FROM certified.quality.validations"
    )
    assert results[0][0] > 5 and results[0][0] == results[0][1]


def test_warning_rules_certify_and_flag(pool: Pool) -> None:
    header = [*feeds.POPULATION_HEADER, "户籍地行政区划代码"]
    rows = [[*p[:5], "41010"] for p in people(2)]
    report = pool.deliver(rows, header=header, now=T1)
    assert report.rows_certified == 2 and report.rows_with_warnings == 2
    flagged = pool.query("SELECT DISTINCT _warnings FROM certified.ps_population")
    assert flagged == [(["ps_population.region_code_format"],)]
