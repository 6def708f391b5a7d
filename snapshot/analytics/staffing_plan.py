"""The staffing plan: how many windows each department opens per day and per half-day.

Arrivals come from the department's daily forecast, split between morning and afternoon as
the department's applicants have arrived so far; on a peak day (a forecast at or above the
configured quantile of the department's open forecast days) the plan is sized on the upper
forecast interval instead of the mean, since a queue that is short of one window on its
busiest days misses its target by far more than one spare window costs. The handling time at
the window is the department's average over the cases that record it (`HANDLING_MINUTES_SQL`).
Each half-day gets the fewest windows Erlang C says reach the analyst's service level
(`snapshot.analytics.staffing`); the day needs the larger of its two half-days.

The plan is computed when asked, from the analytical database's `forecasts` and
`staffing_profile`, because the service level is the analyst's choice; the pipelines store
only its inputs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from snapshot.analytics.config import StaffingSettings
from snapshot.analytics.staffing import Queue, service_level, windows_needed

MAX_HANDLING_MINUTES = 240  # longer than half a day: a case left open, not time at the window
# A case records its time at the window when it was done on the spot, the same day: from
# receipt to completion. Promised cases are completed days later, by the back office.
HANDLING_MINUTES_SQL = f"""
CASE WHEN on_the_spot AND completed_at IS NOT NULL
          AND CAST(completed_at AS DATE) = CAST(received_at AS DATE)
          AND epoch(completed_at) - epoch(received_at) > 0
          AND epoch(completed_at) - epoch(received_at) <= {MAX_HANDLING_MINUTES * 60}
     THEN (epoch(completed_at) - epoch(received_at)) / 60.0 END"""
PLAN_FORECASTS_SQL = """
SELECT series_key AS department, period_start AS day, closed, provisional, forecast,
       lo_80, hi_80, lo_95, hi_95
FROM forecasts
WHERE frequency = 'daily' AND series_kind = 'department'
ORDER BY series_key, period_start
"""
PROFILE_SQL = """
SELECT department, cases, timed_cases, handling_minutes, morning_share FROM staffing_profile
"""


PLAN_COLUMNS = (  # a plan's row, as tables and workbooks show it
    "department",
    "day",
    "week_start",
    "closed",
    "provisional",
    "peak",
    "basis",
    "forecast",
    "arrivals",
    "handling_minutes",
    "morning_arrivals",
    "morning_windows",
    "morning_service_level",
    "afternoon_arrivals",
    "afternoon_windows",
    "afternoon_service_level",
    "windows",
)


@dataclass(frozen=True)
class Profile:
    """What the case records say about a department's applicants at the window."""

    department: str
    handling_minutes: float
    morning_share: float


@dataclass(frozen=True)
class HalfDay:
    arrivals: float
    windows: int
    service_level: float  # Erlang C's share called in time with `windows` open


@dataclass(frozen=True)
class DayPlan:
    department: str
    day: dt.date
    week_start: dt.date
    closed: bool
    provisional: bool
    peak: bool
    basis: str  # "forecast", or the interval bound a peak day is sized on
    forecast: float
    arrivals: float  # what the plan is sized for
    handling_minutes: float
    morning: HalfDay
    afternoon: HalfDay

    @property
    def windows(self) -> int:
        return max(self.morning.windows, self.afternoon.windows)

    def row(self) -> dict[str, Any]:
        """Flat, for tables and workbooks (`PLAN_COLUMNS`)."""
        return {
            "department": self.department,
            "day": self.day,
            "week_start": self.week_start,
            "closed": self.closed,
            "provisional": self.provisional,
            "peak": self.peak,
            "basis": self.basis,
            "forecast": round(self.forecast, 2),
            "arrivals": round(self.arrivals, 2),
            "handling_minutes": round(self.handling_minutes, 2),
            "morning_arrivals": round(self.morning.arrivals, 2),
            "morning_windows": self.morning.windows,
            "morning_service_level": round(self.morning.service_level, 4),
            "afternoon_arrivals": round(self.afternoon.arrivals, 2),
            "afternoon_windows": self.afternoon.windows,
            "afternoon_service_level": round(self.afternoon.service_level, 4),
            "windows": self.windows,
        }


def minutes_between(span: tuple[str, str]) -> float:
    start, end = (dt.time.fromisoformat(t) for t in span)
    minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    if minutes <= 0:
        raise ValueError(f"a half-day must end after it starts: {span[0]}-{span[1]}")
    return float(minutes)


def half_day(
    arrivals: float, minutes: float, handling: float, level: float, target_minutes: float
) -> HalfDay:
    queue = Queue(arrivals=arrivals, minutes=minutes, handling_minutes=handling)
    windows = windows_needed(queue, level, target_minutes * 60)
    achieved = service_level(windows, queue, target_minutes * 60) if windows else 1.0
    return HalfDay(arrivals=arrivals, windows=windows, service_level=achieved)


def peak_days(rows: Iterable[Mapping[str, Any]], quantile: float) -> set[tuple[str, dt.date]]:
    """(department, day) of the open forecast days at or above the department's quantile."""
    by_department: dict[str, list[tuple[dt.date, float]]] = {}
    for row in rows:
        if not row["closed"]:
            by_department.setdefault(row["department"], []).append((row["day"], row["forecast"]))
    peaks: set[tuple[str, dt.date]] = set()
    for department, days in by_department.items():
        threshold = float(np.quantile([f for _, f in days], quantile))
        peaks.update((department, day) for day, f in days if f >= threshold and f > 0)
    return peaks


def plan_days(
    forecasts: list[dict[str, Any]],
    profiles: Mapping[str, Profile],
    settings: StaffingSettings,
    level: float,
    target_minutes: float,
) -> list[DayPlan]:
    """One plan per department and forecast day (`PLAN_FORECASTS_SQL` rows)."""
    morning_minutes = minutes_between(settings.morning)
    afternoon_minutes = minutes_between(settings.afternoon)
    peaks = peak_days(forecasts, settings.peak_quantile)
    plans = []
    for row in forecasts:
        department, day = row["department"], row["day"]
        profile = profiles.get(department) or Profile(
            department, settings.default_handling_minutes, 0.5
        )
        peak = (department, day) in peaks
        arrivals = (
            0.0 if row["closed"] else float(row[settings.peak_bound] if peak else row["forecast"])
        )
        arrivals = max(arrivals, 0.0)
        morning = arrivals * profile.morning_share
        plans.append(
            DayPlan(
                department=department,
                day=day,
                week_start=day - dt.timedelta(days=day.weekday()),
                closed=bool(row["closed"]),
                provisional=bool(row["provisional"]),
                peak=peak,
                basis=settings.peak_bound if peak else "forecast",
                forecast=float(row["forecast"]),
                arrivals=arrivals,
                handling_minutes=profile.handling_minutes,
                morning=half_day(
                    morning, morning_minutes, profile.handling_minutes, level, target_minutes
                ),
                afternoon=half_day(
                    arrivals - morning,
                    afternoon_minutes,
                    profile.handling_minutes,
                    level,
                    target_minutes,
                ),
            )
        )
    return plans


def read_profiles(
    rows: Iterable[Mapping[str, Any]], settings: StaffingSettings
) -> dict[str, Profile]:
    """Profiles by department; a department whose cases record no handling time gets the
    centre's average over those that do, or the configured default."""
    listed = list(rows)
    timed = [r for r in listed if r["timed_cases"]]
    weight = sum(r["timed_cases"] for r in timed)
    centre = (
        sum(r["handling_minutes"] * r["timed_cases"] for r in timed) / weight
        if weight
        else settings.default_handling_minutes
    )
    return {
        r["department"]: Profile(
            r["department"],
            float(r["handling_minutes"]) if r["timed_cases"] else centre,
            float(r["morning_share"]) if r["morning_share"] is not None else 0.5,
        )
        for r in listed
    }
