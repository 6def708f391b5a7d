"""Rows pass between the pool and Spark as Parquet files: typed as in the pool both ways (even
when there are none), inside the pool's transaction, and the files do not outlive the engine."""

from __future__ import annotations

import datetime as dt
import os
import time
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from pipelines.certify.spark.exchange import ABANDONED_AFTER_SECONDS, ParquetExchange

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

ROW = (
    7,
    "王𠀀明",  # a character outside the Basic Multilingual Plane
    dt.datetime(2026, 3, 1, 8, 30, 15, 123456),
    dt.date(1990, 2, 28),
    ["R1", "R2"],
    Decimal("1234.50"),
    None,
)


def _pool() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t (n INTEGER, name VARCHAR, seen TIMESTAMP, born DATE, "
        "rules VARCHAR[], amount DECIMAL(12, 2), missing VARCHAR)"
    )
    con.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?)", list(ROW))
    return con


def test_rows_go_to_spark_and_back_unchanged(spark: SparkSession, tmp_path: Path) -> None:
    con = _pool()
    files = ParquetExchange(spark, tmp_path)
    frame = files.read(con, "SELECT * FROM t WHERE n = ?", [7])
    assert [tuple(r) for r in frame.collect()] == [ROW]
    con.execute("BEGIN")
    with files.registered(con, "back", frame) as view:
        assert con.execute(f"SELECT * FROM {view}").fetchall() == [ROW]
        types = con.execute(f"DESCRIBE {view}").fetchall()
        assert [t[1] for t in types] == [
            "INTEGER",
            "VARCHAR",
            "TIMESTAMP",
            "DATE",
            "VARCHAR[]",
            "DECIMAL(12,2)",
            "VARCHAR",
        ]
        con.execute(f"INSERT INTO t SELECT * REPLACE (n + 1 AS n) FROM {view}")
    con.execute("COMMIT")
    assert con.execute("SELECT count(*) FROM t").fetchone() == (2,)
    assert not con.execute("SELECT * FROM duckdb_views() WHERE view_name = 'back'").fetchall()
    files.close()


def test_no_rows_keep_their_types_both_ways(spark: SparkSession, tmp_path: Path) -> None:
    con = _pool()
    files = ParquetExchange(spark, tmp_path)
    frame = files.read(con, "SELECT * FROM t WHERE n = ?", [-1])
    assert frame.count() == 0
    assert [f.dataType.simpleString() for f in frame.schema.fields] == [
        "int",
        "string",
        "timestamp_ntz",
        "date",
        "array<string>",
        "decimal(12,2)",
        "string",
    ]
    with files.registered(con, "none", frame) as view:
        assert con.execute(f"SELECT count(*) FROM {view}").fetchone() == (0,)
    files.close()


def test_an_engine_removes_its_files_and_a_day_old_abandoned_folder(
    spark: SparkSession, tmp_path: Path
) -> None:
    abandoned, running = tmp_path / "killed-run", tmp_path / "other-shard"
    for folder in (abandoned, running):
        folder.mkdir()
        (folder / "in-0.parquet").write_bytes(b"")
    old = time.time() - ABANDONED_AFTER_SECONDS - 60
    os.utime(abandoned, (old, old))
    files = ParquetExchange(spark, tmp_path)
    assert not abandoned.exists()
    assert running.exists()
    files.read(_pool(), "SELECT * FROM t").count()
    assert any(files.folder.iterdir())
    files.close()
    assert not files.folder.exists()
