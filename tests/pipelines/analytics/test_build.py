"""Building and publishing the analytical database: through Dagster, atomically, de-identified."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest

from pipelines.analytics.assets import ANALYTICS_KEYS, CALENDAR_CHECK, FORECASTS_KEY
from pipelines.analytics.build import build_all
from pipelines.analytics.pseudonym import key_path, pseudonym_key
from pipelines.definitions import build_definitions
from pipelines.instance import get_instance
from pipelines.landing.runner import QUIET
from snapshot.analytics.config import AnalyticsSettings, ForecastSettings
from snapshot.analytics.database import VIEWS, open_analytics, read_manifest
from tests.pipelines.analytics.support import AS_OF, SAMPLE_END, synthetic_cases, write_snapshot

LIGHT = AnalyticsSettings(forecast=ForecastSettings(horizon_days=14, windows=2))
LIGHT_YAML = "forecast:\n  horizon_days: 14\n  windows: 2\n"


@cache
def _cases() -> tuple[dict[str, Any], ...]:
    return tuple(synthetic_cases(300, SAMPLE_END))


def test_dagster_materialises_the_analytics_after_a_snapshot(onceonly_home: Path) -> None:
    write_snapshot(onceonly_home / "serving", list(_cases()))
    (onceonly_home / "analytics.yaml").write_text(LIGHT_YAML, encoding="utf-8")
    defs = build_definitions()
    graph = defs.resolve_asset_graph()
    for key in ANALYTICS_KEYS:
        assert graph.get(key).automation_condition is not None
    assert dg.AssetKey(["serving", "snapshot"]) in graph.get(ANALYTICS_KEYS[0]).parent_keys
    instance = get_instance()
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=instance, asset_selection=list(ANALYTICS_KEYS), run_config=QUIET
    )
    assert result.success
    database = onceonly_home / "serving" / "analytics.duckdb"
    with duckdb.connect(str(database), read_only=True) as con:
        tables = {
            row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        }
        assert tables == set(VIEWS)
        assert con.execute("SELECT count(*) FROM cases").fetchall()[0][0] == len(_cases())
    check = instance.event_log_storage.get_latest_asset_check_execution_by_key(
        [dg.AssetCheckKey(FORECASTS_KEY, CALENDAR_CHECK)]
    )
    assert check[dg.AssetCheckKey(FORECASTS_KEY, CALENDAR_CHECK)].status.value == "SUCCEEDED"
    manifest = read_manifest(onceonly_home / "serving")
    assert manifest is not None and manifest["snapshot_version"] == 1
    assert manifest["horizon_days"] == 14  # the centre's analytics.yaml was applied


def test_publishing_is_atomic_and_nothing_raw_reaches_readers(
    onceonly_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ONCEONLY_PSEUDONYM_KEY", raising=False)
    serving = onceonly_home / "serving"
    cases = list(_cases())
    write_snapshot(serving, cases)
    settings = LIGHT
    database = build_all(serving, onceonly_home / "analytics", settings, AS_OF)

    keys = {row["applicant_key"] for row in cases}
    stored = key_path()
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    secret = stored.read_text(encoding="ascii").strip()
    raw = database.read_bytes()
    assert secret.encode() not in raw
    assert not any(key.encode() in raw for key in list(keys)[:50])
    with open_analytics(database, settings.workbench) as con:
        pseudonyms = {r[0] for r in con.execute("SELECT applicant_pseudonym FROM cases").fetchall()}
        columns = {r[0] for r in con.execute("SELECT column_name FROM duckdb_columns()").fetchall()}
    assert len(pseudonyms) == len(keys) and not pseudonyms & keys
    assert "applicant_key" not in columns

    with duckdb.connect(str(database), read_only=True) as before:
        write_snapshot(serving, cases[: len(cases) // 2], version=2)
        build_all(serving, onceonly_home / "analytics", settings, AS_OF + dt.timedelta(days=1))
        # The open reader still sees the build it opened, whole.
        assert before.execute("SELECT snapshot_version FROM build_info").fetchall() == [(1,)]
        assert before.execute("SELECT count(*) FROM cases").fetchall() == [(len(cases),)]
    with duckdb.connect(str(database), read_only=True) as after:
        assert after.execute("SELECT snapshot_version FROM build_info").fetchall() == [(2,)]
        after_pseudonyms = {
            r[0] for r in after.execute("SELECT applicant_pseudonym FROM cases").fetchall()
        }
    assert after_pseudonyms <= pseudonyms  # the key was generated once, then reused
    assert json.loads((serving / "analytics.json").read_text())["snapshot_version"] == 2
    assert not [p for p in os.listdir(serving) if p.endswith(".next")]


def test_a_configured_key_is_used_and_a_short_one_refused(
    onceonly_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ONCEONLY_PSEUDONYM_KEY", "a" * 32)
    assert pseudonym_key() == b"a" * 32 and not key_path().exists()
    monkeypatch.setenv("ONCEONLY_PSEUDONYM_KEY", "short")
    with pytest.raises(ValueError, match="at least 16"):
        pseudonym_key()
