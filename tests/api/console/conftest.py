"""A small real exchange with analytics, served by a live uvicorn, for the console's tests.

Built once per test module by the real pipeline (sample feeds -> Dagster landing,
certification and snapshot -> the analytics assets), with the sample directory and one user
per role. The browser tests drive Debian's Chromium against it over 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
import uvicorn

from api.main import create_app
from directory.sample import load_sample
from directory.store import Directory, open_directory
from pipelines.analytics.assets import ANALYTICS_KEYS
from pipelines.definitions import build_definitions
from pipelines.instance import get_instance
from pipelines.landing.runner import QUIET, land_pending, publish_snapshot
from pipelines.samples import generate_landing_zone

USERS = {  # role: (user, department)
    "steward": ("ps.steward", "ps"),
    "clerk": ("mr.clerk", "mr"),
    "analyst": ("gsc.analyst", "gsc"),
    "auditor": ("gsc.auditor", "gsc"),
}


@dataclass
class LiveExchange:
    home: Path
    url: str
    directory: Directory
    person: str  # a resident with a population record and a property
    tokens: dict[str, str] = field(default_factory=dict)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _build(home: Path) -> tuple[Directory, str]:
    generate_landing_zone(
        home / "landing",
        persons=400,
        enterprises=40,
        seed=7,
        case_days=400,
        end_date=dt.date(2026, 11, 20),
    )
    directory = open_directory()
    load_sample(directory)
    defs = build_definitions()
    land_pending(defs, get_instance())
    publish_snapshot(defs, get_instance())
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=get_instance(), asset_selection=list(ANALYTICS_KEYS), run_config=QUIET
    )
    assert result.success
    with duckdb.connect(str(home / "serving" / "current.duckdb"), read_only=True) as con:
        person = con.execute(
            "SELECT p.id_number FROM ps_population p JOIN nr_real_estate r "
            "ON r.owner_key = p.id_number WHERE p._valid_to IS NULL "
            "AND r._valid_to IS NULL ORDER BY 1 LIMIT 1"
        ).fetchall()[0][0]
    return directory, str(person)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveExchange]:
    home = tmp_path_factory.mktemp("console") / "var"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ONCEONLY_HOME", str(home))
        patch.setenv("DAGSTER_HOME", str(home / "dagster"))
        for name in ("ONCEONLY_POOL", "ONCEONLY_LANDING", "ONCEONLY_DIRECTORY_URL"):
            patch.delenv(name, raising=False)
        directory, person = _build(home)
        tokens = {}
        for role, (name, department) in USERS.items():
            directory.identity.create_user(name, role, department)
            tokens[role] = directory.identity.issue_token(name).token
        port = _free_port()
        server = uvicorn.Server(
            uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline, "the console's server did not start"
            time.sleep(0.05)
        try:
            yield LiveExchange(home, f"http://127.0.0.1:{port}", directory, person, tokens)
        finally:
            server.should_exit = True
            thread.join(timeout=10)
