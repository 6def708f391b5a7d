"""The conflict queue and the quality overview over HTTP.

Each disagreement with an authoritative source goes to the other provider's steward with both
values and both batches; settling it is recorded in the directory and the audit log, and shows
in `onceonly status` and the overview. A resource whose last certified batch is older than its
update cycle allows is late, in the overview and in status, judged by a controlled clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import duckdb
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.main import create_app
from contracts.registry import bundled_contracts
from directory import lateness
from onceonly_cli.main import app as cli
from tests.api.conftest import Exchange

QUEUE = "/v1/directory/conflicts"


@pytest.fixture(scope="module")
def client(exchange: Exchange) -> Iterator[TestClient]:
    with TestClient(create_app(directory=exchange.directory)) as started:
        yield started


def recorded(exchange: Exchange) -> list[tuple[str, str, str]]:
    """(other resource, subject, other value) of every conflict certification recorded."""
    path = exchange.home / "serving" / "current.duckdb"
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(
            "SELECT other_resource, subject_key, other_value FROM quality.conflicts ORDER BY 1, 2"
        ).fetchall()


def test_the_other_providers_steward_sees_both_sides_and_settles_them(
    exchange: Exchange, client: TestClient
) -> None:
    conflicts = recorded(exchange)
    assert conflicts, "the sample's dirt writes some names differently than the register"
    resource = conflicts[0][0]
    department = bundled_contracts()[resource].department
    steward = exchange.token(f"conflicts.{department}", "steward", department)
    queue = client.get(QUEUE, headers=steward)
    assert queue.status_code == 200, queue.text
    mine = queue.json()
    assert len(mine) == sum(
        1 for c in conflicts if bundled_contracts()[c[0]].department == department
    )
    first = mine[0]
    assert first["status"] == "open" and first["other_department"] == department
    assert first["authoritative_value"] != first["other_value"]
    assert first["authoritative_batch"] and first["other_batch"]
    authority = bundled_contracts()[first["authoritative_resource"]]
    assert first["authoritative_department"] == authority.department != department

    settle = f"{QUEUE}/{first['id']}/resolve"
    others = exchange.token("conflicts.other", "steward", authority.department)
    refused = client.post(settle, json={"outcome": "explained", "note": "x"}, headers=others)
    assert refused.status_code == 403 and refused.json()["code"] == "not_your_department"
    admin = exchange.token("conflicts.admin", "admin", "gsc")
    assert client.get(QUEUE, headers=admin).status_code == 403
    empty = client.post(settle, json={"outcome": "explained", "note": " "}, headers=steward)
    assert empty.status_code == 422

    done = client.post(
        settle,
        json={"outcome": "corrected_at_source", "note": "已通知原系统按户籍姓名更正"},
        headers=steward,
    )
    assert done.status_code == 200, done.text
    assert done.json()["settlement"]["resolved_by"] == f"conflicts.{department}"
    again = client.post(settle, json={"outcome": "explained", "note": "再次"}, headers=steward)
    assert again.status_code == 409
    still_open = client.get(QUEUE, headers=steward).json()
    assert first["id"] not in {c["id"] for c in still_open}
    settled = client.get(QUEUE, params={"status": "settled"}, headers=steward).json()
    assert [c["id"] for c in settled] == [first["id"]]
    assert settled[0]["settlement"]["note"] == "已通知原系统按户籍姓名更正"

    audit = exchange.directory.audit
    (entry,) = audit.entries(user=f"conflicts.{department}", action="conflict.resolve")
    assert entry.outcome == "served" and entry.subject_hash == first["subject_hash"]
    (refusal,) = audit.entries(user="conflicts.other", action="conflict.resolve")
    assert refusal.outcome == "refused"
    assert len(audit.entries(user=f"conflicts.{department}", action="conflict.read")) >= len(mine)

    waiting = sum(1 for c in conflicts if c[0] == resource) - 1
    assert status_figure(resource, "open conflicts") == f"{waiting:,}"


def status_figure(resource: str, header: str) -> str:
    """One figure of `onceonly status` at 80 columns, where each resource is a record."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COLUMNS", "80")
        status = CliRunner().invoke(cli, ["status"])
    assert status.exit_code == 0, status.output
    lines = [line.strip() for line in status.output.splitlines()]
    start = next(n for n, line in enumerate(lines) if line.split() == ["resource", resource])
    for line in lines[start:]:
        if line.startswith(header):
            return line.removeprefix(header).strip()
    raise AssertionError(f"no {header} for {resource} in {status.output}")


def test_an_unknown_conflict_is_404_and_other_roles_are_refused(
    exchange: Exchange, client: TestClient
) -> None:
    steward = exchange.token("conflicts.ps", "steward", "ps")
    missing = client.post(
        f"{QUEUE}/{'0' * 32}/resolve", json={"outcome": "explained", "note": "x"}, headers=steward
    )
    assert missing.status_code == 404 and missing.json()["code"] == "unknown_conflict"
    clerk = exchange.token("conflicts.clerk", "clerk", "mr")
    assert client.get(QUEUE, headers=clerk).status_code == 403


def test_the_overview_flags_a_late_delivery_by_the_clock(
    exchange: Exchange, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    ps = exchange.token("overview.ps", "steward", "ps")
    today = client.get("/v1/quality/overview", headers=ps)
    assert today.status_code == 200, today.text
    mine = {r["resource"]: r for r in today.json()}
    assert set(mine) == {c.id for c in bundled_contracts().values() if c.department == "ps"}
    population = mine["ps_population"]
    assert population["update_cycle"] == "daily" and not population["late"]
    assert population["batches"] >= 1 and population["score"] > 0.5
    assert population["open_quarantine"] >= 0 and population["code"] == "301001/000001"
    last = dt.datetime.fromisoformat(population["last_certified_at"])

    monkeypatch.setattr(lateness, "clock", lambda: last + dt.timedelta(days=2))
    later = client.get("/v1/quality/overview", headers=ps).json()
    assert later[0]["resource"] == "ps_population" and later[0]["late"]  # late ones first
    assert later[0]["freshness"] == "late"
    assert dt.datetime.fromisoformat(later[0]["due_by"]) == last + dt.timedelta(hours=36)
    admin = exchange.token("overview.admin", "admin", "gsc")
    everyone = {r["resource"]: r for r in client.get("/v1/quality/overview", headers=admin).json()}
    assert everyone["hpf_account"]["update_cycle"] == "monthly"
    assert not everyone["hpf_account"]["late"]  # a month allows two days
    assert status_figure("ps_population", "delivery").startswith("late: daily, due ")
    assert status_figure("hpf_account", "delivery") == "on time (monthly)"

    clerk = exchange.token("overview.clerk", "clerk", "mr")
    assert client.get("/v1/quality/overview", headers=clerk).status_code == 403


def test_the_overview_counts_the_conflicts_still_open(
    exchange: Exchange, client: TestClient
) -> None:
    for department in {c.department for c in bundled_contracts().values()}:
        steward = exchange.token(f"overview.{department}", "steward", department)
        waiting = client.get(QUEUE, headers=steward).json()
        overview = client.get("/v1/quality/overview", headers=steward).json()
        assert sum(r["open_conflicts"] for r in overview) == len(waiting)
