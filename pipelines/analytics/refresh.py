"""Rebuild the analytics for the current snapshot, step by step, recorded in Dagster.

Every publish must be followed by the analytics, or the analysts read a snapshot that is no
longer served (the summary once stayed on v1 while the data was on v5). Under the daemon the
analytics assets are eager downstream of the snapshot and an automation sensor that runs by
default (`pipelines.definitions`) materialises them after each publish; `onceonly ingest`
publishes in its own process, so it calls `refresh_analytics` once it has published.

Each asset is materialised in a run of its own, in dependency order, so the caller can show
which step is running (the forecasts take most of the time) and a failure names its step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from pipelines.analytics.assets import ANALYTICS_KEYS
from pipelines.analytics.records import holds_cases
from snapshot.analytics.database import read_manifest
from snapshot.manifest import current_version

QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
STEP_NAMES = {
    "case_records": "case records",
    "case_statistics": "case statistics",
    "case_warnings": "warnings",
    "demand_forecasts": "forecasts",
    "staffing_inputs": "staffing inputs",
    "database": "publishing the analytics",
}


@dataclass
class Refresh:
    success: bool = True
    snapshot_version: int | None = None
    figures: dict[str, dict[str, object]] = field(default_factory=dict)  # by step
    error: str | None = None
    failed_step: str | None = None


def behind(serving: Path) -> bool:
    """Whether a snapshot with case records is published that the analytics were not built
    from (without case records there is nothing to analyse)."""
    snapshot = current_version(serving)
    if snapshot is None or not holds_cases(snapshot.path):
        return False
    manifest = read_manifest(serving)
    return manifest is None or manifest.get("snapshot_version") != snapshot.version


def refresh_analytics(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    on_step: Callable[[int, int, str], None] | None = None,
) -> Refresh:
    """Materialise every analytics asset in order; `on_step(done, total, name)` before each."""
    job = defs.resolve_implicit_global_asset_job_def()
    outcome = Refresh()
    for done, key in enumerate(ANALYTICS_KEYS):
        name = STEP_NAMES.get(key.path[-1], key.to_user_string())
        if on_step:
            on_step(done, len(ANALYTICS_KEYS), name)
        result = job.execute_in_process(
            instance=instance, asset_selection=[key], run_config=QUIET, raise_on_error=False
        )
        for event in result.get_asset_materialization_events():
            metadata = event.materialization.metadata
            outcome.figures[name] = {k: v.value for k, v in metadata.items()}
        if not result.success:
            outcome.success, outcome.failed_step = False, name
            outcome.error = _failure(result)
            return outcome
    if on_step:
        on_step(len(ANALYTICS_KEYS), len(ANALYTICS_KEYS), "done")
    built = outcome.figures.get(STEP_NAMES["database"], {}).get("snapshot_version")
    outcome.snapshot_version = int(built) if isinstance(built, int) else None
    return outcome


def _failure(result: dg.ExecuteInProcessResult) -> str:
    failures = [e for e in result.all_events if e.is_step_failure]
    if failures and failures[0].step_failure_data and failures[0].step_failure_data.error:
        error = failures[0].step_failure_data.error
        while error.cause is not None:
            error = error.cause
        return error.message.strip()
    return "see the run's logs in the Dagster UI"
