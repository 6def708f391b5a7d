"""Forecasting: closed days forecast as closed, the output's shape, sanity of intervals and of
the backtest, the holiday regressors, provisional days."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from pipelines.analytics.forecasting.days import (
    LOOKAHEAD_DAYS,
    DayBook,
    centre_days,
    every_day,
    weekdays,
    without,
)
from pipelines.analytics.forecasting.demand import FrequencyResult, daily, weekly
from pipelines.analytics.forecasting.framing import SeriesSet, frame_daily
from pipelines.analytics.forecasting.metrics import DemandClass, demand_class
from pipelines.analytics.forecasting.models import BASELINE, daily_candidates, weekly_candidates
from snapshot.analytics.config import ForecastSettings
from snapshot.calendar import OfficialCalendar

CALENDAR = OfficialCalendar()
END = dt.date(2026, 1, 30)  # a Friday; the 28 days after it hold the Spring Festival closure
SETTINGS = ForecastSettings(horizon_days=28, windows=2)
WEEKDAY = np.array([1.3, 1.1, 1.0, 0.9, 0.7, 0.8, 0.8])


def _series(end: dt.date, days: int = 600) -> tuple[SeriesSet, DayBook]:
    """A busy item with a strong weekly shape, and a sparse one (a case every ten days)."""
    first = end - dt.timedelta(days=days - 1)
    book = centre_days(CALENDAR, first, end + dt.timedelta(days=28 + 7 + LOOKAHEAD_DAYS))
    rng = np.random.default_rng(3)
    weekday = (book.days.astype(np.int64) + 3) % 7
    busy = rng.poisson(40 * WEEKDAY[weekday]) * book.open
    sparse = rng.poisson(0.1 * np.ones(len(book.days))) * book.open
    values = np.vstack([busy, sparse]).astype(np.float64)
    values[:, days:] = 0.0  # nothing is known after the end
    series = SeriesSet(
        ids=["item:busy", "item:sparse"],
        values=values,
        first=np.zeros(2, dtype=np.int64),
        last=np.full(2, days - 1, dtype=np.int64),
    )
    return series, book


@pytest.fixture(scope="module")
def results() -> dict[str, FrequencyResult]:
    series, book = _series(END)
    return {"daily": daily(series, book, SETTINGS), "weekly": weekly(series, book, SETTINGS)}


def test_closed_days_are_forecast_as_closed(results: dict[str, FrequencyResult]) -> None:
    rows = results["daily"].forecasts
    busy = rows[rows["unique_id"] == "item:busy"].set_index("period_start")
    spring = busy.loc[pd.Timestamp("2026-02-15") : pd.Timestamp("2026-02-23")]
    assert len(spring) == 9 and spring["closed"].all()
    for column in ("forecast", "lo_80", "hi_80", "lo_95", "hi_95"):
        assert (busy.loc[busy["closed"], column] == 0).all()
    weekend = busy.loc[pd.Timestamp("2026-02-07")]  # a Saturday
    assert weekend["closed"] and weekend["open_days"] == 0
    worked = busy.loc[pd.Timestamp("2026-02-14")]  # the Saturday worked before the festival
    assert not worked["closed"] and worked["forecast"] > 10
    assert (busy.loc[~busy["closed"], "forecast"] > 10).all()
    weeks = results["weekly"].forecasts
    festival = weeks[(weeks["unique_id"] == "item:busy") & (weeks["period_start"] == "2026-02-16")]
    assert festival["closed"].all() and (festival["forecast"] == 0).all()


def test_output_shape(results: dict[str, FrequencyResult]) -> None:
    days, weeks = results["daily"], results["weekly"]
    assert len(days.forecasts) == 2 * SETTINGS.horizon_days
    assert days.forecasts["period_start"].min() == pd.Timestamp(END + dt.timedelta(days=1))
    assert len(weeks.forecasts) == 2 * 4  # ceil(28 / 7) weeks per series
    assert set(weeks.forecasts["period_start"].dt.dayofweek) == {0}  # weeks start on Monday
    assert len(days.models) == 2 and set(days.models["status"]) == {"forecast"}
    assert len(days.backtest) == 2 * len(daily_candidates())
    assert len(weeks.backtest) == 2 * len(weekly_candidates())
    assert days.backtest.groupby("unique_id")["chosen"].sum().eq(1).all()


def test_intervals_and_backtest_are_sane(results: dict[str, FrequencyResult]) -> None:
    for result in results.values():
        rows = result.forecasts
        ordered = ["lo_95", "lo_80", "forecast", "hi_80", "hi_95"]
        values = rows[ordered].to_numpy()
        assert (values >= 0).all()
        assert (np.diff(values, axis=1) >= -1e-9).all()
        scores = result.backtest.set_index(["unique_id", "model"])
        for sid, model in result.models.set_index("unique_id")["model"].items():
            assert scores.loc[(sid, model), "mae"] <= scores.loc[(sid, BASELINE), "mae"]
    busy = results["daily"].models.set_index("unique_id").loc["item:busy"]
    assert busy["mase"] < 0.9 * busy["baseline_mase"]  # a weekly shape the baseline misreads
    weekly_busy = results["weekly"].forecasts.query("unique_id == 'item:busy' and not closed")
    assert weekly_busy["forecast"].between(100, 300).all()  # about 40 a day, 5 days a week


def test_sparse_series_are_intermittent_and_get_an_intermittent_method() -> None:
    rng = np.random.default_rng(0)
    assert demand_class(rng.poisson(0.1, 400).astype(float)) is DemandClass.intermittent
    assert demand_class(rng.poisson(30, 400).astype(float)) is DemandClass.smooth
    assert demand_class(np.zeros(10)) is DemandClass.none
    names = {c.name for c in daily_candidates()}
    assert {"CrostonOptimized", "ADIDA", "IMAPA"} <= names


def test_regressors_mark_the_days_around_long_holidays() -> None:
    book = centre_days(CALENDAR, dt.date(2026, 9, 1), dt.date(2026, 10, 31))
    regressors = pd.DataFrame(book.regressors(), index=book.days[book.open])
    assert regressors.loc[np.datetime64("2026-09-30"), "pre_holiday_1"] == 1
    assert regressors.loc[np.datetime64("2026-09-29"), "pre_holiday_2"] == 1
    assert regressors.loc[np.datetime64("2026-10-08"), "post_holiday_1"] == 1
    assert regressors.loc[np.datetime64("2026-10-09"), "post_holiday_2"] == 1
    assert regressors.loc[np.datetime64("2026-10-10"), "weekend_workday"] == 1
    assert regressors.loc[np.datetime64("2026-10-14"), "post_holiday_1"] == 0
    assert book.season_length == 5


def test_books_for_a_users_own_calendar() -> None:
    first, last = dt.date(2025, 12, 20), dt.date(2026, 1, 10)
    christmas, closed = dt.date(2025, 12, 25), dt.date(2026, 1, 5)
    open_daily = every_day(first, last, holidays={christmas}, closed={closed})
    assert open_daily.season_length == 7 and not open_daily.open[(closed - first).days]
    regressors = pd.DataFrame(open_daily.regressors(), index=open_daily.days[open_daily.open])
    assert regressors.loc[np.datetime64(christmas), "holiday"] == 1
    assert regressors.loc[np.datetime64("2025-12-24"), "pre_holiday_1"] == 1
    assert regressors.loc[np.datetime64("2025-12-26"), "post_holiday_1"] == 1
    assert regressors.loc[np.datetime64("2026-01-06"), "post_closure_1"] == 1
    office = weekdays(first, last, holidays={christmas})
    assert office.season_length == 5 and not office.open[(christmas - first).days]
    assert not office.open[(dt.date(2025, 12, 20) - first).days]  # a Saturday
    centre = without(centre_days(CALENDAR, first, last), {dt.date(2025, 12, 22)})
    assert not centre.open[2] and centre.season_length == 5


def test_forecast_days_past_the_known_calendar_are_provisional() -> None:
    series, book = _series(dt.date(2026, 12, 18), days=400)
    framed = frame_daily(series, book, 28)
    future = framed.future[framed.future["unique_id"] == "item:busy"]
    in_2027 = future["period_start"] >= pd.Timestamp("2027-01-01")
    assert in_2027.any() and future.loc[in_2027, "provisional"].all()
    assert not future.loc[~in_2027, "provisional"].any()
