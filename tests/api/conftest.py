"""A whole small exchange, built by the real pipeline once per test process and backend, and
copied for each test module; every API test runs on SQLite and on PostgreSQL.

Sample feeds (generator) -> landing, certification, snapshot (Dagster runs) -> the sample
directory (catalogue, service items, grants) -> tokens. Tests then call the API over HTTP.
Building takes tens of seconds (Dagster runs); a copy of the built home (files) and of its
directory (the SQLite file in it, or a PostgreSQL database cloned from the built one) takes
about one, so a module may change its exchange freely without paying for a build.
"""

from __future__ import annotations

import datetime as dt
import functools
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

import settings
from contracts.keys.checksums import id_check_char
from directory.departments import departments
from directory.sample import load_sample
from directory.store import Directory, open_directory
from pipelines.analytics.assets import ANALYTICS_KEYS
from pipelines.definitions import build_definitions
from pipelines.instance import get_instance
from pipelines.landing.runner import QUIET, land_pending, publish_snapshot
from pipelines.samples import generate_landing_zone
from pipelines.samples.cases import load_service_items
from tests import postgres
from tests.backends import URL_ENV, copy_directory, fresh_directory, migrate_directory
from tests.session_builds import built_once

OPEN_CASES_PER_ITEM = 80  # distinct open cases per service item, for tests that count reads
CASE_DAY = "20261121"  # the day after the sample's last: no generated case has its numbers
CLOSED_CASE = 99  # per item, a case completed on 2026-11-03


@dataclass
class Exchange:
    home: Path
    directory: Directory
    person: str  # a resident with a population record and a property
    firm: str  # an enterprise with a register record

    def case(self, service_item: str, n: int = 0) -> str:
        """The number of the `n`th open case of `service_item` in the centre's case register
        (received 2026-11-21, not completed); `n` = CLOSED_CASE: one completed 2026-11-03."""
        return case_number(service_item, n)

    def token(self, name: str, role: str, department: str) -> dict[str, str]:
        identity = self.directory.identity
        if name not in {u.name for u in identity.list_users()}:
            identity.create_user(name, role, department)
        return {"Authorization": f"Bearer {identity.issue_token(name).token}"}


def case_number(service_item: str, n: int) -> str:
    return f"410100{CASE_DAY}{_item_positions()[service_item] * 100 + n:06d}"


@functools.cache
def _item_positions() -> dict[str, int]:
    """Each sample service item's place in the list; read once, since a register of 80 cases
    per item asks for it thousands of times and the list is parsed from YAML."""
    return {item.code: n for n, item in enumerate(load_service_items())}


def deliver_open_cases(home: Path) -> None:
    """The approval system's register gains, for every service item, OPEN_CASES_PER_ITEM
    cases still open and one completed on 2026-11-03: a read must name a case of the clerk's
    department for the service item, and the small sample has a case for few items."""
    names = {d.code: d.name for d in departments().values()}
    applicant = "41010219850307123"
    applicant += id_check_char(applicant)
    rows = [
        "办件编号,事项编码,事项名称,受理部门,受理窗口,申请人类型,申请人证件号码,办件类型,"
        "承诺时限（工作日）,受理时间,办结时间"
    ]
    for item in load_service_items():
        kind = "即办件" if item.on_the_spot else "承诺件"
        common = (
            f"{item.code},{item.name},{names[item.department]},{item.window},自然人,{applicant},"
            f"{kind},{item.promised_days}"
        )
        for n in range(OPEN_CASES_PER_ITEM):
            rows.append(f"{case_number(item.code, n)},{common},2026-11-21 09:00:00,")
        rows.append(
            f"{case_number(item.code, CLOSED_CASE)},{common},2026-11-02 09:00:00,"
            "2026-11-03 10:00:00"
        )
    folder = home / "landing" / "gsc" / "gsc_cases"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"办件信息_{CASE_DAY}.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")


def build_exchange(home: Path, *, persons: int = 300, case_days: int = 3) -> Exchange:
    """Sample feeds for `persons`, landed, certified and published, and the sample directory.

    The caller has pointed ONCEONLY_HOME and DAGSTER_HOME at `home`, and closes the directory.
    Apps serving the exchange are given its directory (`create_app(directory=...)`), so what
    a test changes through it, the API sees at once.
    """
    generate_landing_zone(
        home / "landing",
        persons=persons,
        enterprises=persons // 10,
        seed=5,
        case_days=case_days,
        end_date=dt.date(2026, 11, 20),
    )
    deliver_open_cases(home)
    directory = open_directory()
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
def exchange_home(
    tmp_path_factory: pytest.TempPathFactory, name: str, backend: str = "sqlite"
) -> Iterator[Path]:
    """A fresh var/ for one module's exchange, with the environment pointing at it and at a
    fresh directory database of `backend`."""
    home = tmp_path_factory.mktemp(name) / "var"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ONCEONLY_HOME", str(home))
        patch.setenv("DAGSTER_HOME", str(home / "dagster"))
        for variable in ("ONCEONLY_POOL", "ONCEONLY_LANDING"):
            patch.delenv(variable, raising=False)
        with fresh_directory(backend, patch):
            yield home


@dataclass(frozen=True)
class _Built:
    home: Path
    directory_url: str | None  # PostgreSQL: the database to clone; SQLite: the file in `home`
    person: str
    firm: str


_built: dict[tuple[str, int, int, bool], _Built] = {}


def _template(
    tmp_path_factory: pytest.TempPathFactory,
    backend: str,
    persons: int,
    case_days: int,
    analytics: bool = False,
) -> _Built:
    """The exchange built for `backend` and these sizes (with the analytics assets
    materialised if `analytics`), closed; built once per test session and shared by the test
    processes (see `_shared_sqlite_build`). The PostgreSQL one is the SQLite one's files with
    its directory copied into a database of this process's cluster (`copy_directory`): the
    Dagster build is the same on both."""
    key = (backend, persons, case_days, analytics)
    if key in _built:
        return _built[key]
    if backend == "postgresql":
        source = _template(tmp_path_factory, "sqlite", persons, case_days, analytics)
        cluster = postgres.started()
        url = cluster.database(cluster.template("empty", migrate_directory))
        copy_directory(settings.current({"ONCEONLY_HOME": str(source.home)}).directory_url, url)
        _built[key] = _Built(source.home, url, source.person, source.firm)
    else:
        _built[key] = _shared_sqlite_build(tmp_path_factory, persons, case_days, analytics)
    return _built[key]


def _shared_sqlite_build(
    tmp_path_factory: pytest.TempPathFactory, persons: int, case_days: int, analytics: bool
) -> _Built:
    """The SQLite exchange, built by whichever test process asks first (`built_once`)."""

    def build(folder: Path) -> dict[str, Any]:
        home = folder / "var"
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("ONCEONLY_HOME", str(home))
            patch.setenv("DAGSTER_HOME", str(home / "dagster"))
            for variable in ("ONCEONLY_POOL", "ONCEONLY_LANDING", URL_ENV):
                patch.delenv(variable, raising=False)
            built = build_exchange(home, persons=persons, case_days=case_days)
            built.directory.close()
            if analytics:
                materialise_analytics()
        return {"person": built.person, "firm": built.firm}

    name = f"built-sqlite-{persons}-{case_days}{'-analytics' if analytics else ''}"
    folder, subjects = built_once(tmp_path_factory.getbasetemp(), name, build)
    return _Built(folder / "var", None, subjects["person"], subjects["firm"])


def materialise_analytics() -> None:
    """The analytics assets (statistics, forecasts, the staffing plan) over the published
    snapshot of the exchange the environment points at."""
    result = (
        build_definitions()
        .resolve_implicit_global_asset_job_def()
        .execute_in_process(
            instance=get_instance(), asset_selection=list(ANALYTICS_KEYS), run_config=QUIET
        )
    )
    assert result.success


@contextmanager
def copied_exchange(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    backend: str,
    *,
    persons: int = 300,
    case_days: int = 3,
    analytics: bool = False,
) -> Iterator[Exchange]:
    """A private copy of the exchange `build_exchange` makes, on `backend` (with the analytics
    materialised if `analytics`), with the environment pointing at it (as `exchange_home`
    does); closed and dropped afterwards."""
    built = _template(tmp_path_factory, backend, persons, case_days, analytics)
    home = tmp_path_factory.mktemp(name) / "var"
    shutil.copytree(built.home, home)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ONCEONLY_HOME", str(home))
        patch.setenv("DAGSTER_HOME", str(home / "dagster"))
        for variable in ("ONCEONLY_POOL", "ONCEONLY_LANDING", URL_ENV):
            patch.delenv(variable, raising=False)
        url = None
        if built.directory_url is not None:
            cluster = postgres.started()
            url = cluster.database(postgres.database_name(built.directory_url))
            patch.setenv(URL_ENV, url)
        directory = open_directory()
        try:
            yield Exchange(home, directory, built.person, built.firm)
        finally:
            directory.close()
            if url is not None:
                postgres.started().drop(url)


@pytest.fixture(autouse=True)
def on_both_backends(backend: str) -> str:
    return backend


@pytest.fixture(scope="module")
def exchange(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Iterator[Exchange]:
    with copied_exchange(tmp_path_factory, "exchange", backend) as copy:
        yield copy
