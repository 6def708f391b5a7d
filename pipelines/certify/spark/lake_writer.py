"""Spark's half of a lake commit: a region's certified history written as Parquet files.

The files go to a folder no table names yet (``pipelines.certify.lake.Lake.staging``);
``Lake.commit_region`` then makes them the region's rows in one catalog commit. Spark writes
them itself (its executors, in parallel), so the rows never pass through the driver on the
way out; a job killed while writing leaves only files no snapshot lists.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def write_region(frame: DataFrame, folder: Path) -> list[str]:
    """Write `frame` (one region's rows, the lake table's columns) as Parquet files under
    `folder`; the files written, none for no rows."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import TimestampNTZType, TimestampType

    if frame.isEmpty():
        return []
    # The table's timestamps are naive, as the pool's are: a session-zoned timestamp would be
    # written as an instant (Parquet's isAdjustedToUTC), which the table does not accept.
    for field in frame.schema.fields:
        if isinstance(field.dataType, TimestampType):
            frame = frame.withColumn(field.name, F.col(field.name).cast(TimestampNTZType()))
    frame.write.mode("errorifexists").parquet(folder.resolve().as_uri())
    return sorted(str(path) for path in folder.glob("*.parquet"))
