"""Dagster assets of the analytics, recomputed whenever a new snapshot is published.

case_records -> case_statistics, case_warnings, demand_forecasts, staffing_inputs -> database:
each step of `pipelines.analytics.build`, eager, unpartitioned. They read the immutable published
snapshot, not the pool, so they never wait for the pool writer. The calendar checks warn
(without blocking) when a deadline or a forecast day lies past the official schedule the
calendar knows: that is the signal to load the next year's State Council notice.
"""

from pathlib import Path

import dagster as dg

from directory.workdays import local_today
from pipelines.analytics import build
from pipelines.analytics.build import work_dir
from pipelines.asset_keys import SNAPSHOT_KEY
from pipelines.resources import PoolResource
from snapshot.analytics.config import load_settings
from snapshot.calendar import calendar_file, official_calendar

GROUP = "analytics"
RECORDS_KEY = dg.AssetKey(["analytics", "case_records"])
STATISTICS_KEY = dg.AssetKey(["analytics", "case_statistics"])
WARNINGS_KEY = dg.AssetKey(["analytics", "case_warnings"])
FORECASTS_KEY = dg.AssetKey(["analytics", "demand_forecasts"])
STAFFING_KEY = dg.AssetKey(["analytics", "staffing_inputs"])
DATABASE_KEY = dg.AssetKey(["analytics", "database"])
ANALYTICS_KEYS = (
    RECORDS_KEY,
    STATISTICS_KEY,
    WARNINGS_KEY,
    FORECASTS_KEY,
    STAFFING_KEY,
    DATABASE_KEY,
)
CALENDAR_CHECK = "official_calendar_known"
EAGER = dg.AutomationCondition.eager()


def _calendar_check(key: dg.AssetKey, what: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        CALENDAR_CHECK,
        asset=key,
        description=f"No {what} depends on days past the official schedule the calendar knows.",
    )


def _calendar_result(provisional: int, what: str) -> dg.AssetCheckResult:
    calendar = official_calendar()
    return dg.AssetCheckResult(
        check_name=CALENDAR_CHECK,
        passed=provisional == 0,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "provisional": provisional,
            "known_through": calendar.known_through,
            "what_to_do": f"{provisional} {what} use days after {calendar.known_through}: add "
            f"the State Council's schedule for the next year to {calendar_file()}"
            if provisional
            else "nothing",
        },
    )


@dg.asset(
    key=RECORDS_KEY,
    deps=[SNAPSHOT_KEY],
    group_name=GROUP,
    kinds={"duckdb", "parquet"},
    automation_condition=EAGER,
    check_specs=[_calendar_check(RECORDS_KEY, "case deadline")],
    description="Current certified cases, de-identified (keyed pseudonyms), with deadlines "
    "and handling times in working days on the official calendar.",
)
def case_records(context: dg.AssetExecutionContext, pool: PoolResource) -> dg.MaterializeResult:
    result = build.records_step(Path(pool.serving_path), work_dir(), official_calendar())
    context.log.info(
        f"{result.rows:,} case records from snapshot v{result.metadata['snapshot_version']}"
    )
    return dg.MaterializeResult(
        metadata={"rows": result.rows, **result.metadata},
        check_results=[_calendar_result(result.metadata["provisional_cases"], "case deadlines")],
    )


@dg.asset(
    key=STATISTICS_KEY,
    deps=[RECORDS_KEY],
    group_name=GROUP,
    kinds={"duckdb", "parquet"},
    automation_condition=EAGER,
    description="Received, completed, completion rate (办结率), on-time rate and handling time "
    "per item, department and period.",
)
def case_statistics() -> dg.MaterializeResult:
    result = build.statistics_step(work_dir(), local_today())
    return dg.MaterializeResult(metadata={"rows": result.rows, **result.metadata})


@dg.asset(
    key=WARNINGS_KEY,
    deps=[RECORDS_KEY],
    group_name=GROUP,
    kinds={"parquet"},
    automation_condition=EAGER,
    description="The three-colour warning (红黄绿) of every open case, as of today.",
)
def case_warnings() -> dg.MaterializeResult:
    result = build.warnings_step(work_dir(), local_today(), load_settings(), official_calendar())
    return dg.MaterializeResult(metadata={"open_cases": result.rows, **result.metadata})


@dg.asset(
    key=FORECASTS_KEY,
    deps=[RECORDS_KEY],
    group_name=GROUP,
    kinds={"statsforecast", "parquet"},
    automation_condition=EAGER,
    check_specs=[_calendar_check(FORECASTS_KEY, "forecast day")],
    description="Daily and weekly demand per service item and front window, with 80% and 95% "
    "intervals; the model per series chosen by rolling-origin backtest against seasonal naive.",
)
def demand_forecasts(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    result = build.forecast_step(work_dir(), load_settings(), official_calendar())
    context.log.info(f"{result.rows:,} forecast periods")
    return dg.MaterializeResult(
        metadata={"periods": result.rows, **result.metadata},
        check_results=[
            _calendar_result(result.metadata["provisional_periods"], "forecast periods")
        ],
    )


@dg.asset(
    key=STAFFING_KEY,
    deps=[RECORDS_KEY],
    group_name=GROUP,
    kinds={"statsforecast", "parquet"},
    automation_condition=EAGER,
    description="The staffing plan's inputs: each department's time at the window and morning "
    "share, and a forecast of its last weeks fitted without them, for the staffing backtest.",
)
def staffing_inputs() -> dg.MaterializeResult:
    result = build.staffing_step(work_dir(), load_settings(), official_calendar())
    return dg.MaterializeResult(metadata={"holdout_days": result.rows, **result.metadata})


@dg.asset(
    key=DATABASE_KEY,
    deps=[STATISTICS_KEY, WARNINGS_KEY, FORECASTS_KEY, STAFFING_KEY],
    group_name=GROUP,
    kinds={"duckdb"},
    automation_condition=EAGER,
    description="The analytical database the analysts' API and SQL workbench read, published "
    "beside the snapshot and switched atomically.",
)
def analytics_database(pool: PoolResource) -> dg.MaterializeResult:
    result = build.database_step(
        work_dir(), Path(pool.serving_path), local_today(), load_settings(), official_calendar()
    )
    return dg.MaterializeResult(metadata={"size_bytes": result.rows, **result.metadata})


def analytics_assets() -> list[dg.AssetsDefinition]:
    return [
        case_records,
        case_statistics,
        case_warnings,
        demand_forecasts,
        staffing_inputs,
        analytics_database,
    ]
