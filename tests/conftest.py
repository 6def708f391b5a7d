"""Shared fixtures: every test gets its own var/ (pool, landing zone, Dagster home)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@pytest.fixture
def onceonly_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "var"
    monkeypatch.setenv("ONCEONLY_HOME", str(home))
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    for name in ("ONCEONLY_POOL", "ONCEONLY_LANDING"):
        monkeypatch.delenv(name, raising=False)
    yield home


# One SparkSession per test process, started only when a test asks for it: the JVM takes tens
# of seconds to start on a busy 2-core machine, so every Spark test of a process shares it
# (local[2], two shuffle partitions, no UI, a small driver, a JVM tuned for small batches).
@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    from pipelines.certify.spark.session import SMALL_DATA, SparkSettings, spark_session

    session = spark_session(SparkSettings(master="local[2]", driver_memory="1g", extra=SMALL_DATA))
    yield session
    session.stop()
