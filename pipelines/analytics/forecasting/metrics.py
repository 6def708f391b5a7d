"""Backtest errors and the demand class of a series.

MASE divides a model's mean absolute error by the in-sample error of the seasonal naive
forecast on the history before the first backtest origin: below 1 beats "same day last week"
as it was known then. sMAPE follows the M4 competition (0 to 200%, 0 when both values are 0),
so a day with no cases and none forecast counts as exact.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
ADI_CUT = 1.32  # Syntetos-Boylan: average demand interval above which demand is intermittent
CV2_CUT = 0.49  # and squared coefficient of variation of the non-zero sizes above which lumpy


class DemandClass(StrEnum):
    smooth = "smooth"
    erratic = "erratic"
    intermittent = "intermittent"
    lumpy = "lumpy"
    none = "none"  # no demand at all


def seasonal_scale(history: Floats, season: int) -> float:
    """Mean absolute change over one season: the seasonal naive in-sample error."""
    if len(history) <= season:
        return float("nan")
    return float(np.mean(np.abs(history[season:] - history[:-season])))


def smape_terms(actual: Floats, forecast: Floats) -> Floats:
    denominator = np.abs(actual) + np.abs(forecast)
    safe = np.where(denominator == 0, 1.0, denominator)
    return np.where(denominator == 0, 0.0, 200.0 * np.abs(actual - forecast) / safe)


def demand_class(history: Floats) -> DemandClass:
    """Syntetos-Boylan class, which tells an analyst why an intermittent method was chosen."""
    sizes = history[history > 0]
    if not len(sizes):
        return DemandClass.none
    interval = len(history) / len(sizes)
    cv2 = float(np.var(sizes) / np.mean(sizes) ** 2)
    if interval < ADI_CUT:
        return DemandClass.smooth if cv2 < CV2_CUT else DemandClass.erratic
    return DemandClass.intermittent if cv2 < CV2_CUT else DemandClass.lumpy
