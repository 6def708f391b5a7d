"""The exchange the attack script probes: a small pool and directory built once under a home,
and a real `onceonly serve` process on a free port with its access log, so what reaches the
server's log can be checked as well as its answers.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from tests.live_server import free_port, wait_until_answering

ID_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:19|20)\d{2}[01]\d[0-3]\d\d{3}[\dXx](?![0-9A-Za-z])"
)


@dataclass
class World:
    """What the probes need to know about the exchange under test."""

    url: str
    person: str  # an ID number held in the population register
    person_name: str
    firm: str
    item: str  # a service item of market regulation for persons
    case_mr: str  # an open or recent case of that item in the centre's case register
    fund_resource: str  # catalogue code of the housing fund's accounts
    tokens: dict[str, str] = field(default_factory=dict)


def build_world(home: Path, url: str) -> World:
    """Sample exchange under `home` (built when absent) and one token per caller.

    ONCEONLY_HOME and DAGSTER_HOME already point at `home`.
    """
    from directory.sample import load_sample
    from directory.store import open_directory
    from pipelines.definitions import build_definitions
    from pipelines.instance import get_instance
    from pipelines.landing.runner import land_pending, publish_snapshot
    from pipelines.samples import generate_landing_zone

    directory = open_directory()  # the served API opens its own, in its own process
    if not (home / "serving" / "current.duckdb").exists():
        generate_landing_zone(
            home / "landing",
            persons=300,
            enterprises=30,
            seed=5,
            case_days=30,
            end_date=dt.date.today(),
        )
        load_sample(directory)
        defs = build_definitions()
        land_pending(defs, get_instance())
        publish_snapshot(defs, get_instance())
    with duckdb.connect(str(home / "serving" / "current.duckdb"), read_only=True) as con:
        person, name = con.execute(
            "SELECT id_number, name FROM ps_population WHERE _valid_to IS NULL ORDER BY 1 LIMIT 1"
        ).fetchall()[0]
        firm = con.execute(
            "SELECT credit_code FROM mr_enterprise WHERE _valid_to IS NULL ORDER BY 1 LIMIT 1"
        ).fetchall()[0][0]
        item, case = con.execute(
            "SELECT service_item_code, case_no FROM gsc_cases WHERE _valid_to IS NULL "
            "AND department IN ('mr', '市场监督管理局') AND applicant_kind = '自然人' "
            "ORDER BY received_at DESC LIMIT 1"
        ).fetchall()[0]
    fund = directory.entries.by_contract("hpf_account")
    assert fund is not None, "the sample catalogue has no housing-fund entry"
    world = World(url, person, name, firm, item, case, fund.code)
    identity = directory.identity
    users = {u.name for u in identity.list_users()}
    for caller, (role, department) in {
        "clerk_mr": ("clerk", "mr"),
        "clerk_ps": ("clerk", "ps"),
        "steward_ps": ("steward", "ps"),
        "steward_mr": ("steward", "mr"),
        "analyst": ("analyst", "gsc"),
        "auditor": ("auditor", "gsc"),
        "admin": ("admin", "gsc"),
        "revoked": ("clerk", "mr"),
        "disabled": ("clerk", "mr"),
    }.items():
        user = f"probe.{caller}"
        if user not in users:
            identity.create_user(user, role, department)
        identity.set_disabled(user, False)  # a home built by an earlier run
        issued = identity.issue_token(user)
        world.tokens[caller] = issued.token
        if caller == "revoked":
            identity.revoke_token(issued.info.id)
        if caller == "disabled":
            identity.set_disabled(user, True)
    world.tokens["bad"] = "not-a-token-" + uuid.uuid4().hex
    directory.close()
    return world


@contextlib.contextmanager
def serving(home: Path, log: Path) -> Iterator[str]:
    """`onceonly serve` on a free port, its output into `log`, until the block ends."""
    port = free_port()
    env = {**os.environ, "ONCEONLY_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "onceonly"), "serve", "--port", str(port)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_answering(url, server, log)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=30)
