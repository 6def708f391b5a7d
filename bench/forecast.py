"""Forecasting and backtesting every service item of a generated centre: time and accuracy.

Generates daily case counts for `--items` service items over `--years` years with the sample
generator's structure (weekday pattern, month-of-year cycle, peak months, rush before and
catch-up after long holidays, slow trend, Poisson counts, closed on official holidays with
调休) before any clock starts. Then runs the analytics' daily and weekly forecasting exactly as
the Dagster asset does - backtest every candidate, choose per series, refit the choice and
forecast with intervals - with one more window held out of the choice, so the accuracy it
prints is not flattered by the choice. Prints wall time, CPU time (this process and its
worker processes) and the average MASE of the chosen models against seasonal naive, next to
the goals: all items in under two minutes, chosen MASE at most 0.8 times seasonal naive's.

Then the SQL workbench over the API: a small synthetic analytics database, an analyst's token,
the app in this process (`TestClient`: the whole HTTP stack but the socket), `--queries`
small queries after a warm-up; prints p50 and p99 next to the 200 ms goal.

    python bench/forecast.py --items 360 --years 3 --jobs 2
    python bench/forecast.py --items 8 --years 2 --queries 20    # a smoke run
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

# Run as a script, bench/ comes first on the path and bench/directory.py would shadow the
# `directory` package: put the repository first.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.analytics.forecasting.days import LOOKAHEAD_DAYS, DayBook, centre_days
from pipelines.analytics.forecasting.demand import (
    FORECAST_STEP,
    FrequencyResult,
    daily,
    weekly,
)
from pipelines.analytics.forecasting.framing import SeriesSet
from pipelines.analytics.forecasting.models import BASELINE
from pipelines.samples.cases import (
    MONTH_FACTOR,
    PEAK_MONTH_FACTOR,
    RESIDENTS_PER_CASE,
    TREND_PER_YEAR,
    WEEKDAY_FACTOR,
)
from pipelines.samples.workdays import service_calendar
from snapshot.analytics.config import ForecastSettings
from snapshot.calendar import OfficialCalendar

END = dt.date(2026, 11, 20)  # the sample's last day: its horizon is on the official calendar
TIME_TARGET_SECONDS = 120
MASE_TARGET = 0.8  # chosen models' MASE at most this times seasonal naive's
QUERY_TARGET_SECONDS = 0.2  # p50 of a small workbench query over the API
SMALL_QUERIES = (
    "SELECT service_item_code, count(*) AS cases FROM cases GROUP BY ALL ORDER BY 2 DESC LIMIT 5",
    "SELECT colour, count(*) FROM case_warnings GROUP BY ALL",
    "SELECT * FROM forecasts WHERE series_kind = 'item' LIMIT 2",
    "SELECT model, avg(mase) FROM backtest_errors GROUP BY ALL",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=360, help="service items (series)")
    parser.add_argument("--years", type=float, default=3.0, help="years of daily history")
    parser.add_argument("--residents", type=int, default=1_000_000, help="city size")
    parser.add_argument("--horizon", type=int, default=28, help="calendar days ahead")
    parser.add_argument("--windows", type=int, default=4, help="backtest windows for the choice")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument("--seed", type=int, default=20_261_120)
    parser.add_argument("--queries", type=int, default=200, help="workbench queries (0: none)")
    args = parser.parse_args()
    forecasts(args)
    if args.queries:
        workbench(args.queries)


def forecasts(args: argparse.Namespace) -> None:

    days = round(args.years * 365.25)
    series, book = generate(args.items, days, args.residents, args.horizon, args.seed)
    settings = ForecastSettings(horizon_days=args.horizon, windows=args.windows, jobs=args.jobs)
    print(f"cores: {os.cpu_count()} (usable: {len(os.sched_getaffinity(0))}), jobs {args.jobs}")
    print(
        f"series: {args.items} items x {days} days ({int(book.open[:days].sum())} open), "
        f"{int(series.values.sum()):,} cases; horizon {args.horizon} days, "
        f"{args.windows} windows + 1 held out"
    )

    wall = time.perf_counter()
    cpu = _cpu_seconds()
    results = {
        "daily": daily(series, book, settings, holdout=1),
        "weekly": weekly(series, book, settings, holdout=1),
    }
    wall = time.perf_counter() - wall
    cpu = _cpu_seconds() - cpu

    for frequency, result in results.items():
        _report(frequency, result)
    print(f"total: wall {wall:.1f} s, CPU {cpu:.1f} s (process and workers)")
    daily_result = results["daily"]
    held = _holdout_mase(daily_result)
    ratio = held[0] / held[1]
    print(
        f"targets: all {args.items} items in {wall:.1f} s "
        f"({'met' if wall < TIME_TARGET_SECONDS else 'MISSED'}: < {TIME_TARGET_SECONDS} s); "
        f"daily chosen MASE {ratio:.2f}x seasonal naive's on the held-out window "
        f"({'met' if ratio <= MASE_TARGET else 'MISSED'}: <= {MASE_TARGET}x)"
    )


def workbench(queries: int) -> None:
    """p50 and p99 of small workbench queries over the API, on a small analytics database."""
    import tempfile

    from fastapi.testclient import TestClient

    from api.main import create_app
    from directory.actors import Role
    from directory.store import open_directory
    from pipelines.analytics.build import build_all
    from snapshot.analytics.config import AnalyticsSettings
    from tests.pipelines.analytics.support import (
        AS_OF,
        SAMPLE_END,
        synthetic_cases,
        write_snapshot,
    )

    with tempfile.TemporaryDirectory() as scratch:
        home = Path(scratch) / "var"
        os.environ["ONCEONLY_HOME"] = str(home)
        os.environ["DAGSTER_HOME"] = str(home / "dagster")
        serving = home / "serving"
        write_snapshot(serving, synthetic_cases(200, SAMPLE_END))
        light = AnalyticsSettings.model_validate({"forecast": {"horizon_days": 14, "windows": 1}})
        build_all(serving, home / "analytics", light, AS_OF)
        directory = open_directory()
        directory.identity.create_user("bench-analyst", Role.analyst, "gsc")
        token = directory.identity.issue_token("bench-analyst").token
        headers = {"Authorization": f"Bearer {token}"}
        seconds = []
        with TestClient(create_app()) as client:
            for k in range(queries + 5):
                sql = SMALL_QUERIES[k % len(SMALL_QUERIES)]
                started = time.perf_counter()
                answer = client.post("/v1/analytics/query", json={"sql": sql}, headers=headers)
                elapsed = time.perf_counter() - started
                assert answer.status_code == 200, answer.text
                if k >= 5:  # the first ones start the worker
                    seconds.append(elapsed)
        directory.close()
    p50, p99 = np.percentile(seconds, [50, 99])
    print(
        f"workbench: {queries} small queries over the API: p50 {p50 * 1000:.0f} ms, "
        f"p99 {p99 * 1000:.0f} ms "
        f"({'met' if p50 < QUERY_TARGET_SECONDS else 'MISSED'}: p50 < "
        f"{QUERY_TARGET_SECONDS * 1000:.0f} ms)"
    )


def generate(
    items: int, days: int, residents: int, horizon: int, seed: int
) -> tuple[SeriesSet, DayBook]:
    """Poisson case counts per item and day, as `pipelines.samples.cases` draws them."""
    rng = np.random.default_rng(seed)
    first = END - dt.timedelta(days=days - 1)
    sample = service_calendar(first, END)
    day = sample.days
    weekday = (day.astype(np.int64) + 3) % 7
    month = day.astype("datetime64[M]").astype(np.int64) % 12
    years = (day - day[0]).astype(np.float64) / 365.25
    factor = (
        np.array(WEEKDAY_FACTOR)[weekday]
        * np.array(MONTH_FACTOR)[month]
        * sample.holiday_factor
        * (1 + TREND_PER_YEAR * years)
        * sample.open
    )
    volume = np.clip(np.exp(rng.normal(-3.5, 1.5, items)), 0.002, 1.0)
    peaks = [rng.choice(12, rng.integers(0, 3), replace=False) + 1 for _ in range(items)]
    peak = np.array([np.isin(month + 1, p) for p in peaks]) * (PEAK_MONTH_FACTOR - 1) + 1
    mean = volume[:, None] * residents / RESIDENTS_PER_CASE * peak * factor[None, :]
    book = centre_days(
        OfficialCalendar(), first, END + dt.timedelta(days=horizon + 7 + LOOKAHEAD_DAYS)
    )
    values = np.zeros((items, len(book.days)))
    values[:, :days] = rng.poisson(mean)
    series = SeriesSet(
        ids=[f"item:{i:04d}" for i in range(items)],
        values=values,
        first=np.zeros(items, dtype=np.int64),
        last=np.full(items, days - 1, dtype=np.int64),
    )
    return series, book


def _report(frequency: str, result: FrequencyResult) -> None:
    models = result.models[result.models["status"] == "forecast"]
    seconds = ", ".join(f"{k} {v:.1f}" for k, v in result.seconds.items() if k != FORECAST_STEP)
    print(f"{frequency}: backtest s [{seconds}], final fit {result.seconds[FORECAST_STEP]:.1f} s")
    chosen, baseline = _holdout_mase(result)
    print(
        f"  {len(models)} series; MASE on the windows the choice saw: chosen "
        f"{models['mase'].mean():.3f} vs seasonal naive {models['baseline_mase'].mean():.3f}; "
        f"on the held-out window: chosen {chosen:.3f} vs {baseline:.3f} "
        f"({1 - chosen / baseline:.1%} better)"
    )
    counts = Counter(models["model"])
    print("  chosen: " + ", ".join(f"{m} {n}" for m, n in counts.most_common()))


def _holdout_mase(result: FrequencyResult) -> tuple[float, float]:
    """Average held-out MASE of each series' chosen model, and of the baseline."""
    assert result.holdout is not None
    held = result.holdout.set_index(["unique_id", "model"])["mase"]
    choice = result.models.dropna(subset=["model"]).set_index("unique_id")["model"]
    chosen = np.array([held[(sid, model)] for sid, model in choice.items()])
    baseline = np.array([held[(sid, BASELINE)] for sid in choice.index])
    keep = np.isfinite(chosen) & np.isfinite(baseline)
    return float(chosen[keep].mean()), float(baseline[keep].mean())


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


if __name__ == "__main__":
    main()
