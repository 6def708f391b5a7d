"""Demand forecasts for many series: backtest every candidate, choose, forecast, lay out by date.

`run_frequency` is the whole method for one frequency; the centre's asset and the benchmark
run it, and `onceonly forecast backtest` runs its backtest half on a user's file.
`forecast_centre` applies it to the case records: daily and weekly, per service item and per
front window, on the most recent `history_days`.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from pipelines.analytics.forecasting.days import LOOKAHEAD_DAYS, DayBook, centre_days
from pipelines.analytics.forecasting.engine import (
    DS,
    ID,
    INTERVAL_COLUMNS,
    Problem,
    Y,
    choose,
    cross_validate,
    forecast,
    score,
)
from pipelines.analytics.forecasting.framing import Framed, SeriesSet, frame_daily, frame_weekly
from pipelines.analytics.forecasting.metrics import demand_class
from pipelines.analytics.forecasting.models import (
    BASELINE,
    Candidate,
    daily_candidates,
    weekly_candidates,
)
from snapshot.analytics.config import ForecastSettings
from snapshot.calendar import OfficialCalendar

LABELS = ("series_id", "series_kind", "series_key", "series_name")
FORECAST_STEP = "forecast"  # key of the final fit's wall time in `seconds`


@dataclass(frozen=True)
class FrequencyResult:
    history: pd.DataFrame  # ID, period_start, period_end, open_days, value
    forecasts: pd.DataFrame  # ID, period_start, period_end, open_days, closed, provisional,
    # model, forecast and the interval columns
    models: pd.DataFrame  # one row per series: status, chosen model and its backtest errors
    backtest: pd.DataFrame  # one row per series and candidate
    seconds: dict[str, float]  # wall time per candidate's backtest, and of the final fit
    holdout: pd.DataFrame | None  # scores on windows held out of the choice, when asked


@dataclass(frozen=True)
class DemandForecast:
    history: pa.Table
    forecasts: pa.Table
    models: pa.Table
    backtest: pa.Table
    seconds: dict[str, float]


def run_frequency(
    framed: Framed,
    candidates: Sequence[Candidate],
    windows: int,
    jobs: int,
    holdout: int = 0,
) -> FrequencyResult:
    """Backtest on `windows` origins, choose per series, forecast; with `holdout` > 0, the
    last origins are kept out of the choice and scored apart (an honest error estimate)."""
    problem = framed.problem
    eligible, status = eligibility(problem, windows + holdout)
    names = [c.name for c in candidates]
    if not eligible:
        return _without_forecasts(framed, status)
    sub = problem.only(eligible)
    backtest = cross_validate(sub, candidates, windows + holdout, jobs)
    scores = score(backtest, names, range(1, windows + 1))
    choice = choose(scores, names)
    started = time.perf_counter()
    predicted = forecast(sub, candidates, choice, jobs)
    seconds = {**backtest.seconds, FORECAST_STEP: time.perf_counter() - started}
    held = score(backtest, names, range(windows + 1, windows + holdout + 1)) if holdout else None
    history = problem.history
    active = history[DS] < history[ID].map(_training_end(problem, windows + holdout))
    classes = (
        history[active]
        .groupby(ID)[Y]
        .agg(lambda y: demand_class(y.to_numpy(dtype=np.float64)).value)
    )
    return FrequencyResult(
        history=framed.history.drop(columns=[DS]),
        forecasts=_forecast_rows(framed.future, predicted, choice),
        models=_model_rows(framed, status, choice, scores, classes, windows),
        backtest=scores.assign(
            chosen=scores["model"].to_numpy() == scores[ID].map(choice).to_numpy(),
            baseline=scores["model"] == BASELINE,
            seconds=scores["model"].map(seconds),
        ),
        seconds=seconds,
        holdout=held,
    )


def eligibility(problem: Problem, windows: int) -> tuple[list[str], pd.Series]:
    """Series long enough to backtest over `windows` with demand before the first origin,
    and every series' status ("forecast", "history_too_short" or "no_demand")."""
    history = problem.history
    lengths = history.groupby(ID)[DS].size()
    active = history[DS] < history[ID].map(_training_end(problem, windows))
    demand = history[active].groupby(ID)[Y].sum().reindex(lengths.index).fillna(0)
    long_enough = lengths >= problem.min_length(windows)
    status = pd.Series("forecast", index=lengths.index, dtype=object)
    status[~long_enough] = "history_too_short"
    status[long_enough & (demand <= 0)] = "no_demand"
    return list(status.index[status == "forecast"]), status


def _training_end(problem: Problem, windows: int) -> pd.Series:
    """Per series, the first step of the first backtest window."""
    return problem.history.groupby(ID)[DS].size() - windows * problem.horizon


def daily(
    series: SeriesSet, book: DayBook, settings: ForecastSettings, holdout: int = 0
) -> FrequencyResult:
    framed = frame_daily(recent(series, settings.history_days), book, settings.horizon_days)
    return run_frequency(framed, daily_candidates(), settings.windows, settings.jobs, holdout)


def weekly(
    series: SeriesSet, book: DayBook, settings: ForecastSettings, holdout: int = 0
) -> FrequencyResult:
    framed = frame_weekly(recent(series, settings.history_days), book, settings.horizon_days)
    return run_frequency(framed, weekly_candidates(), settings.windows, settings.jobs, holdout)


def recent(series: SeriesSet, days: int) -> SeriesSet:
    """Each series from at most `days` calendar days before its last day."""
    return SeriesSet(
        ids=series.ids,
        values=series.values,
        first=np.maximum(series.first, series.last - days + 1),
        last=series.last,
    )


def centre_series(
    records: pa.Table, book: DayBook, last: dt.date
) -> tuple[SeriesSet, pd.DataFrame]:
    """Daily case counts per service item, department and front window, from the centre's
    first day.

    Series start together so that a new item's early days count as days without demand.
    """
    frame = records.select(
        ["service_item_code", "service_item_name", "department", "service_window", "received_date"]
    ).to_pandas()
    frame["position"] = (
        pd.to_datetime(frame["received_date"]).to_numpy(dtype="datetime64[D]") - book.days[0]
    ).astype(np.int64)
    groups = [
        ("item", "service_item_code", "service_item_name"),
        ("department", "department", "department"),
        ("window", "service_window", "service_window"),
    ]
    labels, rows = [], []
    for kind, key_column, name_column in groups:
        names = frame.groupby(key_column)[name_column].first()
        counts = frame.groupby([key_column, "position"]).size()
        for key, name in names.items():
            values = np.zeros(len(book.days))
            per_day = counts.loc[key]
            values[per_day.index.to_numpy()] = per_day.to_numpy()
            labels.append((f"{kind}:{key}", kind, key, name))
            rows.append(values)
    last_position = (np.datetime64(last, "D") - book.days[0]).astype(np.int64)
    series = SeriesSet(
        ids=[label[0] for label in labels],
        values=np.vstack(rows) if rows else np.zeros((0, len(book.days))),
        first=np.zeros(len(labels), dtype=np.int64),
        last=np.full(len(labels), last_position, dtype=np.int64),
    )
    return series, pd.DataFrame(labels, columns=list(LABELS))


def forecast_centre(
    records: pa.Table,
    calendar: OfficialCalendar,
    settings: ForecastSettings,
    complete_through: dt.date | None = None,
) -> DemandForecast:
    """Daily and weekly forecasts per item, department and window, from the first case day to
    the last complete one; the forecasts start the day after it.

    A day is complete once the snapshot was published after it (`complete_through`, the day
    before publication): cases received on the day of publication are still coming in, and
    a half-counted day would read as a sudden drop in demand.
    """
    received = pd.to_datetime(records.column("received_date").to_pandas())
    first, last = received.min().date(), received.max().date()
    if complete_through is not None and complete_through < last:
        last = max(complete_through, first)
        keep = (received.dt.date <= last).to_numpy()
        records = records.filter(pa.array(keep))
    horizon_end = last + dt.timedelta(days=settings.horizon_days + 7 + LOOKAHEAD_DAYS)
    book = centre_days(calendar, first, horizon_end)
    series, labels = centre_series(records, book, last)
    results = {"daily": daily(series, book, settings), "weekly": weekly(series, book, settings)}
    tables = {}
    for part in ("history", "forecasts", "models", "backtest"):
        pieces = []
        for frequency, result in results.items():
            frame = labels.merge(
                getattr(result, part).assign(frequency=frequency),
                left_on="series_id",
                right_on=ID,
            ).drop(columns=[ID])
            pieces.append(_with_dates(pa.Table.from_pandas(frame, preserve_index=False)))
        tables[part] = pa.concat_tables(pieces, promote_options="permissive")
    seconds = {
        f"{frequency}_{step}": value
        for frequency, result in results.items()
        for step, value in result.seconds.items()
    }
    return DemandForecast(
        history=tables["history"],
        forecasts=tables["forecasts"],
        models=tables["models"],
        backtest=tables["backtest"],
        seconds=seconds,
    )


def _with_dates(table: pa.Table) -> pa.Table:
    """Periods are days: pandas carries them as timestamps, the tables as dates."""
    for i, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type):
            table = table.set_column(i, field.name, table.column(i).cast(pa.date32()))
    return table


def _forecast_rows(
    future: pd.DataFrame, predicted: pd.DataFrame, choice: pd.Series
) -> pd.DataFrame:
    """Every period of the horizon for each forecast series; closed periods are zero."""
    rows = future[future[ID].isin(choice.index)].merge(
        predicted.drop(columns=["model"]), on=[ID, DS], how="left"
    )
    rows["model"] = rows[ID].map(choice).astype("string")
    for column in ("mean", *INTERVAL_COLUMNS):
        per_open_day = rows[column].fillna(0.0).to_numpy(dtype=np.float64)
        # daily steps are one open day; weekly steps are a rate per open day of the week
        rows[column] = np.where(rows["closed"], 0.0, per_open_day * rows["open_days"].clip(1))
    rows = rows.rename(columns={"mean": "forecast"})
    return rows.drop(columns=[DS])


def _model_rows(
    framed: Framed,
    status: pd.Series,
    choice: pd.Series,
    scores: pd.DataFrame,
    classes: pd.Series,
    windows: int,
) -> pd.DataFrame:
    by = scores.set_index([ID, "model"])
    spans = framed.history.groupby(ID)["period_start"].agg(["min", "max"])
    rows = []
    for sid in status.index:
        model = choice.get(sid)
        chosen = by.loc[(sid, model)] if model is not None else None
        baseline = by.loc[(sid, BASELINE)] if model is not None else None
        rows.append(
            {
                ID: sid,
                "status": status[sid],
                "model": model,
                "demand_class": classes.get(sid),
                "mase": None if chosen is None else chosen["mase"],
                "smape": None if chosen is None else chosen["smape"],
                "baseline_mase": None if baseline is None else baseline["mase"],
                "baseline_smape": None if baseline is None else baseline["smape"],
                "windows": windows,
                "horizon_steps": framed.problem.horizon,
                "history_start": spans.loc[sid, "min"],
                "history_end": spans.loc[sid, "max"],
            }
        )
    models = pd.DataFrame(rows).astype(
        {
            "model": "string",
            "demand_class": "string",
            **dict.fromkeys(("mase", "smape", "baseline_mase", "baseline_smape"), "float64"),
        }
    )
    models["improvement"] = 1 - models["mase"] / models["baseline_mase"]
    return models


def _without_forecasts(framed: Framed, status: pd.Series) -> FrequencyResult:
    """When no series can be modelled: their statuses, and nothing else."""
    no_choice = pd.Series(dtype=object)
    scores = pd.DataFrame(columns=[ID, "model", "mae", "mase", "smape"])
    nothing = pd.DataFrame(columns=[ID, DS, "model", "mean", *INTERVAL_COLUMNS])
    return FrequencyResult(
        history=framed.history.drop(columns=[DS]),
        forecasts=_forecast_rows(framed.future, nothing, no_choice),
        models=_model_rows(framed, status, no_choice, scores, no_choice, 0),
        backtest=scores.assign(chosen=False, baseline=False, seconds=0.0),
        seconds={},
        holdout=None,
    )
