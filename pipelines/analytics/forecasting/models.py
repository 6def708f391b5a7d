"""The candidate models, all from Nixtla's statsforecast; backtesting picks one per series.

Daily, on open days:
- SeasonalNaive: the value one week of open days earlier. The baseline every other model has
  to beat, and the scale of MASE.
- CalendarARIMA: ARIMA(1,0,1) with the calendar regressors (weekday, days before and after
  long holidays): the model that is told how the calendar moves demand. Fitted by
  conditional sum of squares, about five times faster than exact likelihood for the same
  backtest error on case counts.
- SES: simple exponential smoothing as the state-space model ETS(A,N,N), so its intervals
  come from the model; for series with no stable weekly shape.
- CrostonOptimized, ADIDA, IMAPA: for intermittent demand, items with a handful of cases a
  month, where most open days see none. They have no error model, so their intervals are
  conformal: the spread of their own errors over `CONFORMAL_WINDOWS` earlier windows.

Weekly, on the rate per open day (so a short holiday week is not mistaken for low demand):
SeasonalNaive over one week (the baseline), AutoETS, AutoTheta and CrostonOptimized.

statsforecast is imported inside the builders: loading the Dagster definitions or the API
must not pay for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

BASELINE = "SeasonalNaive"
CONFORMAL_WINDOWS = 10  # windows behind the intervals of models without their own


@dataclass(frozen=True)
class Candidate:
    name: str
    build: Callable[[int, int], Any]  # (season length, horizon) -> a statsforecast model
    uses_regressors: bool = False


def _seasonal_naive(season: int, horizon: int) -> Any:
    from statsforecast.models import SeasonalNaive

    return SeasonalNaive(season_length=season, alias=BASELINE)


def _calendar_arima(season: int, horizon: int) -> Any:
    from statsforecast.models import ARIMA

    return ARIMA(order=(1, 0, 1), method="CSS", alias="CalendarARIMA")


def _conformal(horizon: int) -> Any:
    from statsforecast.utils import ConformalIntervals

    return ConformalIntervals(h=horizon, n_windows=CONFORMAL_WINDOWS)


def _ses(season: int, horizon: int) -> Any:
    from statsforecast.models import AutoETS

    return AutoETS(model="ANN", alias="SES")


def _croston(season: int, horizon: int) -> Any:
    from statsforecast.models import CrostonOptimized

    return CrostonOptimized(alias="CrostonOptimized", prediction_intervals=_conformal(horizon))


def _adida(season: int, horizon: int) -> Any:
    from statsforecast.models import ADIDA

    return ADIDA(alias="ADIDA", prediction_intervals=_conformal(horizon))


def _imapa(season: int, horizon: int) -> Any:
    from statsforecast.models import IMAPA

    return IMAPA(alias="IMAPA", prediction_intervals=_conformal(horizon))


def _auto_ets(season: int, horizon: int) -> Any:
    from statsforecast.models import AutoETS

    return AutoETS(season_length=season, alias="AutoETS")


def _auto_theta(season: int, horizon: int) -> Any:
    from statsforecast.models import AutoTheta

    return AutoTheta(season_length=season, alias="AutoTheta")


def daily_candidates() -> list[Candidate]:
    return [
        Candidate(BASELINE, _seasonal_naive),
        Candidate("CalendarARIMA", _calendar_arima, uses_regressors=True),
        Candidate("SES", _ses),
        Candidate("CrostonOptimized", _croston),
        Candidate("ADIDA", _adida),
        Candidate("IMAPA", _imapa),
    ]


def weekly_candidates() -> list[Candidate]:
    return [
        Candidate(BASELINE, _seasonal_naive),
        Candidate("AutoETS", _auto_ets),
        Candidate("AutoTheta", _auto_theta),
        Candidate("CrostonOptimized", _croston),
    ]
