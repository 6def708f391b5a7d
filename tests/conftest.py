"""Shared fixtures: every test gets its own var/ (pool, landing zone, Dagster home)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def onceonly_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "var"
    monkeypatch.setenv("ONCEONLY_HOME", str(home))
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    for name in ("ONCEONLY_POOL", "ONCEONLY_LANDING"):
        monkeypatch.delenv(name, raising=False)
    yield home
