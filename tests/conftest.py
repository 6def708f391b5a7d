"""Shared fixtures: every test gets its own var/ (pool, landing zone, Dagster home)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# pytest-xdist starts its workers with `python -c`, so their __main__ has neither __file__ nor
# __spec__; pyspark takes that for its own doctest runner and exits the process as soon as
# pyspark.sql.connect is imported, which Great Expectations does on import. A worker's
# __main__ is given a name, so pyspark sees an ordinary program.
_main = sys.modules["__main__"]
if getattr(_main, "__spec__", None) is None and not hasattr(_main, "__file__"):
    _main.__file__ = "pytest-xdist-worker"


@pytest.fixture
def onceonly_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "var"
    monkeypatch.setenv("ONCEONLY_HOME", str(home))
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    for name in ("ONCEONLY_POOL", "ONCEONLY_LANDING"):
        monkeypatch.delenv(name, raising=False)
    yield home
