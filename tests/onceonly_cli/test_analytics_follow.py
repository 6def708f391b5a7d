"""The analytics follow every publish: `onceonly ingest` rebuilds them from the snapshot it
published, so `onceonly analytics summary` and the API never report an older one.

Real Dagster runs on the sample generator's case register (the other departments' files are
left out: the analytics read only cases), ingested twice.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from onceonly_cli.main import app
from pipelines.samples import generate_landing_zone
from snapshot.analytics.database import read_manifest
from tests.api.conftest import deliver_open_cases
from tests.onceonly_cli.test_empty_home import flat

runner = CliRunner()


def run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return flat(result.output)


def test_two_ingests_and_the_analytics_report_the_latest_snapshot(
    onceonly_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    landing = onceonly_home / "landing"
    generate_landing_zone(
        landing,
        persons=300,
        enterprises=30,
        seed=5,
        case_days=90,
        end_date=dt.date(2026, 11, 20),
    )
    for department in landing.iterdir():
        if department.name != "gsc":
            shutil.rmtree(department)

    first = run("ingest")
    assert "published snapshot v1" in first and "analytics rebuilt from snapshot v1" in first
    for step in ("case records", "forecasts", "staffing inputs", "publishing the analytics"):
        assert f"{step}:" in first  # each step of the rebuild reported as it ends
    assert read_manifest(onceonly_home / "serving")["snapshot_version"] == 1

    deliver_open_cases(onceonly_home)  # the approval system's next delivery
    second = run("ingest")
    assert "published snapshot v2" in second and "analytics rebuilt from snapshot v2" in second
    assert read_manifest(onceonly_home / "serving")["snapshot_version"] == 2
    summary = run("analytics", "summary")
    assert "(snapshot v2)" in summary and "analytics:" not in summary  # current: no rebuild

    again = run("ingest")  # nothing new: the version and the analytics stay where they are
    assert "snapshot v2 keeps serving" in again and "analytics rebuilt" not in again
