"""Landing every pending file now, in this process, recorded in the Dagster instance.

This is what `onceonly ingest` and `make run` use: the same assets, resources and run
records as the sensor's runs (they show in the Dagster UI), without a daemon.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import dagster as dg

from contracts.registry import bundled_contracts
from pipelines.landing.files import Unrecognised
from pipelines.landing.requests import PendingFile, new_partitions, settled_files
from pipelines.resources import LandingZoneResource


@dataclass(frozen=True)
class FileOutcome:
    pending: PendingFile
    success: bool
    metadata: dict[str, object]
    error: str | None


def land_pending(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    progress: Callable[[int, int, PendingFile], None] | None = None,
) -> tuple[list[FileOutcome], list[Unrecognised]]:
    """Land each settled file as its own run; a failing file does not stop the others."""
    landing_zone = (defs.resources or {})["landing_zone"]
    assert isinstance(landing_zone, LandingZoneResource)
    pending, unrecognised = settled_files(landing_zone.root_path, bundled_contracts(), 0.0, {})
    for name, keys in new_partitions(instance, pending).items():
        instance.add_dynamic_partitions(name, keys)
    job = defs.resolve_implicit_global_asset_job_def()
    outcomes: list[FileOutcome] = []
    for index, item in enumerate(pending):
        if progress is not None:
            progress(index, len(pending), item)
        request = item.run_request()
        result = job.execute_in_process(
            run_config=request.run_config,
            instance=instance,
            partition_key=item.partition_key,
            asset_selection=list(request.asset_selection or []),
            tags=request.tags,
            raise_on_error=False,
        )
        outcomes.append(_outcome(item, result))
    return outcomes, unrecognised


def _outcome(item: PendingFile, result: dg.ExecuteInProcessResult) -> FileOutcome:
    if result.success:
        events = result.get_asset_materialization_events()
        metadata: dict[str, object] = (
            {k: v.value for k, v in events[0].materialization.metadata.items()} if events else {}
        )
        return FileOutcome(item, True, metadata, None)
    failures = [e for e in result.all_events if e.is_step_failure]
    message = "the run failed; see its logs in the Dagster UI"
    if failures and failures[0].step_failure_data and failures[0].step_failure_data.error:
        error = failures[0].step_failure_data.error
        while error.cause is not None:  # Dagster wraps the asset's own error; report that one
            error = error.cause
        message = error.message.strip().split(": ", 1)[-1]
    return FileOutcome(item, False, {}, message)
