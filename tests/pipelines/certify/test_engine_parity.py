"""The same contracts and the same deliveries give the same results on DuckDB and on Spark.

Row for row: certified history after every batch (corrections included), quarantined rows
with their rule ids and reasons, duplicates, conflicts, scores, the gate's outcome and the
batch records. The test process's one SparkSession (local[2]) runs the Spark side.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import pytest

from pipelines.certify.duckdb_engine import DuckDBEngine
from tests.pipelines.certify.parity import DELIVERIES, deliver_all, dump, write_deliveries
from tests.pipelines.certify.support import Pool

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = [pytest.mark.spark, pytest.mark.usefixtures("province_shards")]
TABLES = (
    "history gsc_cases",
    "history hrss_insurance",
    "history mr_enterprise",
    "history ps_population",
    "quarantine",
    "conflicts",
    "scores",
    "batches",
    "shards",
    "validations",
)


# One test, not one per table: xdist spreads a module's tests over its workers, and each
# would start a JVM and certify every delivery twice more.
def test_duckdb_and_spark_certify_the_same(
    tmp_path_factory: pytest.TempPathFactory, spark: SparkSession
) -> None:
    from pipelines.certify.spark.engine import SparkEngine

    files = write_deliveries(tmp_path_factory.mktemp("deliveries"))
    on_duckdb, on_spark = (
        Pool(tmp_path_factory.mktemp("duckdb")),
        Pool(tmp_path_factory.mktemp("spark")),
    )
    duckdb_reports = deliver_all(on_duckdb, DuckDBEngine, files)
    spark_reports = deliver_all(on_spark, functools.partial(SparkEngine, spark=spark), files)

    # Every batch reports the same: counts, statuses, gate outcomes, scores, conflicts.
    assert len(duckdb_reports) == len(DELIVERIES)
    for on_duck, on_sparky in zip(duckdb_reports, spark_reports, strict=True):
        assert on_sparky == on_duck
    assert all(
        r["rows_landed"] == r["rows_certified"] + r["rows_quarantined"] + r["rows_duplicate"]
        for report in spark_reports
        for r in [report, *report["shards"]]
    )
    # The pool holds the same rows, table by table.
    expected, found = dump(on_duckdb), dump(on_spark)
    for table in TABLES:
        assert expected[table], f"{table} is empty: the deliveries no longer exercise it"
        assert found[table] == expected[table], table
    _the_deliveries_exercise_what_parity_is_about(duckdb_reports, expected)


def _the_deliveries_exercise_what_parity_is_about(
    reports: list[dict[str, Any]], tables: dict[str, list[tuple[object, ...]]]
) -> None:
    statuses = [r["status"] for r in reports]
    assert statuses[-1] == "gate_failed" and statuses.count("certified") == len(statuses) - 1
    population = reports[0]
    assert population["rows_duplicate"] == 1 and population["rows_with_warnings"] >= 1
    rules = {rule for row in tables["quarantine"] for rule in row[6]}
    assert {
        "id_number.key_valid",
        "ps_population.gender_matches_id",
        "birth_date.type",
        "ps_population.record_key_unique",
        "name.required",
        "promised_days.type",
        "received_at.type",
        "gsc_cases.completed_after_received",
        "monthly_base.type",
        "registered_capital.type",
    } <= rules
    resolved = [row for row in tables["quarantine"] if row[9] == "resolved"]
    assert resolved, "a corrected re-delivery resolves its quarantined row"
    assert any("\U00020000" in str(row) for row in tables["conflicts"])
    assert reports[1]["conflicts"] >= 1 and reports[5]["rows_new_versions"] == 1
    # Keys of several provinces: each certified in its own region shard.
    assert [s["shard"] for s in reports[4]["shards"]] == ["00", "11", "41", "44"]
    assert {s["status"] for s in reports[4]["shards"]} == {"certified"}
