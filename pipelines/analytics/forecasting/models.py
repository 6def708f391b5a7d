"""The candidate models, all from Nixtla's statsforecast; backtesting picks one per series.

Daily, on open days (the season is the open days of an ordinary week: 5 at the centre, 7 when
every day is open):
- SeasonalNaive: the value one week of open days earlier. The baseline every other model has
  to beat, the scale of MASE, and the floor: the choice never scores worse than it.
- CalendarARIMA: ARIMA with the calendar regressors (weekday, holidays, the days before and
  after long closures), differenced when the KPSS test says the level wanders (at most once),
  its AR and MA orders chosen per series by a short stepwise search (statsforecast's
  AutoARIMA, at most six models, CSS-ML fit).
  It used to be a fixed ARIMA(1,0,1) fitted by conditional sum of squares, which lost to the
  seasonal naive forecast by a factor of 2 to 5 on long real daily series, for two reasons in
  the frame rather than the model: without differencing the model reverts to the mean of the
  whole history (sixteen years of rail ridership, far below today's level), and CSS alone
  does not keep the AR part stationary, so on a growing series it fitted a unit root with a
  meaningless intercept (MASE 9.8 where the seasonal naive scored 2.0; CSS alone scores 3x
  the naive forecast's error on the sample centre's series even when differenced). The
  differencing test, the ML refinement and the capped history (`history_days`) remove both.
  Differencing every series instead is cheaper but loses on the centre's steady series
  (the sample generator's, over 100 open days: 1.24x the naive error against 0.85x); a
  twelve-model search gains little (0.84x) for twice the cost.
- AutoETS: the exponential smoothing state-space model chosen by AICc, seasonal over the week.
- MSTL: weekly and yearly seasons (LOESS decompositions) with an ETS trend; the yearly season
  only where the history before the first origin holds two full years.
- SeasonalWindowAverage: the mean of the same weekday over the last four weeks; robust where
  the weekly shape is stable and the level noisy.
- AutoTheta: the Theta family chosen per series, seasonally adjusted over the week.
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
WEEKS_PER_YEAR = 52.18  # the yearly season of MSTL, in steps: open days a week times this
AVERAGED_WEEKS = 4  # weeks behind SeasonalWindowAverage


@dataclass(frozen=True)
class Candidate:
    name: str
    build: Callable[[int, int], Any]  # (season length, horizon) -> a statsforecast model
    uses_regressors: bool = False


def _seasonal_naive(season: int, horizon: int) -> Any:
    from statsforecast.models import SeasonalNaive

    return SeasonalNaive(season_length=season, alias=BASELINE)


def _calendar_arima(season: int, horizon: int) -> Any:
    from statsforecast.models import AutoARIMA

    # The weekly shape is in the regressors, so no seasonal terms: a seasonal search costs
    # several times more for the same backtest error on case counts.
    return AutoARIMA(
        seasonal=False,
        max_d=1,
        max_p=2,
        max_q=2,
        start_p=1,
        start_q=1,
        nmodels=6,  # statsforecast needs at least 5 for its first steps
        method="CSS-ML",
        alias="CalendarARIMA",
    )


def _conformal(horizon: int) -> Any:
    from statsforecast.utils import ConformalIntervals

    return ConformalIntervals(h=horizon, n_windows=CONFORMAL_WINDOWS)


def _ses(season: int, horizon: int) -> Any:
    from statsforecast.models import AutoETS

    return AutoETS(model="ANN", alias="SES")


def _mstl(season: int, horizon: int) -> Any:
    from statsforecast.models import AutoETS

    from pipelines.analytics.forecasting.seasons import FittingMSTL

    yearly = round(season * WEEKS_PER_YEAR)
    return FittingMSTL(
        season_length=[season, yearly], trend_forecaster=AutoETS(model="ZZN"), alias="MSTL"
    )


def _window_average(season: int, horizon: int) -> Any:
    from statsforecast.models import SeasonalWindowAverage

    return SeasonalWindowAverage(
        season_length=season,
        window_size=AVERAGED_WEEKS,
        alias="SeasonalWindowAverage",
        prediction_intervals=_conformal(horizon),
    )


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
        Candidate("AutoETS", _auto_ets),
        Candidate("MSTL", _mstl),
        Candidate("SeasonalWindowAverage", _window_average),
        Candidate("AutoTheta", _auto_theta),
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
