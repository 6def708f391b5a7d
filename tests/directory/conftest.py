"""Directory fixtures: an empty directory, or a private copy of the sample, per test, on
SQLite and on PostgreSQL (every test of this folder runs on both)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from directory.store import Directory, open_directory
from tests.directory.fixtures import open_sample


@pytest.fixture(autouse=True)
def on_both_backends(backend: str) -> str:
    return backend


@pytest.fixture
def directory(onceonly_home: Path) -> Iterator[Directory]:
    opened = open_directory()
    yield opened
    opened.close()


@pytest.fixture
def sample(onceonly_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Directory]:
    opened = open_sample(tmp_path_factory.getbasetemp(), onceonly_home)
    yield opened
    opened.close()
