"""The Spark path's certified history in Iceberg: DuckDB and Spark read the same rows, a write
that was never committed changes nothing, and snapshots are published from the lake."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pytest

from pipelines.certify.lake import REGION, Lake
from pipelines.certify.publish import publish
from pipelines.certify.sharded import certify_delivery
from snapshot.manifest import current_version
from tests.pipelines.certify.parity import POPULATION, elsewhere, population_first
from tests.pipelines.certify.support import CONTRACTS, Pool

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.spark
POPULATION_CONTRACT = CONTRACTS["ps_population"]
T1 = dt.datetime(2026, 11, 20, 9, 0)


def _sorted(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    return sorted(rows, key=repr)


def test_duckdb_and_spark_read_the_lake_alike(tmp_path: Path, spark: SparkSession) -> None:
    from pyspark.sql import functions as F

    from pipelines.certify.spark.engine import SparkEngine
    from pipelines.certify.spark.lake_writer import write_region

    lake = Lake(f"sqlite:///{tmp_path / 'catalog.sqlite'}", tmp_path / "warehouse")
    pool = Pool(tmp_path / "pool")
    batch = pool.land(population_first() + elsewhere(), header=POPULATION, encoding="utf-8")
    engine = functools.partial(SparkEngine, spark=spark, lake=lake)
    with pool.connect() as con:
        delivery = certify_delivery(con, POPULATION_CONTRACT, batch, now=T1, engine=engine)
    assert delivery.accounted and {s.shard for s in delivery.shards} == {"00", "11", "41", "44"}

    # The lake holds what the pool certified, region by region.
    read = lake.read_sql(POPULATION_CONTRACT)
    assert read is not None
    on_duckdb = _sorted(duckdb.sql(read).fetchall())
    certified = pool.query(
        "SELECT *, substring(id_number, 1, 2) FROM certified.ps_population ORDER BY ALL"
    )
    assert on_duckdb == _sorted(certified)
    assert {row[-1] for row in on_duckdb} == {"11", "41", "44"}  # no certified row in 00
    # Spark reads the very files the table's scan plan lists, and finds the same rows.
    files = lake.data_files(POPULATION_CONTRACT)
    frame = spark.read.parquet(*(Path(f).resolve().as_uri() for f in files))
    on_spark = frame.toArrow()
    names = [str(n) for n in duckdb.sql(read).columns]
    assert _sorted(list(zip(*(on_spark.column(n).to_pylist() for n in names), strict=True))) == (
        on_duckdb
    )

    # Killed between writing and committing: the files exist, the table does not list them.
    table = lake.table(POPULATION_CONTRACT)
    assert table is not None
    snapshot_before = table.current_snapshot()
    stray = lake.staging(POPULATION_CONTRACT)
    changed = frame.withColumn("name", F.lit("改写"))
    written = write_region(changed.filter(changed[REGION] == "41"), stray)
    assert written and all(Path(f).exists() for f in written)
    assert lake.data_files(POPULATION_CONTRACT) == files
    assert _sorted(duckdb.sql(read).fetchall()) == on_duckdb
    reloaded = lake.table(POPULATION_CONTRACT)
    assert reloaded is not None and reloaded.current_snapshot() == snapshot_before

    # The API's snapshot is built from the lake, in the snapshot's own layout.
    with pool.connect() as con:
        con.execute(  # were the pool's copy to differ, the snapshot would show the lake's
            "UPDATE certified.ps_population SET address = 'pool' WHERE id_number LIKE '11%'"
        )
        publish(con, pool.root / "certified.duckdb", pool.root / "serving", lake=lake)
    published = current_version(pool.root / "serving")
    assert published is not None
    with duckdb.connect(str(published.path), read_only=True) as snap:
        served = _sorted(snap.execute("SELECT * FROM ps_population").fetchall())
    assert served == _sorted([row[:-1] for row in on_duckdb])
