"""Analytics configuration: warning thresholds, forecast horizon and workbench limits.

Thresholds and limits are configuration, not code: a centre sets them in a YAML file
(`ONCEONLY_ANALYTICS_CONFIG`, default `$ONCEONLY_HOME/analytics.yaml`, located by `settings`)
with the same shape as `AnalyticsSettings`; anything it leaves out keeps the default below.
The pipelines build the analytics with it and the API judges warnings and bounds queries
with it, so both read this one definition.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

import settings

# Prediction intervals every forecast carries: the `lo_80` ... `hi_95` columns of `forecasts`.
LEVELS = (80, 95)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WarningPolicy(_Section):
    """红黄绿: yellow from `yellow_working_days` before the deadline, red once overdue (after
    `red_grace_working_days` more working days, 0 by default)."""

    yellow_working_days: int = Field(default=1, ge=0)
    red_grace_working_days: int = Field(default=0, ge=0)


class ForecastSettings(_Section):
    horizon_days: int = Field(default=28, ge=7, le=366, description="calendar days ahead")
    windows: int = Field(default=4, ge=1, le=20, description="rolling-origin backtest windows")
    history_days: int = Field(
        default=730,
        ge=180,
        description="most recent calendar days the models are fitted on: two years see every "
        "holiday twice, and fitting costs grow with the length",
    )
    jobs: int = Field(default=1, ge=1, description="worker processes for model fitting")


class WorkbenchSettings(_Section):
    row_limit: int = Field(default=10_000, ge=1)
    seconds: float = Field(default=10.0, gt=0, description="DuckDB interrupts the query")
    kill_after_seconds: float = Field(
        default=3.0, gt=0, description="more, and the query's process is killed"
    )
    memory_limit: str = "1GB"
    process_memory_bytes: int = Field(
        default=3 << 30, ge=1 << 30, description="address space of a query's process"
    )
    result_bytes: int = Field(default=64 << 20, ge=1 << 20, description="largest result")
    threads: int = Field(default=2, ge=1)
    max_query_chars: int = Field(default=20_000, ge=100)


class StaffingSettings(_Section):
    """The hall's opening hours per half-day, the service level an analyst starts from, and
    how peak days are planned: on the forecast's upper interval rather than its mean."""

    morning: tuple[str, str] = ("09:00", "12:00")
    afternoon: tuple[str, str] = ("13:30", "17:00")
    target_level: float = Field(default=0.8, gt=0, lt=1, description="share called in time")
    target_minutes: float = Field(default=15.0, gt=0, description="the wait the level is for")
    peak_quantile: float = Field(
        default=0.75,
        ge=0,
        le=1,
        description="a day whose forecast reaches this quantile of its department's open "
        "forecast days is a peak day",
    )
    peak_bound: Literal["hi_80", "hi_95"] = "hi_80"
    default_handling_minutes: float = Field(
        default=20.0, gt=0, description="when no case records a handling time at the window"
    )
    holdout_weeks: int = Field(default=4, ge=1, le=26, description="weeks the backtest holds out")


class AnalyticsSettings(_Section):
    warnings: WarningPolicy = WarningPolicy()
    forecast: ForecastSettings = ForecastSettings()
    workbench: WorkbenchSettings = WorkbenchSettings()
    staffing: StaffingSettings = StaffingSettings()


def config_path() -> Path:
    return settings.current().analytics_config


def load_settings() -> AnalyticsSettings:
    """The configured settings, or the defaults when there is no file."""
    path = config_path()
    if not path.exists():
        return AnalyticsSettings()
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return AnalyticsSettings.model_validate(document)
