"""The staffing plan's inputs, built with the analytics: each department's time at the
window and morning share (`staffing_profile`), and a forecast of its last weeks made without
them (`staffing_holdout`), which the staffing backtest replays.

The plan itself depends on the service level an analyst asks for, so it is computed when
asked (`snapshot.analytics.staffing_plan`); only what it needs from the records is stored.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pyarrow as pa

from pipelines.analytics.forecasting.days import LOOKAHEAD_DAYS, centre_days
from pipelines.analytics.forecasting.demand import centre_series, daily
from pipelines.analytics.forecasting.engine import ID
from pipelines.analytics.forecasting.framing import SeriesSet
from snapshot.analytics.config import AnalyticsSettings
from snapshot.analytics.staffing_plan import HANDLING_MINUTES_SQL
from snapshot.calendar import OfficialCalendar

HOLDOUT_COLUMNS = (
    "department",
    "day",
    "closed",
    "provisional",
    "forecast",
    "lo_80",
    "hi_80",
    "lo_95",
    "hi_95",
    "fitted_through",
)


def staffing_profile(records: pa.Table, afternoon_start: str) -> pa.Table:
    """Per department: cases, cases that record their time at the window, its average, and
    the share of applicants received before the afternoon opens."""
    query = f"""
        SELECT department, count(*) AS cases, count(minutes) AS timed_cases,
               avg(minutes) AS handling_minutes,
               avg(CAST(CAST(received_at AS TIME) < CAST($afternoon AS TIME) AS DOUBLE))
                   AS morning_share
        FROM (SELECT *, {HANDLING_MINUTES_SQL} AS minutes FROM records)
        GROUP BY department ORDER BY department"""
    with duckdb.connect() as con:
        con.register("records", records)
        return con.sql(query, params={"afternoon": afternoon_start}).to_arrow_table()


def staffing_holdout(
    records: pa.Table,
    calendar: OfficialCalendar,
    settings: AnalyticsSettings,
    complete_through: dt.date | None = None,
) -> pa.Table:
    """Each department's daily forecast of its last `holdout_weeks`, fitted on the days
    before them by the same method (candidates, backtest, choice) as the published one."""
    weeks = settings.staffing.holdout_weeks
    received = pd.to_datetime(records.column("received_date").to_pandas())
    if received.empty:
        return _empty()
    first, last = received.min().date(), received.max().date()
    if complete_through is not None:
        last = max(min(last, complete_through), first)
    cut = last - dt.timedelta(days=7 * weeks)
    if cut <= first:
        return _empty()
    book = centre_days(calendar, first, last + dt.timedelta(days=7 + LOOKAHEAD_DAYS))
    series, labels = centre_series(records, book, cut)
    departments = [i for i, sid in enumerate(series.ids) if sid.startswith("department:")]
    subset = SeriesSet(
        ids=[series.ids[i] for i in departments],
        values=series.values[departments],
        first=series.first[departments],
        last=series.last[departments],
    )
    forecast_settings = settings.forecast.model_copy(update={"horizon_days": 7 * weeks})
    result = daily(subset, book, forecast_settings)
    if result.forecasts.empty:
        return _empty()
    frame = result.forecasts.merge(labels, left_on=ID, right_on="series_id")
    frame = frame.assign(department=frame["series_key"], day=frame["period_start"])
    frame["fitted_through"] = pd.Timestamp(cut)
    table = pa.Table.from_pandas(frame[list(HOLDOUT_COLUMNS)], preserve_index=False)
    for name in ("day", "fitted_through"):
        table = table.set_column(
            table.schema.get_field_index(name), name, table.column(name).cast(pa.date32())
        )
    return table


def _empty() -> pa.Table:
    return pa.table(
        {
            "department": pa.array([], pa.string()),
            "day": pa.array([], pa.date32()),
            "closed": pa.array([], pa.bool_()),
            "provisional": pa.array([], pa.bool_()),
            **{c: pa.array([], pa.float64()) for c in HOLDOUT_COLUMNS[4:9]},
            "fitted_through": pa.array([], pa.date32()),
        }
    )
