"""MSTL that keeps only the seasons a series is long enough to show.

A yearly season needs two full years before the first backtest origin; the centre fits on two
years, a user's file may hold less. statsmodels' STL refuses a period longer than half the
series, and the series would then fall back to the seasonal naive forecast without saying so:
here the yearly season is dropped for that series and the weekly one kept.

This module imports statsforecast at load, so only the model builders import it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from statsforecast.models import MSTL


class FittingMSTL(MSTL):  # type: ignore[misc]
    """MSTL over the periods of `season_length` that fit twice into the series it is given."""

    def __init__(self, season_length: list[int], **kwargs: Any) -> None:
        super().__init__(season_length=season_length, **kwargs)
        self.periods = sorted(season_length)

    def _fit_periods(self, y: np.ndarray) -> None:
        kept = [p for p in self.periods if 2 * p < len(y)]
        self.season_length = kept or self.periods[:1]

    def fit(self, y: np.ndarray, X: np.ndarray | None = None) -> Any:
        self._fit_periods(y)
        return super().fit(y, X)

    def forecast(  # statsforecast reads this signature to know the model gives intervals
        self,
        y: np.ndarray,
        h: int,
        X: np.ndarray | None = None,
        X_future: np.ndarray | None = None,
        level: list[int] | None = None,
        fitted: bool = False,
    ) -> Any:
        self._fit_periods(y)
        return super().forecast(y, h, X=X, X_future=X_future, level=level, fitted=fitted)
