"""Shared fixtures: every test gets its own var/ (pool, landing zone, Dagster home), and the
directory's tests run on both of its databases.

A test (or a folder's autouse fixture) that asks for `backend` runs twice, on SQLite and on
PostgreSQL (a throw-away cluster per test process, see `tests.postgres`); `onceonly_home`
then points ONCEONLY_DIRECTORY_URL at a fresh database of that backend. PostgreSQL cases are
skipped only when the server's programs are not installed, and never when CI is set.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests import postgres
from tests.backends import BACKENDS, fresh_directory

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Spark's tests first (otherwise in collection order): they are the suite's longest (the
    standalone cluster takes minutes), and started last they leave one worker running alone
    at the end while the other has finished."""
    items.sort(key=lambda item: item.get_closest_marker("spark") is None)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise `backend` per module (so a module's fixtures are built once per backend);
    a test marked `sqlite_only` runs on SQLite alone, one marked `postgresql` on it alone."""
    if "backend" not in metafunc.fixturenames:
        return
    backends: tuple[str, ...] = BACKENDS
    if metafunc.definition.get_closest_marker("sqlite_only"):
        backends = ("sqlite",)
    elif metafunc.definition.get_closest_marker("postgresql"):
        backends = ("postgresql",)
    metafunc.parametrize("backend", backends, indirect=True, scope="module")


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[postgres.Cluster]:
    """This test process's PostgreSQL cluster, stopped and removed at the end."""
    try:
        cluster = postgres.started()
    except postgres.ServerMissing as missing:
        if os.environ.get("CI"):
            pytest.fail(f"{missing} (CI never skips the PostgreSQL cases)", pytrace=False)
        pytest.skip(str(missing))
    yield cluster
    postgres.stop()


@pytest.fixture(scope="module")
def backend(request: pytest.FixtureRequest) -> str:
    """The directory's database for this module's tests: `sqlite` or `postgresql`."""
    name: str = request.param
    if name == "postgresql":
        request.getfixturevalue("postgres_cluster")
    return name


@pytest.fixture
def onceonly_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[Path]:
    home = tmp_path / "var"
    monkeypatch.setenv("ONCEONLY_HOME", str(home))
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    for name in ("ONCEONLY_POOL", "ONCEONLY_LANDING"):
        monkeypatch.delenv(name, raising=False)
    if "backend" not in request.fixturenames:
        yield home
        return
    with fresh_directory(request.getfixturevalue("backend"), monkeypatch):
        yield home


@pytest.fixture
def province_shards(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deliveries split by province (``ONCEONLY_SHARDS``), as on a cluster, whatever engine
    certifies: the embedded default certifies a delivery whole."""
    monkeypatch.setenv("ONCEONLY_SHARDS", "province")


# One SparkSession per test process, started only when a test asks for it: the JVM takes tens
# of seconds to start on a busy 2-core machine, so every Spark test of a process shares it
# (local[2], two shuffle partitions, no UI, a small driver, a JVM tuned for small batches).
@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    from pipelines.certify.spark.session import SMALL_DATA, SparkSettings, spark_session

    session = spark_session(SparkSettings(master="local[2]", driver_memory="1g", extra=SMALL_DATA))
    yield session
    session.stop()
