"""Rows between the pool (DuckDB) and Spark, as Parquet files in a folder both can reach.

The landed batch and the current certified versions go from the pool to Spark, and what Spark
decided (quarantined rows, new versions, closed versions, conflicts) comes back into the pool,
inside the certification's transaction. Both directions go through files rather than through
the driver: DuckDB writes a query's rows as Parquet with all its threads and Spark's executors
read them in parallel; Spark's executors write their result and DuckDB reads it in place. A
driver that collected the rows (as Arrow tables, the first design) cost 1.4 us a row in and
3.9 us a row out, did not shrink with more executors, and had to hold a province's rows in one
JVM (10 M persons did not fit 14 GB).

On a cluster the folder must be one the pool's host and every executor see at the same path
(a shared filesystem); on `local[N]` and on a standalone cluster on one machine, a local
folder is. Each engine works in a folder of its own and removes it when it is released; a
killed run's folder is removed by a later engine once it is a day old, so a run still going
on another shard keeps its files.
"""

from __future__ import annotations

import itertools
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from pipelines.duckdb_sql import quote_identifier, quote_literal

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

ABANDONED_AFTER_SECONDS = 24 * 3600


def naive_timestamps(frame: DataFrame) -> DataFrame:
    """`frame` with session-zoned timestamps made naive, as the pool's and the lake's are: a
    zoned timestamp is written to Parquet as an instant (isAdjustedToUTC), which DuckDB reads
    as TIMESTAMP WITH TIME ZONE and the lake's tables do not accept."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import TimestampNTZType, TimestampType

    for field in frame.schema.fields:
        if isinstance(field.dataType, TimestampType):
            frame = frame.withColumn(field.name, F.col(field.name).cast(TimestampNTZType()))
    return frame


class ParquetExchange:
    """One engine's folder under `root`, for the rows it sends to Spark and takes back."""

    def __init__(self, spark: SparkSession, root: Path) -> None:
        self.spark = spark
        self.root = root.resolve()
        self.folder = self.root / uuid.uuid4().hex
        self.folder.mkdir(parents=True)
        self._numbers = itertools.count()
        self._remove_abandoned()

    def _path(self, kind: str) -> Path:
        return self.folder / f"{kind}-{next(self._numbers)}"

    def read(
        self, con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None
    ) -> DataFrame:
        """The result of a pool query as a Spark DataFrame, typed as in the pool (even empty).
        The file stays until `close`: Spark reads it again whenever a plan over it runs."""
        path = self._path("in").with_suffix(".parquet")
        con.sql(sql, params=params or []).write_parquet(str(path))
        return self.spark.read.parquet(path.as_uri())

    @contextmanager
    def registered(
        self, con: duckdb.DuckDBPyConnection, name: str, frame: DataFrame
    ) -> Iterator[str]:
        """`frame`'s rows as the DuckDB view `name` for the block, written by Spark's
        executors and read by DuckDB in place."""
        folder = self._path("out")
        naive_timestamps(frame).write.mode("errorifexists").parquet(folder.as_uri())
        files = quote_literal(str(folder / "*.parquet"))
        view = quote_identifier(name)
        con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT * FROM read_parquet({files})")
        try:
            yield view
        finally:
            con.execute(f"DROP VIEW IF EXISTS {view}")
            shutil.rmtree(folder, ignore_errors=True)

    def close(self) -> None:
        """Remove this engine's files (call once Spark no longer reads them)."""
        shutil.rmtree(self.folder, ignore_errors=True)

    def _remove_abandoned(self) -> None:
        cutoff = time.time() - ABANDONED_AFTER_SECONDS
        for other in self.root.iterdir():
            try:
                if other != self.folder and other.is_dir() and other.stat().st_mtime < cutoff:
                    shutil.rmtree(other, ignore_errors=True)
            except FileNotFoundError:  # removed meanwhile by another engine
                continue
