"""The same contracts and the same deliveries give the same results on DuckDB and on Spark.

Row for row: certified history after every batch (corrections included), quarantined rows
with their rule ids and reasons, duplicates, conflicts, scores, the gate's outcome and the
batch records. One SparkSession (local[2]) serves the whole module.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import pytest

from pipelines.certify.duckdb_engine import DuckDBEngine
from tests.pipelines.certify.parity import DELIVERIES, deliver_all, dump, write_deliveries
from tests.pipelines.certify.support import Pool

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]


# Session-wide, not per module: xdist may interleave the group's other tests between these,
# and a module fixture would then certify everything twice.
@pytest.fixture(scope="session")
def certified(tmp_path_factory: pytest.TempPathFactory, spark: SparkSession):  # type: ignore[no-untyped-def]
    from pipelines.certify.spark.engine import SparkEngine

    files = write_deliveries(tmp_path_factory.mktemp("deliveries"))
    on_duckdb = Pool(tmp_path_factory.mktemp("duckdb"))
    on_spark = Pool(tmp_path_factory.mktemp("spark"))
    duckdb_reports = deliver_all(on_duckdb, DuckDBEngine, files)
    spark_reports = deliver_all(on_spark, functools.partial(SparkEngine, spark=spark), files)
    return (duckdb_reports, dump(on_duckdb)), (spark_reports, dump(on_spark))


def test_every_batch_reports_the_same(certified) -> None:  # type: ignore[no-untyped-def]
    (duckdb_reports, _), (spark_reports, _) = certified
    assert len(duckdb_reports) == len(DELIVERIES)
    for on_duckdb, on_spark in zip(duckdb_reports, spark_reports, strict=True):
        assert on_spark == on_duckdb
    statuses = [r["status"] for r in duckdb_reports]
    assert statuses[-1] == "gate_failed" and statuses.count("certified") == len(statuses) - 1
    assert all(
        r["rows_landed"] == r["rows_certified"] + r["rows_quarantined"] + r["rows_duplicate"]
        for r in spark_reports
    )


@pytest.mark.parametrize(
    "table",
    [
        "history gsc_cases",
        "history hrss_insurance",
        "history mr_enterprise",
        "history ps_population",
        "quarantine",
        "conflicts",
        "scores",
        "batches",
        "validations",
    ],
)
def test_the_pool_holds_the_same_rows(certified, table: str) -> None:  # type: ignore[no-untyped-def]
    (_, on_duckdb), (_, on_spark) = certified
    assert on_duckdb[table], f"{table} is empty: the deliveries no longer exercise it"
    assert on_spark[table] == on_duckdb[table]


def test_the_deliveries_exercise_what_parity_is_about(certified) -> None:  # type: ignore[no-untyped-def]
    (reports, tables), _ = certified
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
