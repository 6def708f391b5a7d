"""Landing and certifying every pending file now, in this process, recorded in Dagster.

This is what `onceonly ingest` and `make run` use: the same assets, resources and run
records as the sensor's runs (they show in the Dagster UI), without a daemon.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import dagster as dg

from contracts.registry import bundled_contracts, dependency_order
from pipelines.asset_keys import SNAPSHOT_KEY
from pipelines.landing.errors import asset_error_message
from pipelines.landing.files import Unrecognised
from pipelines.landing.requests import PendingFile, new_partitions, settled_files
from pipelines.resources import LandingZoneResource
from pipelines.run_liveness import DeadRun, release_run_lock, watching_for_dead_runs

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
    """Land (and certify) each settled file as its own run; a failure does not stop the rest.

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
            result = job.execute_in_process(
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
            release_run_lock(instance, result.run_id)
            outcomes.append(_outcome(item, result))
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


def _outcome(item: PendingFile, result: dg.ExecuteInProcessResult) -> FileOutcome:
    # A batch failing its blocking quality gate fails the run after both assets reported,
    # so the figures are collected whether or not the run succeeded.
    by_asset: dict[str, dict[str, object]] = {}
    for event in result.get_asset_materialization_events():
        materialization = event.materialization
        by_asset[materialization.asset_key.path[0]] = {
            k: v.value for k, v in materialization.metadata.items()
        }
    if result.success:
        return FileOutcome(
            item, True, by_asset.get("landing", {}), by_asset.get("certified", {}), None
        )
    failures = [e for e in result.all_events if e.is_step_failure]
    message = "the run failed; see its logs in the Dagster UI"
    if failures and failures[0].step_failure_data and failures[0].step_failure_data.error:
        message = asset_error_message(failures[0].step_failure_data.error)
    return FileOutcome(
        item, False, by_asset.get("landing", {}), by_asset.get("certified", {}), message
    )
