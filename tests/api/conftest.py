"""A whole small exchange, built once per test module by the real pipeline.

Sample feeds (generator) -> landing, certification, snapshot (Dagster runs) -> the sample
directory (catalogue, service items, grants) -> tokens. Tests then call the API over HTTP.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from api.auth import process_directory
from directory.sample import load_sample
from directory.store import Directory
from pipelines.definitions import build_definitions
from pipelines.instance import get_instance
from pipelines.landing.runner import land_pending, publish_snapshot
from pipelines.samples import generate_landing_zone


@dataclass
class Exchange:
    home: Path
    directory: Directory
    person: str  # a resident with a population record and a property
    firm: str  # an enterprise with a register record

    def token(self, name: str, role: str, department: str) -> dict[str, str]:
        identity = self.directory.identity
        if name not in {u.name for u in identity.list_users()}:
            identity.create_user(name, role, department)
        return {"Authorization": f"Bearer {identity.issue_token(name).token}"}


def build_exchange(home: Path, *, persons: int = 300, case_days: int = 3) -> Exchange:
    """Sample feeds for `persons`, landed, certified and published, and the sample directory.

    The caller has pointed ONCEONLY_HOME and DAGSTER_HOME at `home`.
    """
    generate_landing_zone(
        home / "landing",
        persons=persons,
        enterprises=persons // 10,
        seed=5,
        case_days=case_days,
        end_date=dt.date(2026, 11, 20),
    )
    directory = process_directory()
    load_sample(directory)
    defs = build_definitions()
    land_pending(defs, get_instance())
    publish_snapshot(defs, get_instance())
    with duckdb.connect(str(home / "serving" / "current.duckdb"), read_only=True) as con:
        person = con.execute(
            "SELECT p.id_number FROM ps_population p JOIN nr_real_estate r "
            "ON r.owner_key = p.id_number WHERE p._valid_to IS NULL "
            "AND r._valid_to IS NULL ORDER BY 1 LIMIT 1"
        ).fetchall()[0][0]
        firm = con.execute(
            "SELECT credit_code FROM mr_enterprise WHERE _valid_to IS NULL ORDER BY 1 LIMIT 1"
        ).fetchall()[0][0]
    return Exchange(home, directory, person, firm)


@contextmanager
def exchange_home(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[Path]:
    """A fresh var/ for one module's exchange, with the environment pointing at it."""
    home = tmp_path_factory.mktemp(name) / "var"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ONCEONLY_HOME", str(home))
        patch.setenv("DAGSTER_HOME", str(home / "dagster"))
        for variable in ("ONCEONLY_POOL", "ONCEONLY_LANDING", "ONCEONLY_DIRECTORY_URL"):
            patch.delenv(variable, raising=False)
        yield home


@pytest.fixture(scope="module")
def exchange(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Exchange]:
    with exchange_home(tmp_path_factory, "exchange") as home:
        yield build_exchange(home)
