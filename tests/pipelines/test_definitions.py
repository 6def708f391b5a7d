"""The Dagster code location loads, and its assets, sensor and schedules really run."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from contracts.registry import bundled_contracts
from pipelines.definitions import build_definitions
from pipelines.instance import ensure_dagster_home, get_instance
from pipelines.landing.runner import QUIET, land_pending
from pipelines.samples import generate_landing_zone
from tests.pipelines.landing import feeds

ROOT = Path(__file__).parents[2]
DAGSTER = str(
    Path(sys.executable).with_name("dagster")
)  # the command `make ui` and `make test` run


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
    assert defs.resolve_schedule_def("ps_population_landing_sweep").cron_schedule == "0 2 * * *"
    assert defs.resolve_schedule_def("hrss_insurance_landing_sweep").cron_schedule == "0 2 1 * *"


def test_the_code_location_validates_as_the_ui_loads_it(onceonly_home: Path) -> None:
    """`dagster definitions validate` loads workspace.yaml as `dagster dev` does and builds
    every job a schedule or sensor targets: one that Dagster cannot build fails it."""
    ensure_dagster_home()
    result = subprocess.run(
        [DAGSTER, "definitions", "validate", "-w", "workspace.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "Validation successful for code location onceonly" in output


def test_every_job_schedule_and_sensor_builds_and_requests_launchable_runs(
    onceonly_home: Path,
) -> None:
    """Every resource delivers a file; every schedule and the sensor ask for runs that the
    job Dagster would launch for them can execute."""
    generate_landing_zone(onceonly_home / "landing", persons=60, enterprises=6, seed=3, case_days=2)
    settled = time.time() - 60
    for path in (onceonly_home / "landing").rglob("*"):
        os.utime(path, (settled, settled))
    contracts = bundled_contracts()
    defs = build_definitions()
    repository = defs.get_repository_def()
    for job_name in repository.job_names:
        assert repository.get_job(job_name).name == job_name
    instance = get_instance()
    schedules = {s.name: s for s in repository.schedule_defs}
    assert set(schedules) == {f"{c}_landing_sweep" for c in contracts}
    requested: dict[str, list[dg.RunRequest]] = {}
    for name, schedule in schedules.items():
        with dg.build_schedule_context(
            instance=instance, resources=defs.resources, repository_def=repository
        ) as context:
            data = schedule.evaluate_tick(context)
        assert data.run_requests, f"{name} asked for nothing: {data.skip_message}"
        requested[name] = list(data.run_requests)
        job = repository.get_job(schedule.job_name)
        for request in data.run_requests:
            assert job.get_subset(asset_selection=set(request.asset_selection or []))
    sensor = repository.get_sensor_def("landing_zone_sensor")
    # As the daemon's code server evaluates it: with an instance ref, so that the run requests
    # are resolved against the job Dagster would launch.
    with dg.build_sensor_context(
        instance_ref=instance.get_ref(), resources=defs.resources, repository_def=repository
    ) as context:
        ticked = sensor.evaluate_tick(context)
    assert {r.tags["onceonly/file"] for r in ticked.run_requests or []} == {
        r.tags["onceonly/file"] for rs in requested.values() for r in rs
    }
    for request in ticked.run_requests or []:
        job = repository.get_job(request.job_name or "")
        assert job.get_subset(asset_selection=set(request.asset_selection or []))
    # A department with two resources, each on its own cycle: both sweeps really run.
    assert contracts["ca_marriage"].update_cycle != contracts["ca_subsidy"].update_cycle
    for name in ("ca_marriage_landing_sweep", "ca_subsidy_landing_sweep"):
        request = requested[name][0]
        result = repository.get_job(schedules[name].job_name).execute_in_process(
            run_config={**dict(request.run_config or {}), **QUIET},
            instance=instance,
            partition_key=request.partition_key,
            tags=request.tags,
        )
        assert result.success


def test_workspace_yaml_points_at_the_definitions() -> None:
    text = (Path(__file__).parents[2] / "workspace.yaml").read_text(encoding="utf-8")
    assert "pipelines.definitions" in text


@pytest.mark.parametrize(
    ("level", "shards"), [("none", ["00"]), ("province", ["00", "41"])], ids=["whole", "provinces"]
)
def test_runs_materialise_into_a_real_duckdb_file(
    onceonly_home: Path, monkeypatch: pytest.MonkeyPatch, level: str, shards: list[str]
) -> None:
    monkeypatch.setenv("ONCEONLY_SHARDS", level)
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
    # By province, the bad check digit has no region: two shards, each certified in a run of
    # its own; not sharded, the delivery is the one shard 00.
    landed = materialization.asset_materialization
    assert landed is not None and landed.metadata["shards"].value == ",".join(shards)
    assert outcomes[0].certified["rows_landed"] == 5
    assert outcomes[0].certified["status"] == "certified"
    certified = instance.get_materialized_partitions(dg.AssetKey(["certified", "ps_population"]))
    partition = materialization.asset_materialization.partition
    if level == "none":  # partitioned by file alone, certified by the run that landed it
        assert certified == {partition}
        assert [s.name for s in defs.sensors or []] == [
            "landing_zone_sensor",
            "publish_and_analytics_sensor",
        ]
        return
    assert certified == {f"{partition}|{shard}" for shard in shards}
    # The sensor asks for the same runs: one per shard the landing run listed.
    sensor = defs.resolve_sensor_def("certify_shards_sensor")
    with dg.build_sensor_context(instance=instance, resources=defs.resources) as context:
        result = sensor(context)
    assert isinstance(result, dg.SensorResult)
    assert [r.run_key for r in result.run_requests or []] == [
        f"ps_population:{partition}:{shard}" for shard in shards
    ]


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
