"""The Spark path's certified history in Iceberg: DuckDB and Spark read the same rows, a write
that was never committed changes nothing, and snapshots are published from the lake."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pytest

from contracts.portable import DUCKDB, render
from contracts.shards import shard_expression
from pipelines.certify.lake import REGION, Lake, region_fingerprints
from pipelines.certify.publish import publish
from pipelines.certify.sharded import certify_delivery
from snapshot.manifest import current_version
from tests.pipelines.certify.parity import POPULATION, elsewhere, population_first
from tests.pipelines.certify.support import CONTRACTS, Pool

pytestmark = pytest.mark.usefixtures("province_shards")

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

POPULATION_CONTRACT = CONTRACTS["ps_population"]
T1 = dt.datetime(2026, 11, 20, 9, 0)


def _sorted(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    return sorted(rows, key=repr)


def _read(sql: str | None) -> duckdb.DuckDBPyRelation:
    """The lake's rows as DuckDB reads them (`Lake.read_sql`)."""
    assert sql is not None, "the lake holds no files"
    relation = duckdb.sql(sql)
    assert relation is not None
    return relation


def _lake(root: Path) -> Lake:
    return Lake(f"sqlite:///{root / 'catalog.sqlite'}", root / "warehouse")


def _certified(pool: Pool) -> list[tuple[object, ...]]:
    """The pool's history, each row with its region shard last (as the lake holds it)."""
    return _sorted(
        pool.query("SELECT *, substring(id_number, 1, 2) FROM certified.ps_population ORDER BY ALL")
    )


def _written_by_duckdb(pool: Pool, lake: Lake, region: str, name: str | None = None) -> list[str]:
    """A region's history as one Parquet file in a new staging folder, `name` replacing every
    name when given: what a writer killed before its commit leaves behind."""
    folder = lake.staging(POPULATION_CONTRACT)
    folder.mkdir(parents=True)
    file = folder / "part-0.parquet"
    shard = render(shard_expression(POPULATION_CONTRACT), DUCKDB)
    renamed = "" if name is None else f" REPLACE ('{name}' AS name)"
    with pool.connect() as con:
        con.execute(
            f"COPY (SELECT *{renamed}, '{region}' AS {REGION} FROM certified.ps_population "
            f"WHERE {shard} = '{region}') TO '{file}' (FORMAT parquet)"
        )
    return [str(file)]


def _commit_history(pool: Pool, lake: Lake, region: str | None) -> None:
    """The pool's history of `region` (None: of every region) committed to the lake."""
    shard = render(shard_expression(POPULATION_CONTRACT), DUCKDB)
    with pool.connect() as con:
        lake.commit_history(con, POPULATION_CONTRACT, "certified.ps_population", shard, region)


def test_the_lake_commits_regions_whole_and_snapshots_are_built_from_it(tmp_path: Path) -> None:
    lake, pool = _lake(tmp_path / "lake"), Pool(tmp_path / "pool")
    batch = pool.land(population_first() + elsewhere(), header=POPULATION, encoding="utf-8")
    with pool.connect() as con:
        certify_delivery(con, POPULATION_CONTRACT, batch, now=T1)
    _commit_history(pool, lake, None)  # every region, one commit each
    read = lake.read_sql(POPULATION_CONTRACT)
    assert read is not None
    in_lake = _sorted(_read(read).fetchall())
    assert in_lake == _certified(pool)
    files = lake.data_files(POPULATION_CONTRACT)
    assert len(files) == 3
    assert {Path(f).parent.name for f in files} == {"11", "41", "44"}  # one region a file
    table = lake.table(POPULATION_CONTRACT)
    assert table is not None and len(table.history()) == 3
    with pool.connect() as con:
        shard = render(shard_expression(POPULATION_CONTRACT), DUCKDB)
        in_pool = region_fingerprints(con, "certified.ps_population", shard)
    assert lake.fingerprints(POPULATION_CONTRACT) == in_pool

    # A region committed again replaces its files, the others stay.
    _commit_history(pool, lake, "44")
    assert len(set(lake.data_files(POPULATION_CONTRACT)) & set(files)) == 2
    assert _sorted(_read(lake.read_sql(POPULATION_CONTRACT)).fetchall()) == in_lake

    # Killed between writing and committing: the files exist, the table does not list them.
    table = lake.table(POPULATION_CONTRACT)
    assert table is not None
    before = (table.current_snapshot(), lake.data_files(POPULATION_CONTRACT))
    stray = _written_by_duckdb(pool, lake, "41", name="改写")
    assert all(Path(f).exists() for f in stray)
    reloaded = lake.table(POPULATION_CONTRACT)
    assert reloaded is not None
    assert (reloaded.current_snapshot(), lake.data_files(POPULATION_CONTRACT)) == before
    assert _sorted(_read(lake.read_sql(POPULATION_CONTRACT)).fetchall()) == in_lake

    # The API's snapshot is built from the lake, in the snapshot's own layout: were the
    # pool's copy of a region to differ, the snapshot would show the lake's.
    with pool.connect() as con:
        con.execute(
            "UPDATE certified.ps_population SET address = 'pool' WHERE id_number LIKE '11%'"
        )
        publish(con, pool.root / "certified.duckdb", pool.root / "serving", lake=lake)
    published = current_version(pool.root / "serving")
    assert published is not None
    with duckdb.connect(str(published.path), read_only=True) as snap:
        served = _sorted(snap.execute("SELECT * FROM ps_population").fetchall())
    assert served == _sorted([row[:-1] for row in in_lake])

    # A region whose lake commit failed after the pool merged a batch (here: a version of
    # region 44 closed in the pool alone) is served from the pool, not stale from the lake.
    with pool.connect() as con:
        con.execute(
            "UPDATE certified.ps_population SET _valid_to = TIMESTAMP '2026-11-21 09:00' "
            "WHERE id_number = (SELECT min(id_number) FROM certified.ps_population "
            "WHERE id_number LIKE '44%')"
        )
        publish(con, pool.root / "certified.duckdb", pool.root / "serving", lake=lake)
    published = current_version(pool.root / "serving")
    assert published is not None
    with duckdb.connect(str(published.path), read_only=True) as snap:
        served = _sorted(snap.execute("SELECT * FROM ps_population").fetchall())
    pool_rows = [row[:-1] for row in _certified(pool)]
    expected = [row[:-1] for row in in_lake if row[-1] != "44"]
    expected += [row for row in pool_rows if str(row[0]).startswith("44")]
    assert served == _sorted(expected)
    with duckdb.connect(str(published.path), read_only=True) as snap:
        closed = snap.execute(
            "SELECT count(*) FROM ps_population "
            "WHERE _valid_to IS NOT NULL AND id_number LIKE '44%'"
        ).fetchall()
    assert closed == [(1,)]


@pytest.mark.spark
def test_duckdb_and_spark_read_what_the_spark_engine_committed(
    tmp_path: Path, spark: SparkSession
) -> None:
    from pipelines.certify.spark.engine import SparkEngine

    lake, pool = _lake(tmp_path / "lake"), Pool(tmp_path / "pool")
    batch = pool.land(population_first() + elsewhere(), header=POPULATION, encoding="utf-8")
    engine = functools.partial(SparkEngine, spark=spark, lake=lake)
    with pool.connect() as con:
        delivery = certify_delivery(con, POPULATION_CONTRACT, batch, now=T1, engine=engine)
    assert delivery.accounted and {s.shard for s in delivery.shards} == {"00", "11", "41", "44"}
    read = lake.read_sql(POPULATION_CONTRACT)
    assert read is not None
    on_duckdb = _sorted(_read(read).fetchall())
    assert on_duckdb == _certified(pool)
    assert {row[-1] for row in on_duckdb} == {"11", "41", "44"}  # no certified row in 00
    # Spark reads the very files the table's scan plan lists, and finds the same rows.
    files = lake.data_files(POPULATION_CONTRACT)
    on_spark = spark.read.parquet(*(Path(f).resolve().as_uri() for f in files)).toArrow()
    names = [str(n) for n in _read(read).columns]
    columns = [on_spark.column(n).to_pylist() for n in names]
    assert _sorted(list(zip(*columns, strict=True))) == on_duckdb
