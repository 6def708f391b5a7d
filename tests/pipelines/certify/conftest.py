"""One SparkSession per test process for the Spark tests, started only when one asks for it.

The JVM takes tens of seconds to start on a busy 2-core machine, so every Spark test of a
process shares it (local[2], two shuffle partitions, no UI, a small driver).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    from pipelines.certify.spark.session import SparkSettings, spark_session

    session = spark_session(SparkSettings(master="local[2]", driver_memory="1g"))
    yield session
    session.stop()
