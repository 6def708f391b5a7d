"""Request and response bodies of the analysts' endpoints (`/v1/analytics`)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from snapshot.analytics.three_colour import Colour


class Grain(StrEnum):
    all = "all"
    day = "day"
    week = "week"
    month = "month"


class Dimension(StrEnum):
    centre = "centre"
    department = "department"
    service_item = "service_item"


class Frequency(StrEnum):
    daily = "daily"
    weekly = "weekly"


class SeriesKind(StrEnum):
    item = "item"
    department = "department"
    window = "window"


class ResultFormat(StrEnum):
    json = "json"
    csv = "csv"
    arrow = "arrow"


class StatisticsRow(BaseModel):
    grain: Grain
    period_start: dt.date = Field(examples=["2026-11-01"])
    period_end: dt.date = Field(examples=["2026-11-30"])
    dimension: Dimension
    key: str = Field(examples=["4101000008"])
    name: str = Field(examples=["居民身份证换领"])
    received: int = Field(examples=[812], description="cases received in the period")
    completed: int = Field(examples=[790], description="of those, closed by now")
    completion_rate: float = Field(examples=[0.973], description="办结率: completed / received")
    on_time: int = Field(examples=[771])
    late: int = Field(examples=[19], description="closed late, or open past the deadline")
    on_time_rate: float | None = Field(
        examples=[0.976], description="on_time / (on_time + late); null when none is decided"
    )
    open: int = Field(examples=[22])
    avg_working_days: float | None = Field(examples=[11.4])
    p90_working_days: float | None = Field(examples=[18.0])
    on_the_spot: int = Field(examples=[0], description="即办件")
    promised: int = Field(examples=[812], description="承诺件")
    provisional: bool = Field(
        description="some deadline or handling time uses days past the official calendar"
    )


class StatisticsPage(BaseModel):
    total: int = Field(examples=[24])
    rows: list[StatisticsRow]


class AnalyticsSummary(BaseModel):
    snapshot_version: int = Field(examples=[12])
    built_at: str = Field(examples=["2026-11-21T06:32:01"])
    as_of: dt.date = Field(examples=["2026-11-21"])
    calendar_known_through: int = Field(
        examples=[2026], description="last year of the official schedule the calendar knows"
    )
    totals: StatisticsRow
    open_cases: dict[Colour, int] = Field(examples=[{"red": 2, "yellow": 3, "green": 223}])


class WarningCase(BaseModel):
    case_no: str = Field(examples=["41010020261120000079"])
    service_item_code: str = Field(examples=["4101000008"])
    service_item_name: str = Field(examples=["居民身份证换领"])
    department: str = Field(examples=["公安局"])
    service_window: str = Field(examples=["综合窗口4"])
    case_type: str = Field(examples=["承诺件"])
    promised_days: int | None = Field(examples=[20])
    received_at: dt.datetime
    deadline: dt.date
    working_days_left: int = Field(
        examples=[1], description="working days to the deadline; negative once overdue"
    )
    colour: Colour
    provisional: bool


class WarningsPage(BaseModel):
    as_of: dt.date = Field(examples=["2026-11-23"])
    counts: dict[Colour, int] = Field(examples=[{"red": 2, "yellow": 3, "green": 223}])
    total: int = Field(examples=[5], description="open cases matching the filters")
    cases: list[WarningCase]


class ModelChoice(BaseModel):
    """How far to trust a forecast: its model's backtest errors beside the baseline's."""

    model: str = Field(examples=["CalendarARIMA"])
    demand_class: str | None = Field(
        examples=["smooth"], description="Syntetos-Boylan: smooth, erratic, intermittent, lumpy"
    )
    mase: float | None = Field(examples=[0.76], description="below 1 beats seasonal naive")
    smape: float | None = Field(examples=[38.2], description="percent, 0-200")
    baseline_mase: float | None = Field(examples=[1.13])
    baseline_smape: float | None = Field(examples=[52.0])
    improvement: float | None = Field(examples=[0.33], description="1 - mase / baseline_mase")
    windows: int = Field(examples=[4])
    horizon_steps: int = Field(examples=[20], description="open days (or weeks) per window")


class ForecastSummary(BaseModel):
    series_id: str = Field(examples=["item:4101000008"])
    series_kind: SeriesKind
    series_key: str = Field(examples=["4101000008"])
    series_name: str = Field(examples=["居民身份证换领"])
    frequency: Frequency
    status: str = Field(
        examples=["forecast"], description="forecast, history_too_short or no_demand"
    )
    choice: ModelChoice | None


class ForecastPoint(BaseModel):
    period_start: dt.date
    period_end: dt.date
    open_days: int = Field(examples=[1])
    closed: bool = Field(description="the centre is closed: forecast as closed, not as quiet")
    provisional: bool = Field(description="past the official calendar the centre has loaded")
    forecast: float = Field(examples=[9.8])
    lo_80: float = Field(examples=[5.1])
    hi_80: float = Field(examples=[14.5])
    lo_95: float = Field(examples=[2.6])
    hi_95: float = Field(examples=[17.0])
    past: bool = Field(
        default=False,
        description="the period began before today: the data ended earlier, so this part of "
        "the forecast is already past",
    )


class BacktestScore(BaseModel):
    model: str = Field(examples=["SeasonalNaive"])
    mase: float | None
    smape: float | None
    chosen: bool
    baseline: bool


class SeriesForecast(ForecastSummary):
    points: list[ForecastPoint]
    backtest: list[BacktestScore]


class ViewInfo(BaseModel):
    name: str = Field(examples=["case_statistics"])
    description: str
    columns: list[str]


class QueryRequest(BaseModel):
    sql: str = Field(
        examples=[
            "SELECT service_item_name, count(*) AS cases FROM cases "
            "WHERE received_date >= DATE '2026-11-01' GROUP BY ALL ORDER BY cases DESC"
        ],
        description="One SELECT over the views of GET /v1/analytics/views.",
    )
    limit: int | None = Field(
        default=None, ge=1, examples=[100], description="at most this many rows"
    )


class ResultColumn(BaseModel):
    name: str = Field(examples=["cases"])
    type: str = Field(examples=["int64"])


class QueryResultBody(BaseModel):
    columns: list[ResultColumn]
    rows: list[list[Any]]
    row_count: int = Field(examples=[3])
    truncated: bool = Field(description="more rows matched than the row limit")
    row_limit: int = Field(examples=[10000])
    seconds: float = Field(examples=[0.004])
    sql: str = Field(description="the checked query as it ran")
    dialect: str | None = Field(default=None, examples=["postgres"])
    transpiled: str | None = Field(default=None, description="the query in `dialect`")


class StaffingHalfDay(BaseModel):
    arrivals: float = Field(examples=[11.8], description="applicants the half-day is sized for")
    windows: int = Field(examples=[4])
    service_level: float = Field(
        examples=[0.86], description="Erlang C's share called in time with these windows"
    )


class StaffingDay(BaseModel):
    department: str = Field(examples=["公安局"])
    day: dt.date
    week_start: dt.date = Field(description="the Monday of the day's week")
    closed: bool
    provisional: bool = Field(description="past the official calendar the centre has loaded")
    peak: bool = Field(description="a peak day: sized on the upper forecast interval")
    basis: str = Field(examples=["hi_80"], description="forecast, or the bound used on peaks")
    forecast: float = Field(examples=[15.0])
    arrivals: float = Field(examples=[19.6])
    handling_minutes: float = Field(examples=[24.3])
    morning: StaffingHalfDay
    afternoon: StaffingHalfDay
    windows: int = Field(examples=[5], description="windows the day needs: the larger half")


class StaffingTarget(BaseModel):
    level: float = Field(examples=[0.8], description="share of applicants called in time")
    within_minutes: float = Field(examples=[15.0])
    morning: str = Field(examples=["09:00-12:00"])
    afternoon: str = Field(examples=["13:30-17:00"])
    peak_quantile: float = Field(examples=[0.75])
    peak_bound: str = Field(examples=["hi_80"])


class StaffingPlan(BaseModel):
    target: StaffingTarget
    departments: list[str]
    weeks: list[dt.date] = Field(description="Mondays of the weeks the forecast covers")
    days: list[StaffingDay]


class ReplayedDay(BaseModel):
    department: str
    day: dt.date
    morning_windows: int
    afternoon_windows: int
    planned_arrivals: float
    applicants: int = Field(description="who actually came that day")
    called_in_time: int
    share: float
    met: bool


class StaffingBacktest(BaseModel):
    target: StaffingTarget
    fitted_through: dt.date | None = Field(description="the forecast saw data up to this day")
    days: int = Field(examples=[40], description="open held-out department-days replayed")
    met: int = Field(examples=[34])
    share_met: float | None = Field(examples=[0.85], description="met / days")
    replayed: list[ReplayedDay]
