"""Would the staffing plan have met its target? Replay held-out weeks through the windows.

The pipelines fit each department's forecast on the data before the last `holdout_weeks`
and keep what it said about those weeks (`staffing_holdout`). Here the plan is made from that
forecast exactly as for the weeks ahead (`staffing_plan.plan_days`), and each held-out day is
replayed: the department's real applicants of the day, at the minute they were received, wait
in one queue for the first free window of the plan's half-day, each taking the time at the
window the case records (a case that records none, a promised case, takes the time of one
drawn from the same day's cases of the department that do, else from the held-out weeks').
A day meets the target when the share of its applicants called within the target wait
reaches the target level.

The replay is a first-come-first-served queue with c servers, a few lines with a heap, rather
than a simulation framework: there is nothing else to model (no abandonment, no priorities).
"""

from __future__ import annotations

import datetime as dt
import heapq
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt

from snapshot.analytics.config import StaffingSettings
from snapshot.analytics.staffing_plan import (
    HANDLING_MINUTES_SQL,
    PROFILE_SQL,
    DayPlan,
    plan_days,
    read_profiles,
)

HOLDOUT_SQL = """
SELECT department, day, closed, provisional, forecast, lo_80, hi_80, lo_95, hi_95
FROM staffing_holdout ORDER BY department, day
"""
ACTUAL_SQL = f"""
SELECT department, received_date AS day,
       epoch(received_at) - epoch(CAST(received_date AS TIMESTAMP)) AS second_of_day,
       {HANDLING_MINUTES_SQL} AS handling_minutes
FROM cases WHERE received_date BETWEEN ? AND ?
ORDER BY department, received_at, case_no
"""
SEED = 16  # the draws of handling times for cases that record none: the same every replay


@dataclass(frozen=True)
class ReplayedDay:
    plan: DayPlan
    applicants: int
    called_in_time: int

    @property
    def share(self) -> float:
        return self.called_in_time / self.applicants if self.applicants else 1.0

    def met(self, level: float) -> bool:
        return self.share >= level


@dataclass(frozen=True)
class Backtest:
    level: float
    target_minutes: float
    days: list[ReplayedDay]

    @property
    def met(self) -> int:
        return sum(day.met(self.level) for day in self.days)

    @property
    def share_met(self) -> float | None:
        return self.met / len(self.days) if self.days else None


def waits(
    arrivals: npt.NDArray[np.float64], service: npt.NDArray[np.float64], windows: int
) -> npt.NDArray[np.float64]:
    """Seconds each applicant waits, in order of arrival, for the first of `windows` free."""
    if windows <= 0:
        return np.full(len(arrivals), np.inf)
    free = [0.0] * windows  # when each window is next free
    waited = np.empty(len(arrivals))
    for i, (arrival, seconds) in enumerate(zip(arrivals, service, strict=True)):
        soonest = heapq.heappop(free)
        start = max(arrival, soonest)
        waited[i] = start - arrival
        heapq.heappush(free, start + seconds)
    return waited


def backtest(
    con: duckdb.DuckDBPyConnection, settings: StaffingSettings, level: float, target_minutes: float
) -> Backtest:
    """Plan the held-out weeks from their held-out forecast and replay every open day."""
    holdout = _rows(con, HOLDOUT_SQL)
    if not holdout:
        return Backtest(level, target_minutes, [])
    profiles = read_profiles(_rows(con, PROFILE_SQL), settings)
    plans = [
        p for p in plan_days(holdout, profiles, settings, level, target_minutes) if not p.closed
    ]
    first, last = min(p.day for p in plans), max(p.day for p in plans)
    actual = _rows(con, ACTUAL_SQL, [first, last])
    by_day: dict[tuple[str, dt.date], list[dict[str, Any]]] = {}
    for case in actual:
        by_day.setdefault((case["department"], case["day"]), []).append(case)
    recorded = np.array(
        [c["handling_minutes"] for c in actual if c["handling_minutes"] is not None]
    )
    rng = np.random.default_rng(SEED)
    afternoon = _seconds(settings.afternoon[0])
    target = target_minutes * 60
    days = []
    for plan in plans:
        cases = by_day.get((plan.department, plan.day), [])
        service = _service_seconds(cases, recorded, fallback_minutes=plan.handling_minutes, rng=rng)
        arrival = np.array([c["second_of_day"] for c in cases], dtype=np.float64)
        in_time = 0
        for is_morning, windows in ((True, plan.morning.windows), (False, plan.afternoon.windows)):
            half = (arrival < afternoon) == is_morning
            waited = waits(arrival[half], service[half], windows)
            in_time += int(np.count_nonzero(waited <= target))
        days.append(ReplayedDay(plan, len(cases), in_time))
    return Backtest(level, target_minutes, days)


def _service_seconds(
    cases: list[dict[str, Any]],
    recorded: npt.NDArray[np.float64],
    fallback_minutes: float,
    rng: np.random.Generator,
) -> npt.NDArray[np.float64]:
    own = np.array(
        [np.nan if c["handling_minutes"] is None else c["handling_minutes"] for c in cases],
        dtype=np.float64,
    )
    missing = np.isnan(own)
    if missing.any():
        same_day = own[~missing]
        pool = same_day if same_day.size else recorded
        own[missing] = rng.choice(pool, int(missing.sum())) if pool.size else fallback_minutes
    return own * 60.0


def _seconds(clock: str) -> float:
    time = dt.time.fromisoformat(clock)
    return float(time.hour * 3600 + time.minute * 60)


def _rows(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
