"""The replay behind the staffing backtest: a first-come-first-served queue at c windows,
and the plan's half-days and peak days, on figures small enough to check by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np

from snapshot.analytics.config import StaffingSettings
from snapshot.analytics.staffing_backtest import waits
from snapshot.analytics.staffing_plan import Profile, plan_days


def test_waits_are_first_come_first_served_at_the_first_free_window() -> None:
    arrivals = np.array([0.0, 0.0, 0.0, 100.0])
    service = np.array([60.0, 60.0, 60.0, 10.0])
    assert waits(arrivals, service, 1).tolist() == [0, 60, 120, 80]
    assert waits(arrivals, service, 2).tolist() == [0, 0, 60, 0]
    assert waits(arrivals, service, 4).tolist() == [0, 0, 0, 0]
    assert np.isinf(waits(arrivals, service, 0)).all()  # nobody is called at a closed hall


def test_peak_days_use_the_upper_bound_and_halves_split_by_the_morning_share() -> None:
    monday = dt.date(2026, 11, 23)
    rows = [
        {
            "department": "公安局",
            "day": monday + dt.timedelta(days=i),
            "closed": i >= 5,
            "provisional": False,
            "forecast": f,
            "lo_80": f * 0.8,
            "hi_80": f * 1.5,
            "lo_95": f * 0.6,
            "hi_95": f * 2.0,
        }
        for i, f in enumerate([40.0, 20.0, 20.0, 20.0, 10.0, 0.0, 0.0])
    ]
    settings = StaffingSettings(peak_quantile=0.8)
    profiles = {"公安局": Profile("公安局", 20.0, 0.75)}
    plans = plan_days(rows, profiles, settings, 0.8, 15)
    assert [p.peak for p in plans] == [True, False, False, False, False, False, False]
    assert plans[0].arrivals == 60.0 and plans[0].basis == "hi_80"
    assert plans[0].morning.arrivals == 45.0 and plans[0].afternoon.arrivals == 15.0
    assert plans[1].arrivals == 20.0 and plans[1].basis == "forecast"
    assert plans[0].windows > plans[1].windows > 0
    assert all(p.windows == 0 for p in plans[5:])
    assert {p.week_start for p in plans} == {monday}
