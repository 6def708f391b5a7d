"""From dated values to forecasting problems, and the layout that maps steps back to dates.

Daily: one step per open day; the horizon's closed days get no step and are laid out as
closed. Weekly: one step per week (Monday to Sunday) with at least one open day, valued as
cases per open day, so a week shortened by a holiday is not mistaken for a quiet one; the
forecast rate is multiplied back by the week's open days. Only complete weeks are history, so
when the data ends mid-week the first forecast week is that week, already begun.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from pipelines.analytics.forecasting.days import DayBook
from pipelines.analytics.forecasting.engine import DS, ID, Problem, Y

Positions = npt.NDArray[np.int64]


@dataclass(frozen=True)
class SeriesSet:
    """Values of many series laid over one day book (0 where nothing was recorded)."""

    ids: list[str]
    values: npt.NDArray[np.float64]  # one row per series, one column per day of the book
    first: Positions  # book position of each series' first day
    last: Positions  # and of its last observed day


@dataclass(frozen=True)
class Framed:
    problem: Problem
    history: pd.DataFrame  # ID, DS, period_start, period_end, open_days, value
    future: pd.DataFrame  # ID, DS (-1 when closed), period_start, period_end, open_days,
    # closed, provisional


def frame_daily(series: SeriesSet, book: DayBook, horizon_days: int) -> Framed:
    regressors = book.regressors()
    rank = np.cumsum(book.open) - 1  # book position -> open-day number
    open_positions = np.flatnonzero(book.open)
    horizons = [
        int(np.count_nonzero(book.open[last + 1 : last + 1 + horizon_days])) for last in series.last
    ]
    steps = max(horizons)
    history, future, past, ahead = [], [], [], []
    for row, sid in enumerate(series.ids):
        first, last = int(series.first[row]), int(series.last[row])
        positions = first + np.flatnonzero(book.open[first : last + 1])
        n = len(positions)
        coming = open_positions[open_positions > last][:steps]
        if len(coming) < steps:
            raise ValueError(f"the day book ends before the horizon of series {sid}")
        y = series.values[row, positions]
        history.append(_steps(sid, n, y, {k: v[rank[positions]] for k, v in regressors.items()}))
        future.append(
            _steps(
                sid, n + np.arange(steps), None, {k: v[rank[coming]] for k, v in regressors.items()}
            )
        )
        days = book.days[positions]
        past.append(_layout(sid, np.arange(n), days, days, np.ones(n, dtype=np.int64), y))
        window = np.arange(last + 1, last + 1 + horizon_days)
        is_open = book.open[window]
        ds = np.where(is_open, n + rank[window] - rank[last] - 1, -1)
        ahead.append(
            _future_layout(
                sid,
                ds,
                book.days[window],
                book.days[window],
                is_open.astype(np.int64),
                book.provisional[window],
            )
        )
    problem = Problem(
        history=pd.concat(history, ignore_index=True),
        future=pd.concat(future, ignore_index=True),
        horizon=steps,
        season_length=book.season_length,
    )
    return Framed(problem, pd.concat(past, ignore_index=True), pd.concat(ahead, ignore_index=True))


def frame_weekly(series: SeriesSet, book: DayBook, horizon_days: int) -> Framed:
    weeks_ahead = math.ceil(horizon_days / 7)
    weekday = (book.days.astype(np.int64) + 3) % 7
    plans = []
    for row in range(len(series.ids)):
        first, last = int(series.first[row]), int(series.last[row])
        start = first + (7 - int(weekday[first])) % 7  # the first Monday from the first day
        complete = _complete_weeks(book, start, last)
        following = complete[-1] + 7 if complete else start
        ahead = [following + 7 * k for k in range(weeks_ahead)]
        plans.append((complete, ahead))
    steps = max(sum(_open_days(book, w) > 0 for w in ahead) for _, ahead in plans)
    history, future, past, ahead_layouts = [], [], [], []
    for row, sid in enumerate(series.ids):
        complete, ahead = plans[row]
        exposure = np.array([_open_days(book, w) for w in complete], dtype=np.int64)
        totals = np.array([series.values[row, w : w + 7].sum() for w in complete])
        kept = exposure > 0
        n = int(kept.sum())
        mondays = np.array(complete, dtype=np.int64)[kept]
        history.append(_steps(sid, np.arange(n), totals[kept] / exposure[kept], {}))
        future.append(_steps(sid, n + np.arange(steps), None, {}))
        past.append(
            _layout(
                sid,
                np.arange(n),
                book.days[mondays],
                book.days[mondays] + 6,
                exposure[kept],
                totals[kept],
            )
        )
        coming = np.array(ahead, dtype=np.int64)
        open_days = np.array([_open_days(book, w) for w in ahead], dtype=np.int64)
        ds = np.where(open_days > 0, n + np.cumsum(open_days > 0) - 1, -1)
        provisional = np.array([bool(book.provisional[w : w + 7].any()) for w in ahead])
        ahead_layouts.append(
            _future_layout(
                sid, ds, book.days[coming], book.days[coming] + 6, open_days, provisional
            )
        )
    problem = Problem(
        history=pd.concat(history, ignore_index=True),
        future=pd.concat(future, ignore_index=True),
        horizon=steps,
        season_length=1,
    )
    return Framed(
        problem, pd.concat(past, ignore_index=True), pd.concat(ahead_layouts, ignore_index=True)
    )


def _complete_weeks(book: DayBook, start: int, last: int) -> list[int]:
    """Mondays from `start` of weeks whose open days all fall on or before `last`."""
    weeks = []
    monday = start
    while monday + 7 <= len(book.days) and monday <= last:
        later_open = book.open[last + 1 : monday + 7]
        if later_open.any():
            break
        weeks.append(monday)
        monday += 7
    return weeks


def _open_days(book: DayBook, monday: int) -> int:
    if monday + 7 > len(book.days):
        raise ValueError("the day book ends before the weekly horizon")
    return int(np.count_nonzero(book.open[monday : monday + 7]))


def _steps(
    sid: str,
    ds: npt.NDArray[np.int64] | int,
    y: npt.NDArray[np.float64] | None,
    regressors: dict[str, npt.NDArray[np.float64]],
) -> pd.DataFrame:
    steps = np.arange(ds) if isinstance(ds, int) else ds
    columns: dict[str, object] = {ID: sid, DS: steps}
    if y is not None:
        columns[Y] = np.asarray(y, dtype=np.float64)
    columns.update(regressors)
    return pd.DataFrame(columns)


def _layout(
    sid: str,
    ds: npt.NDArray[np.int64],
    start: npt.NDArray[np.datetime64],
    end: npt.NDArray[np.datetime64],
    open_days: npt.NDArray[np.int64],
    value: npt.NDArray[np.float64],
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            ID: sid,
            DS: ds,
            "period_start": start,
            "period_end": end,
            "open_days": open_days,
            "value": value,
        }
    )


def _future_layout(
    sid: str,
    ds: npt.NDArray[np.int64],
    start: npt.NDArray[np.datetime64],
    end: npt.NDArray[np.datetime64],
    open_days: npt.NDArray[np.int64],
    provisional: npt.NDArray[np.bool_],
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            ID: sid,
            DS: ds,
            "period_start": start,
            "period_end": end,
            "open_days": open_days,
            "closed": open_days == 0,
            "provisional": provisional,
        }
    )
