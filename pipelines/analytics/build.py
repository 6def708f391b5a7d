"""The steps that turn a published snapshot into the analytical database.

Each step reads what the previous ones left in the work folder (Parquet, written atomically)
and writes its own results there; the Dagster assets run one step each, `build_all` runs
them in order in this process (for the CLI and tests). The last step assembles the work
folder into the analytical database and publishes it beside the snapshot.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

import settings
from directory.workdays import local_date
from pipelines.analytics.catalogue import catalogue_figures
from pipelines.analytics.database import publish_database
from pipelines.analytics.forecasting.demand import forecast_centre
from pipelines.analytics.pseudonym import pseudonym_key
from pipelines.analytics.records import case_records, read_current_cases
from pipelines.analytics.staffing import staffing_holdout, staffing_profile
from pipelines.analytics.statistics import case_statistics
from snapshot.analytics.config import AnalyticsSettings
from snapshot.analytics.database import DATABASE_FILE
from snapshot.analytics.three_colour import case_warnings
from snapshot.calendar import OfficialCalendar, calendar_file, official_calendar
from snapshot.manifest import current_version

SOURCE = "source.json"
RECORDS = "cases"
STATISTICS = "case_statistics"
WARNINGS = "case_warnings"
FORECAST_TABLES = ("demand_history", "forecasts", "forecast_models", "backtest_errors")
STAFFING_TABLES = ("staffing_profile", "staffing_holdout")


def work_dir() -> Path:
    """Intermediate results of the analytics assets (Parquet), under ONCEONLY_HOME."""
    return settings.home() / "analytics"


@dataclass(frozen=True)
class StepResult:
    rows: int
    metadata: dict[str, Any]


def records_step(serving: Path, work: Path, calendar: OfficialCalendar) -> StepResult:
    """De-identified case records with deadlines, from the current snapshot."""
    snapshot = current_version(serving)
    if snapshot is None:
        raise LookupError(f"no published snapshot in {serving}: run `onceonly ingest` first")
    records = case_records(read_current_cases(snapshot.path), calendar, pseudonym_key())
    _write(work, RECORDS, records)
    source = {
        "snapshot_version": snapshot.version,
        "snapshot_file": snapshot.path.name,
        "snapshot_published_at": snapshot.published_at.isoformat(),
    }
    _write_text(work / SOURCE, json.dumps(source))
    provisional = int(pc.sum(records.column("provisional")).as_py() or 0)
    return StepResult(records.num_rows, {**source, "provisional_cases": provisional})


def statistics_step(work: Path, as_of: dt.date) -> StepResult:
    statistics = case_statistics(_read(work, RECORDS), as_of)
    _write(work, STATISTICS, statistics)
    return StepResult(statistics.num_rows, {"as_of": as_of.isoformat()})


def warnings_step(
    work: Path, as_of: dt.date, settings: AnalyticsSettings, calendar: OfficialCalendar
) -> StepResult:
    warnings = case_warnings(_read(work, RECORDS), as_of, settings.warnings, calendar)
    _write(work, WARNINGS, warnings)
    colours = pc.value_counts(warnings.column("colour")).to_pylist()
    counts = {c["values"]: c["counts"] for c in colours}
    return StepResult(
        warnings.num_rows,
        {"as_of": as_of.isoformat(), **{c: counts.get(c, 0) for c in ("red", "yellow", "green")}},
    )


def forecast_step(
    work: Path, settings: AnalyticsSettings, calendar: OfficialCalendar
) -> StepResult:
    source = json.loads((work / SOURCE).read_text(encoding="utf-8"))
    published = dt.datetime.fromisoformat(source["snapshot_published_at"])
    complete_through = local_date(published) - dt.timedelta(days=1)
    result = forecast_centre(_read(work, RECORDS), calendar, settings.forecast, complete_through)
    tables = dict(
        zip(
            FORECAST_TABLES,
            (result.history, result.forecasts, result.models, result.backtest),
            strict=True,
        )
    )
    for name, table in tables.items():
        _write(work, name, table)
    models = result.models.to_pandas()
    forecast = models[models["status"] == "forecast"]
    by_frequency = forecast.groupby("frequency")[["mase", "baseline_mase"]].mean()
    metadata: dict[str, Any] = {
        f"{frequency}_{column}": round(float(value), 4)
        for frequency, row in by_frequency.iterrows()
        for column, value in row.items()
    }
    metadata.update({f"seconds_{k}": round(v, 2) for k, v in result.seconds.items()})
    metadata["provisional_periods"] = int(
        pc.sum(result.forecasts.column("provisional")).as_py() or 0
    )
    return StepResult(result.forecasts.num_rows, metadata)


def staffing_step(
    work: Path, settings: AnalyticsSettings, calendar: OfficialCalendar
) -> StepResult:
    """The staffing plan's inputs: handling times and morning shares per department, and the
    held-out weeks' forecast its backtest replays."""
    source = json.loads((work / SOURCE).read_text(encoding="utf-8"))
    published = dt.datetime.fromisoformat(source["snapshot_published_at"])
    complete_through = local_date(published) - dt.timedelta(days=1)
    records = _read(work, RECORDS)
    profile = staffing_profile(records, settings.staffing.afternoon[0])
    holdout = staffing_holdout(records, calendar, settings, complete_through)
    _write(work, "staffing_profile", profile)
    _write(work, "staffing_holdout", holdout)
    return StepResult(
        holdout.num_rows,
        {"departments": profile.num_rows, "holdout_weeks": settings.staffing.holdout_weeks},
    )


def database_step(
    work: Path,
    serving: Path,
    as_of: dt.date,
    settings: AnalyticsSettings,
    calendar: OfficialCalendar,
) -> StepResult:
    """Assemble the work folder into the analytical database and publish it."""
    source = json.loads((work / SOURCE).read_text(encoding="utf-8"))
    records = _read(work, RECORDS)
    forecasts = _read(work, "forecasts")
    history = _read(work, "demand_history")
    first = min(_earliest(records, "received_date"), _earliest(history, "period_start"))
    last = max(_latest(forecasts, "period_end"), as_of)
    snapshot = serving / source["snapshot_file"]
    if not snapshot.exists():  # superseded and removed since: the next build will catch up
        current = current_version(serving)
        snapshot = current.path if current else snapshot
    info = {
        **source,
        "built_at": dt.datetime.now().isoformat(timespec="seconds"),
        "as_of": as_of.isoformat(),
        "cases": records.num_rows,
        "data_from": _earliest(records, "received_date").isoformat(),
        "data_to": _latest(records, "received_date").isoformat(),
        "calendar_known_through": calendar.known_through,
        "calendar_file": str(calendar_file()),
        "horizon_days": settings.forecast.horizon_days,
        "backtest_windows": settings.forecast.windows,
    }
    tables = {
        "cases": records,
        STATISTICS: _read(work, STATISTICS),
        WARNINGS: _read(work, WARNINGS),
        **{name: _read(work, name) for name in FORECAST_TABLES},
        **{name: _read(work, name) for name in STAFFING_TABLES},
        "catalogue_figures": catalogue_figures(snapshot),
        "calendar_days": calendar_days(calendar, first, last),
        "build_info": pa.Table.from_pylist([info]),
    }
    path = publish_database(serving, tables)
    return StepResult(path.stat().st_size, {"file": path.name, **info})


def build_all(serving: Path, work: Path, settings: AnalyticsSettings, as_of: dt.date) -> Path:
    """Every step in order, in this process; returns the published database."""
    calendar = official_calendar()
    records_step(serving, work, calendar)
    statistics_step(work, as_of)
    warnings_step(work, as_of, settings, calendar)
    forecast_step(work, settings, calendar)
    staffing_step(work, settings, calendar)
    database_step(work, serving, as_of, settings, calendar)
    return serving / DATABASE_FILE


def calendar_days(calendar: OfficialCalendar, first: dt.date, last: dt.date) -> pa.Table:
    span = calendar.span(first, last)
    start = (first - span.first).days
    stop = (last - span.first).days + 1
    days = span.days[start:stop]
    return pa.table(
        {
            "day": pa.array(days.astype("datetime64[D]")),
            "weekday": pa.array(((days.astype("int64") + 3) % 7 + 1).tolist(), type=pa.int8()),
            "working": pa.array(span.working[start:stop]),
            "kind": pa.array([k.value for k in span.kinds[start:stop]]),
            "holiday_name": pa.array(list(span.names[start:stop]), type=pa.string()),
            "provisional": pa.array(span.provisional[start:stop]),
        }
    )


def _earliest(table: pa.Table, column: str) -> dt.date:
    value = pc.min(table.column(column)).as_py()
    return value if isinstance(value, dt.date) else dt.date.today()


def _latest(table: pa.Table, column: str) -> dt.date:
    value = pc.max(table.column(column)).as_py()
    return value if isinstance(value, dt.date) else dt.date.today()


def _write(work: Path, name: str, table: pa.Table) -> None:
    work.mkdir(parents=True, exist_ok=True)
    partial = work / f".{name}.parquet.next"
    pq.write_table(table, partial)
    os.replace(partial, work / f"{name}.parquet")


def _read(work: Path, name: str) -> pa.Table:
    path = work / f"{name}.parquet"
    if not path.exists():
        raise LookupError(f"{path} is missing: materialise the analytics assets in order")
    return pq.read_table(path)


def _write_text(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.next")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
