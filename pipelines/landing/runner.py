"""Landing and certifying every pending file now, in this process, recorded in Dagster.

This is what `onceonly ingest` and `make run` use: the same assets, resources and run
records as the sensor's runs (they show in the Dagster UI), without a daemon.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import dagster as dg

from contracts.registry import bundled_contracts, dependency_order
from pipelines.asset_keys import SNAPSHOT_KEY, certify_requests, listed_shards
from pipelines.landing.errors import asset_error_message
from pipelines.landing.files import Unrecognised
from pipelines.landing.requests import (
    PendingFile,
    new_partitions,
    settled_files,
)
from pipelines.resources import LandingZoneResource
from pipelines.run_liveness import DeadRun, release_run_lock, watching_for_dead_runs

# The figures of a shard's run that add up to its file's.
ROW_FIGURES = (
    "rows_landed",
    "rows_certified",
    "rows_new_versions",
    "rows_unchanged",
    "rows_quarantined",
    "rows_duplicate",
    "rows_with_warnings",
)
# The terminal shows a progress bar and a summary (with each failure's message); each run's full
# log, stack traces included, stays in Dagster's storage.
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


@dataclass(frozen=True)
class FileOutcome:
    pending: PendingFile
    success: bool
    landed: dict[str, object]
    certified: dict[str, object]
    error: str | None


def land_pending(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    progress: Callable[[int, int, PendingFile], None] | None = None,
    *,
    certify: bool = True,
    on_dead_run: Callable[[DeadRun], None] | None = None,
) -> tuple[list[FileOutcome], list[Unrecognised]]:
    """Land (and certify) each settled file as its own run, then each region shard it holds
    as a run of its own; a failure does not stop the rest.

    `certify=False` runs only the landing assets (the ingestion benchmark measures those).
    A run left unfinished by a process that is gone is failed and its slot freed, before and
    while these runs wait for the pool; `on_dead_run` hears of each.
    """
    landing_zone = (defs.resources or {})["landing_zone"]
    assert isinstance(landing_zone, LandingZoneResource)
    contracts = bundled_contracts()
    pending, unrecognised = settled_files(landing_zone.root_path, contracts, 0.0, {})
    rank = {contract_id: i for i, contract_id in enumerate(dependency_order(contracts))}
    pending.sort(key=lambda p: (rank[p.file.contract_id], p.file.path.name))
    for name, keys in new_partitions(instance, pending).items():
        instance.add_dynamic_partitions(name, keys)
    job = defs.resolve_implicit_global_asset_job_def()
    outcomes: list[FileOutcome] = []
    with watching_for_dead_runs(instance, on_dead_run):
        for index, item in enumerate(pending):
            if progress is not None:
                progress(index, len(pending), item)
            request = item.run_request()
            landed = job.execute_in_process(
                run_config={**dict(request.run_config or {}), **QUIET},
                instance=instance,
                partition_key=item.partition_key,
                asset_selection=[
                    key
                    for key in request.asset_selection or []
                    if certify or key.path[0] == "landing"
                ],
                tags=request.tags,
                raise_on_error=False,
            )
            release_run_lock(instance, landed.run_id)
            results = [landed]
            if certify and landed.success:
                shards = listed_shards(_metadata(landed).get("landing", {}))
                for shard in certify_requests(
                    item.file.contract_id, item.partition_key, shards, item.tags
                ):
                    certified = job.execute_in_process(
                        run_config=QUIET,
                        instance=instance,
                        partition_key=shard.partition_key,
                        asset_selection=shard.asset_selection,
                        tags=shard.tags,
                        raise_on_error=False,
                    )
                    release_run_lock(instance, certified.run_id)
                    results.append(certified)
            outcomes.append(_outcome(item, results))
    return outcomes, unrecognised


def publish_snapshot(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    on_dead_run: Callable[[DeadRun], None] | None = None,
) -> dict[str, object]:
    """Materialise `serving/snapshot`: the certified pool as the API will read it."""
    with watching_for_dead_runs(instance, on_dead_run):
        result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance, asset_selection=[SNAPSHOT_KEY], run_config=QUIET
        )
    release_run_lock(instance, result.run_id)
    events = result.get_asset_materialization_events()
    return {k: v.value for k, v in events[0].materialization.metadata.items()} if events else {}


def _metadata(result: dg.ExecuteInProcessResult) -> dict[str, dict[str, object]]:
    """The run's materialisations' metadata by stage (`landing`, `certified`)."""
    by_asset: dict[str, dict[str, object]] = {}
    for event in result.get_asset_materialization_events():
        materialization = event.materialization
        by_asset[materialization.asset_key.path[0]] = {
            k: v.value for k, v in materialization.metadata.items()
        }
    return by_asset


def _delivery(shard_runs: list[dict[str, object]]) -> dict[str, object]:
    """A file's certification from its shards' runs: rows summed, and the delivery's status
    (recorded by the run that certified its last shard)."""
    if not shard_runs:
        return {}
    total: dict[str, object] = {
        key: int(sum(_number(run.get(key)) for run in shard_runs)) for key in ROW_FIGURES
    }
    total["seconds"] = sum(_number(run.get("seconds")) for run in shard_runs)
    statuses = [str(run.get("status", "")) for run in shard_runs]
    recorded = [str(run["delivery_status"]) for run in shard_runs if "delivery_status" in run]
    if all(status.startswith("already") for status in statuses):
        total["status"] = statuses[0]
    else:
        total["status"] = recorded[-1] if recorded else "in_progress"
    total["shards"] = ",".join(str(run.get("shard", "")) for run in shard_runs)
    return total


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _outcome(item: PendingFile, results: list[dg.ExecuteInProcessResult]) -> FileOutcome:
    # A shard failing its blocking quality gate fails its run after the asset reported, so
    # the figures are collected whether or not each run succeeded.
    by_run = [_metadata(result) for result in results]
    landed = by_run[0].get("landing", {})
    certified = _delivery([run["certified"] for run in by_run if "certified" in run])
    failed = [result for result in results if not result.success]
    if not failed:
        return FileOutcome(item, True, landed, certified, None)
    failures = [e for e in failed[0].all_events if e.is_step_failure]
    message = "the run failed; see its logs in the Dagster UI"
    if failures and failures[0].step_failure_data and failures[0].step_failure_data.error:
        message = asset_error_message(failures[0].step_failure_data.error)
    return FileOutcome(item, False, landed, certified, message)
