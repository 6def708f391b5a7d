"""The forecasting method on anyone's daily series: a CSV or Parquet file, backtested.

So the method can be checked on data the project did not generate: the same framing,
candidates, backtest and scores as the centre's forecasts. With `china` the centre's official
calendar decides which days are open (values on closed days are not demand at a window);
with `every_day` all days are open and the week has seven; with `weekdays` Monday to Friday
are open. A `country` (an ISO code the `holidays` package knows) names the public holidays:
closed with `weekdays`, open but flagged for the models with `every_day`. `closed` days are
the user's own closures, closed whatever the mode.

Long histories are cut: the models are fitted on at most `FIT_DAYS` (three years) before the
first backtest origin, which sees every season three times and keeps a sixteen-year daily
series from taking minutes; the report says how many series were cut.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import holidays as holiday_package
import numpy as np
import pandas as pd

from pipelines.analytics.forecasting.days import (
    LOOKAHEAD_DAYS,
    DayBook,
    centre_days,
    every_day,
    weekdays,
    without,
)
from pipelines.analytics.forecasting.demand import eligibility, recent
from pipelines.analytics.forecasting.engine import Backtest, choose, cross_validate, score
from pipelines.analytics.forecasting.framing import SeriesSet, frame_daily
from pipelines.analytics.forecasting.models import BASELINE, Candidate, daily_candidates
from snapshot.calendar import OfficialCalendar

SINGLE_SERIES = "series"
FIT_DAYS = 3 * 365  # calendar days the models are fitted on at the first backtest origin


class UserFileError(ValueError):
    """The file cannot be backtested; the message names the column or row and the fix."""


class CalendarMode(StrEnum):
    china = "china"
    every_day = "every_day"
    weekdays = "weekdays"


@dataclass(frozen=True)
class UserCalendar:
    """Which days of a user's file are open, and which are holidays."""

    mode: CalendarMode = CalendarMode.china
    country: str | None = None  # ISO 3166 code for the `holidays` package
    closed: frozenset[dt.date] = frozenset()

    def book(self, official: OfficialCalendar, first: dt.date, last: dt.date) -> DayBook:
        if self.mode is CalendarMode.china:
            if self.country not in (None, "CN"):
                raise UserFileError(
                    "--calendar china is the Chinese official calendar (with 调休); for "
                    f"{self.country}'s holidays use --calendar every_day or weekdays"
                )
            return without(centre_days(official, first, last), self.closed)
        public = self.public_holidays(first, last)
        build = every_day if self.mode is CalendarMode.every_day else weekdays
        return build(first, last, holidays=public, closed=self.closed)

    def public_holidays(self, first: dt.date, last: dt.date) -> set[dt.date]:
        if self.country is None:
            return set()
        try:
            days = holiday_package.country_holidays(
                self.country, years=range(first.year, last.year + 1)
            )
        except NotImplementedError as error:
            raise UserFileError(
                f"the holidays package knows no country {self.country!r}; give an ISO code "
                "such as CN, US, GB or DE"
            ) from error
        return set(days)


@dataclass(frozen=True)
class ModelScore:
    model: str
    mase: float
    smape: float
    seconds: float
    chosen_for: int  # series for which it had the lowest backtest error


@dataclass(frozen=True)
class BacktestReport:
    series: int
    skipped: dict[str, str]  # series id -> why it was not backtested
    horizon_steps: int
    season_length: int
    windows: int
    filled_days: int  # open days missing from the file, counted as 0
    models: list[ModelScore]  # best average MASE first
    fit_days: int  # calendar days the models were fitted on at the first origin, at most
    cut_series: int  # series longer than that, whose older days were left out
    per_series: pd.DataFrame  # ID, model, mae, mase, smape: every model on every series
    chosen: pd.Series  # per series, the model with the lowest backtest error

    @property
    def baseline(self) -> ModelScore:
        return next(m for m in self.models if m.model == BASELINE)


def closed_days(text: str) -> frozenset[dt.date]:
    """Dates from a file (one a line, or the first column of a CSV) or a comma-separated list."""
    path = Path(text)
    if path.is_file():
        lines = path.read_text(encoding="utf-8-sig").splitlines()
        items = [line.split(",")[0].strip() for line in lines]
    else:
        items = [part.strip() for part in text.split(",")]
    dates = set()
    for item in items:
        if not item or item.startswith("#"):
            continue
        try:
            dates.add(dt.date.fromisoformat(item))
        except ValueError:
            if path.is_file() and not dates:
                continue  # a header line
            raise UserFileError(
                f"closed days: {item!r} is not a date (YYYY-MM-DD); give a file of dates, "
                "one a line, or a comma-separated list"
            ) from None
    return frozenset(dates)


def read_daily_file(
    path: Path, date_col: str, value_col: str, series_col: str | None = None
) -> pd.DataFrame:
    """Columns series, date, value from a CSV (UTF-8 or GB18030) or Parquet file."""
    if not path.exists():
        raise UserFileError(f"no such file: {path}")
    frame = _read(path)
    wanted = [c for c in (date_col, value_col, series_col) if c]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise UserFileError(
            f"{path.name} has no column {', '.join(missing)}; its columns are: "
            f"{', '.join(map(str, frame.columns))}"
        )
    dates = pd.to_datetime(frame[date_col], errors="coerce", format="mixed")
    values = pd.to_numeric(frame[value_col], errors="coerce")
    for label, parsed, column in (("date", dates, date_col), ("number", values, value_col)):
        bad = parsed.isna() & frame[column].notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise UserFileError(
                f"{path.name} row {row + 2}: {frame[column].iloc[row]!r} in {column} is not a "
                f"{label}"
            )
    out = pd.DataFrame(
        {
            "series": frame[series_col].astype(str) if series_col else SINGLE_SERIES,
            "date": dates.dt.normalize(),
            "value": values.fillna(0.0).astype(np.float64),
        }
    ).dropna(subset=["date"])
    duplicated = out.duplicated(["series", "date"])
    if duplicated.any():
        first = out[duplicated].iloc[0]
        raise UserFileError(
            f"{path.name}: {first['date'].date()} appears more than once in series "
            f"{first['series']}; give one row per day (sum the values first)"
        )
    if (out["value"] < 0).any():
        raise UserFileError(f"{path.name}: {value_col} has negative values; counts cannot")
    return out


def backtest_file(
    frame: pd.DataFrame,
    calendar: OfficialCalendar,
    mode: CalendarMode | UserCalendar,
    horizon_days: int,
    windows: int,
    jobs: int,
    candidates: Sequence[Candidate] | None = None,
    fit_days: int = FIT_DAYS,
) -> BacktestReport:
    """Backtest every candidate on every series of `frame` (series, date, value)."""
    user = mode if isinstance(mode, UserCalendar) else UserCalendar(mode=mode)
    first = frame["date"].min().date()
    last = frame["date"].max().date() + dt.timedelta(days=horizon_days + LOOKAHEAD_DAYS)
    book = user.book(calendar, first, last)
    whole, filled = _series_set(frame, book)
    span = fit_days + windows * horizon_days
    series = recent(whole, span)
    cut = int(np.count_nonzero(series.first > whole.first))
    framed = frame_daily(series, book, horizon_days)
    eligible, status = eligibility(framed.problem, windows)
    skipped = {sid: str(why) for sid, why in status.items() if why != "forecast"}
    if not eligible:
        need = framed.problem.min_length(windows)
        raise UserFileError(
            f"no series is long enough: each needs {need} open days with some demand for "
            f"{windows} windows of {framed.problem.horizon}; use a shorter --horizon or fewer "
            "--windows"
        )
    problem = framed.problem
    sub = problem.only(eligible)
    candidates = list(candidates or daily_candidates())
    names = [c.name for c in candidates]
    backtest: Backtest = cross_validate(sub, candidates, windows, jobs)
    scores = score(backtest, names)
    chosen = choose(scores, names)
    wins = chosen.value_counts()
    means = scores.groupby("model")[["mase", "smape"]].mean()
    models = [
        ModelScore(
            model=name,
            mase=float(means.loc[name, "mase"]),
            smape=float(means.loc[name, "smape"]),
            seconds=backtest.seconds[name],
            chosen_for=int(wins.get(name, 0)),
        )
        for name in names
    ]
    return BacktestReport(
        series=len(eligible),
        skipped=skipped,
        horizon_steps=problem.horizon,
        season_length=problem.season_length,
        windows=windows,
        filled_days=filled,
        models=sorted(models, key=lambda m: (np.nan_to_num(m.mase, nan=np.inf), m.model)),
        fit_days=fit_days,
        cut_series=cut,
        per_series=scores,
        chosen=chosen,
    )


def _series_set(frame: pd.DataFrame, book: DayBook) -> tuple[SeriesSet, int]:
    """The file's series over the book; open days the file does not list count as 0."""
    groups = list(frame.groupby("series", sort=True))
    values = np.zeros((len(groups), len(book.days)))
    first = np.zeros(len(groups), dtype=np.int64)
    last = np.zeros(len(groups), dtype=np.int64)
    filled = 0
    origin = book.days[0]
    for row, (_, part) in enumerate(groups):
        positions = (part["date"].to_numpy(dtype="datetime64[D]") - origin).astype(np.int64)
        values[row, positions] = part["value"].to_numpy()
        first[row], last[row] = positions.min(), positions.max()
        open_days = book.open[first[row] : last[row] + 1]
        recorded = np.zeros(len(open_days), dtype=bool)
        recorded[positions - first[row]] = True
        filled += int(np.count_nonzero(open_days & ~recorded))
    ids = [str(sid) for sid, _ in groups]
    return SeriesSet(ids=ids, values=values, first=first, last=last), filled


def _read(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return pd.read_parquet(path)
    if suffix not in (".csv", ".txt"):
        raise UserFileError(f"{path.name}: give a .csv or .parquet file")
    try:
        return pd.read_csv(path, encoding="utf-8-sig")
    except UnicodeDecodeError:
        return pd.read_csv(path, encoding="gb18030")
