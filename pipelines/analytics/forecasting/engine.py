"""Rolling-origin backtests, the choice of model per series, and forecasts with intervals.

Every candidate is backtested over the same origins: `windows` non-overlapping windows of
`horizon` steps at the end of each series. A model that can roll forward (statsforecast's
`forward`: the seasonal naive, ARIMA, ETS, Theta) is fitted once at the first origin and
carried through the later windows with its parameters fixed, which is what makes hundreds of
series affordable; the cheap intermittent-demand models are refitted at every origin. Each
series then gets the candidate with the lowest backtest error (the baseline wins ties), and
only that model is refitted on the whole history to forecast.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pipelines.analytics.forecasting.metrics import seasonal_scale, smape_terms
from pipelines.analytics.forecasting.models import CONFORMAL_WINDOWS, Candidate
from snapshot.analytics.config import LEVELS

ID, DS, Y, CUTOFF, WINDOW = "unique_id", "ds", "y", "cutoff", "window"
INTERVAL_COLUMNS = tuple(f"{side}_{level}" for level in LEVELS for side in ("lo", "hi"))


@dataclass(frozen=True)
class Problem:
    """Series as the models see them: integer steps over open periods only."""

    history: pd.DataFrame  # ID, DS, Y and one column per regressor
    future: pd.DataFrame  # ID, DS and the regressors: `horizon` rows per series
    horizon: int
    season_length: int

    @property
    def regressors(self) -> list[str]:
        return [c for c in self.history.columns if c not in (ID, DS, Y)]

    def only(self, ids: Sequence[str]) -> Problem:
        """The same problem restricted to the series `ids`."""
        return Problem(
            history=self.history[self.history[ID].isin(ids)].reset_index(drop=True),
            future=self.future[self.future[ID].isin(ids)].reset_index(drop=True),
            horizon=self.horizon,
            season_length=self.season_length,
        )

    def min_length(self, windows: int) -> int:
        """Steps a series needs: the backtest (or conformal) windows plus enough to fit on."""
        return max(windows, CONFORMAL_WINDOWS) * self.horizon + max(4 * self.season_length, 30)


@dataclass(frozen=True)
class Backtest:
    predictions: pd.DataFrame  # ID, DS, CUTOFF, WINDOW (1 = earliest), Y, one column per model
    seconds: dict[str, float]  # wall time of each candidate over all series
    scale: pd.Series  # per series: seasonal naive in-sample error before the first origin


def cross_validate(
    problem: Problem, candidates: Sequence[Candidate], windows: int, jobs: int
) -> Backtest:
    history = problem.history
    origin = history.groupby(ID)[DS].transform("max") - windows * problem.horizon
    training = history[history[DS] <= origin]
    scale = training.groupby(ID)[Y].agg(
        lambda y: seasonal_scale(y.to_numpy(dtype=np.float64), problem.season_length)
    )
    regressors = _varying(training, problem.regressors)
    predictions: pd.DataFrame | None = None
    seconds: dict[str, float] = {}
    for candidate in candidates:
        model = candidate.build(problem.season_length, problem.horizon)
        columns = [ID, DS, Y, *(regressors if candidate.uses_regressors else [])]
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = _forecaster(model, problem, jobs).cross_validation(
                h=problem.horizon,
                df=history[columns],
                n_windows=windows,
                step_size=problem.horizon,
                refit=not callable(getattr(model, "forward", None)),
            )
        seconds[candidate.name] = time.perf_counter() - started
        predictions = (
            result
            if predictions is None
            else predictions.merge(result[[ID, DS, CUTOFF, candidate.name]], on=[ID, DS, CUTOFF])
        )
    assert predictions is not None, "at least one candidate is needed"
    predictions[WINDOW] = predictions.groupby(ID)[CUTOFF].rank(method="dense").astype(np.int64)
    return Backtest(predictions=predictions, seconds=seconds, scale=scale)


def score(
    backtest: Backtest, models: Sequence[str], windows: Sequence[int] | None = None
) -> pd.DataFrame:
    """MAE, MASE and sMAPE of each model on each series, over the given windows (all)."""
    rows = backtest.predictions
    if windows is not None:
        rows = rows[rows[WINDOW].isin(windows)]
    actual = rows[Y].to_numpy(dtype=np.float64)
    parts = []
    for model in models:
        predicted = np.clip(rows[model].to_numpy(dtype=np.float64), 0, None)
        errors = pd.DataFrame(
            {
                ID: rows[ID].to_numpy(),
                "abs_error": np.abs(actual - predicted),
                "smape": smape_terms(actual, predicted),
            }
        )
        summary = errors.groupby(ID).agg(mae=("abs_error", "mean"), smape=("smape", "mean"))
        summary["model"] = model
        parts.append(summary)
    scores = pd.concat(parts).reset_index()
    scale = scores[ID].map(backtest.scale).to_numpy(dtype=np.float64)
    scores["mase"] = np.where(scale > 0, scores["mae"] / np.where(scale > 0, scale, 1), np.nan)
    return scores[[ID, "model", "mae", "mase", "smape"]]


def choose(scores: pd.DataFrame, models: Sequence[str]) -> pd.Series:
    """The model with the lowest backtest MAE per series (earlier candidates win ties).

    Within one series every model's MASE has the same scale, so this is also the lowest MASE,
    and it stays defined for a series whose history never changed (scale 0).
    """
    rank = {m: i for i, m in enumerate(models)}
    ordered = scores.assign(_rank=scores["model"].map(rank)).sort_values([ID, "mae", "_rank"])
    return ordered.groupby(ID)["model"].first()


def forecast(
    problem: Problem, candidates: Sequence[Candidate], choice: pd.Series, jobs: int
) -> pd.DataFrame:
    """Each series' chosen model refitted on its whole history: mean and intervals per step."""
    regressors = _varying(problem.history, problem.regressors)
    parts = []
    for candidate in candidates:
        ids = choice.index[choice == candidate.name]
        if not len(ids):
            continue
        model = candidate.build(problem.season_length, problem.horizon)
        used = regressors if candidate.uses_regressors else []
        history = problem.history[problem.history[ID].isin(ids)][[ID, DS, Y, *used]]
        future = problem.future[problem.future[ID].isin(ids)][[ID, DS, *used]]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = _forecaster(model, problem, jobs).forecast(
                h=problem.horizon,
                df=history,
                X_df=future if used else None,
                level=list(LEVELS),
            )
        name = candidate.name
        renamed = {name: "mean"}
        for level in LEVELS:
            for side in ("lo", "hi"):
                renamed[f"{name}-{side}-{level}"] = f"{side}_{level}"
        part = result.rename(columns=renamed)[[ID, DS, "mean", *INTERVAL_COLUMNS]]
        parts.append(part.assign(model=name))
    if not parts:
        return pd.DataFrame(columns=[ID, DS, "model", "mean", *INTERVAL_COLUMNS])
    out = pd.concat(parts, ignore_index=True)
    for column in ("mean", *INTERVAL_COLUMNS):
        out[column] = np.clip(out[column].astype(np.float64), 0, None)  # counts are never < 0
    return out[[ID, DS, "model", "mean", *INTERVAL_COLUMNS]]


def _forecaster(model: Any, problem: Problem, jobs: int) -> Any:
    """One model over many series; a fit that fails on a series falls back to the baseline."""
    from statsforecast import StatsForecast
    from statsforecast.models import SeasonalNaive

    return StatsForecast(
        models=[model],
        freq=1,
        n_jobs=jobs,
        fallback_model=SeasonalNaive(season_length=problem.season_length),
    )


def _varying(frame: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    """Regressors that vary over `frame`: a constant one would make the regression singular."""
    return [c for c in columns if frame[c].nunique() > 1]
