"""Rows between the pool (DuckDB) and Spark, as Arrow tables.

The landed batch and the current certified versions are read out of the pool into Spark;
what Spark decided (quarantined rows, new versions, closed versions, scores, conflicts) comes
back as an Arrow table that DuckDB reads in place, inside the certification's transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def read(
    spark: SparkSession,
    con: duckdb.DuckDBPyConnection,
    sql: str,
    params: list[object] | None = None,
) -> DataFrame:
    """The result of a pool query as a Spark DataFrame (typed as in the pool, even empty)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    table = con.sql(sql, params=params or []).to_arrow_table()
    if table.num_rows == 0:  # pyspark cannot convert an empty Arrow timestamp column
        return spark.createDataFrame([], schema=from_arrow_schema(table.schema))
    return spark.createDataFrame(table)


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, frame: DataFrame) -> Iterator[str]:
    """`frame`'s rows as the DuckDB view `name` for the block (collected to the driver)."""
    con.register(name, frame.toArrow())
    try:
        yield name
    finally:
        con.unregister(name)
