"""The Dagster code location loads, and its assets, sensor and schedules really run."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.definitions import build_definitions
from pipelines.instance import get_instance
from pipelines.landing.runner import land_pending
from tests.pipelines.landing import feeds


def _population_file(landing: Path, name: str = "人口基本信息_20261120.csv") -> Path:
    return feeds.write_csv(
        landing / "ps" / "ps_population" / name,
        feeds.POPULATION_HEADER,
        feeds.population_rows(),
        "gbk",
    )


def test_definitions_load_with_an_asset_per_contract(onceonly_home: Path) -> None:
    defs = build_definitions()
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"landing/ps_population", "landing/mr_enterprise", "landing/gsc_cases"} <= keys
    assert defs.resolve_sensor_def("landing_zone_sensor") is not None
    assert defs.resolve_schedule_def("ps_landing_sweep").cron_schedule == "0 2 * * *"
    assert defs.resolve_schedule_def("hrss_landing_sweep").cron_schedule == "0 2 1 * *"


def test_workspace_yaml_points_at_the_definitions() -> None:
    text = (Path(__file__).parents[2] / "workspace.yaml").read_text(encoding="utf-8")
    assert "pipelines.definitions" in text


def test_runs_materialise_into_a_real_duckdb_file(onceonly_home: Path) -> None:
    _population_file(onceonly_home / "landing")
    (onceonly_home / "landing" / "ps" / "unknown_feed").mkdir(parents=True)
    (onceonly_home / "landing" / "ps" / "unknown_feed" / "x.csv").write_text("a\n1\n")
    defs = build_definitions()
    instance = get_instance()
    outcomes, unrecognised = land_pending(defs, instance)
    assert [o.success for o in outcomes] == [True]
    assert outcomes[0].landed["rows_landed"] == 5
    assert [u.reason for u in unrecognised] == ["no contract named 'unknown_feed'"]
    pool = onceonly_home / "pool" / "pool.duckdb"
    with duckdb.connect(str(pool), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM landing.ps_population").fetchall() == [(5,)]
    key = dg.AssetKey(["landing", "ps_population"])
    materialization = instance.get_latest_materialization_event(key)
    assert materialization is not None
    check = instance.event_log_storage.get_latest_asset_check_execution_by_key(
        [dg.AssetCheckKey(key, "rows_accounted")]
    )
    assert check[dg.AssetCheckKey(key, "rows_accounted")].status.value == "SUCCEEDED"


def test_a_failing_file_fails_its_run_and_not_the_others(onceonly_home: Path) -> None:
    landing = onceonly_home / "landing"
    _population_file(landing)
    broken = landing / "ps" / "ps_population" / "人口基本信息_20261121.csv"
    broken.write_bytes(b"")
    outcomes, _ = land_pending(build_definitions(), get_instance())
    by_name = {o.pending.file.path.name: o for o in outcomes}
    assert by_name["人口基本信息_20261120.csv"].success
    failed = by_name["人口基本信息_20261121.csv"]
    assert not failed.success and failed.error is not None and "empty" in failed.error


def test_sensor_requests_one_run_per_new_content(onceonly_home: Path) -> None:
    landing = onceonly_home / "landing"
    first = _population_file(landing)
    old = first.stat().st_mtime - 60
    os.utime(first, (old, old))
    defs = build_definitions()
    sensor = defs.resolve_sensor_def("landing_zone_sensor")
    instance = get_instance()
    with dg.build_sensor_context(instance=instance, resources=defs.resources) as context:
        result = sensor(context)
    assert isinstance(result, dg.SensorResult)
    assert len(result.run_requests or []) == 1
    request = (result.run_requests or [])[0]
    assert request.run_key == f"ps_population:{request.partition_key}"
    assert result.dynamic_partitions_requests is not None
    # The same bytes under another name: same run key, so Dagster launches nothing new.
    resent = first.with_name("人口基本信息_20261120_重发.csv")
    resent.write_bytes(first.read_bytes())
    os.utime(resent, (old, old))
    with dg.build_sensor_context(
        instance=instance, resources=defs.resources, cursor=result.cursor
    ) as context:
        again = sensor(context)
    assert isinstance(again, dg.SensorResult)
    assert {r.run_key for r in again.run_requests or []} == {request.run_key}
    # A file still being written waits for the next tick.
    fresh = first.with_name("人口基本信息_20261122.csv")
    fresh.write_bytes(first.read_bytes() + "刚写入\r\n".encode("gbk"))
    with dg.build_sensor_context(instance=instance, resources=defs.resources) as context:
        latest = sensor(context)
    assert isinstance(latest, dg.SensorResult)
    assert all(
        "20261122" not in (r.tags or {}).get("onceonly/file", "") for r in latest.run_requests or []
    )
