"""Spark's half of a lake commit: a region's certified history written as Parquet files.

The files go to a folder no table names yet (``pipelines.certify.lake.Lake.staging``);
``Lake.commit_region`` then makes them the region's rows in one catalog commit. Spark writes
them itself (its executors, in parallel), so the rows never pass through the driver on the
way out; a job killed while writing leaves only files no snapshot lists.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.certify.spark.exchange import naive_timestamps

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def write_region(frame: DataFrame, folder: Path) -> list[str]:
    """Write `frame` (one region's rows, the lake table's columns) as Parquet files under
    `folder`; the files written, none for no rows."""
    if frame.isEmpty():
        return []
    naive_timestamps(frame).write.mode("errorifexists").parquet(folder.resolve().as_uri())
    return sorted(str(path) for path in folder.glob("*.parquet"))
