"""The staffing plan for analysts: windows to open per department, day and half-day, and its
backtest on held-out weeks.

The service level is the analyst's (`level` of applicants called within `within_minutes`),
so the plan is computed per request from the analytical database's forecasts and staffing
profile (`snapshot.analytics.staffing_plan`); the defaults and the hall's hours are the
centre's configuration (`staffing` in the analytics settings). Analysts and admins only,
like every analytics route; each workbook downloaded is logged.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from api.analytics_access import Analyst, Audit, Database, exported, rows
from api.auth import require_role
from api.bounds import DAY_RANGE, CalendarDay
from api.errors import ErrorContractRoute
from api.models_analytics import (
    ReplayedDay,
    StaffingBacktest,
    StaffingDay,
    StaffingHalfDay,
    StaffingPlan,
    StaffingTarget,
)
from api.models_directory import ErrorBody
from api.xlsx import XLSX, Sheet, TableFormat, download
from directory.actors import Role
from snapshot.analytics.config import StaffingSettings, load_settings
from snapshot.analytics.staffing_backtest import backtest
from snapshot.analytics.staffing_plan import (
    PLAN_COLUMNS,
    PLAN_FORECASTS_SQL,
    PROFILE_SQL,
    DayPlan,
    HalfDay,
    plan_days,
    read_profiles,
)

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "No token, or a token that is invalid or revoked"},
    403: {"model": ErrorBody, "description": "Only analysts and admins read the analytics"},
    422: {"model": ErrorBody, "description": "Invalid parameters; `problems` names each one"},
    503: {"model": ErrorBody, "description": "The analytics have not been built yet"},
}

router = APIRouter(
    prefix="/v1/analytics/staffing",
    tags=["analytics"],
    route_class=ErrorContractRoute,
    dependencies=[Depends(require_role(Role.analyst, Role.admin))],
    responses=ERRORS,
)
Level = Annotated[
    float | None,
    Query(gt=0, lt=1, description="share of applicants called in time (default 0.8)"),
]
WithinMinutes = Annotated[
    float | None,
    Query(gt=0, le=240, description="the wait the level is for, in minutes (default 15)"),
]
Format = Annotated[TableFormat, Query(description="json, or xlsx: the same rows as a workbook")]


@router.get(
    "",
    response_model=StaffingPlan,
    summary="Windows to open per department, day and half-day",
    responses={200: {"content": {XLSX: {}}}},
)
def staffing_plan(
    request: Request,
    con: Database,
    caller: Analyst,
    audit: Audit,
    level: Level = None,
    within_minutes: WithinMinutes = None,
    department: Annotated[str | None, Query(max_length=64, examples=["公安局"])] = None,
    week: Annotated[
        CalendarDay,
        Query(description=f"a day of the week to plan (default: every week); {DAY_RANGE}"),
    ] = None,
    format: Format = TableFormat.json,
) -> StaffingPlan | Response:
    """For each department's daily forecast: the fewest windows per half-day (Erlang C) that
    call `level` of the applicants within `within_minutes`, with the department's handling
    time at the window from its case records; peak days are sized on the upper interval."""
    settings = load_settings().staffing
    target = _target(settings, level, within_minutes)
    profiles = read_profiles(rows(con, PROFILE_SQL), settings)
    plans = plan_days(
        rows(con, PLAN_FORECASTS_SQL), profiles, settings, target.level, target.within_minutes
    )
    departments = sorted({p.department for p in plans})
    weeks = sorted({p.week_start for p in plans})
    monday = week - dt.timedelta(days=week.weekday()) if week else None
    chosen = [
        p
        for p in plans
        if (department is None or p.department == department)
        and (monday is None or p.week_start == monday)
    ]
    if format is TableFormat.xlsx:
        table = [p.row() for p in chosen]
        described = f"level={target.level}, within_minutes={target.within_minutes}, "
        described += f"department={department or ''}, week={monday or ''}"
        exported(request, caller, audit, "staffing plan", described, len(table))
        return download([Sheet("staffing_plan", PLAN_COLUMNS, table)], "staffing-plan.xlsx")
    return StaffingPlan(
        target=target, departments=departments, weeks=weeks, days=[_day(p) for p in chosen]
    )


@router.get(
    "/backtest",
    response_model=StaffingBacktest,
    summary="Would the plan have met the target on held-out weeks?",
    responses={200: {"content": {XLSX: {}}}},
)
def staffing_backtest(
    request: Request,
    con: Database,
    caller: Analyst,
    audit: Audit,
    level: Level = None,
    within_minutes: WithinMinutes = None,
    format: Format = TableFormat.json,
) -> StaffingBacktest | Response:
    """The plan made from a forecast fitted without the last weeks of the data, replayed with
    those weeks' real applicants and handling times: the share of open department-days on
    which `level` of the applicants were called within `within_minutes`."""
    settings = load_settings().staffing
    target = _target(settings, level, within_minutes)
    result = backtest(con, settings, target.level, target.within_minutes)
    replayed = [
        ReplayedDay(
            department=d.plan.department,
            day=d.plan.day,
            morning_windows=d.plan.morning.windows,
            afternoon_windows=d.plan.afternoon.windows,
            planned_arrivals=round(d.plan.arrivals, 2),
            applicants=d.applicants,
            called_in_time=d.called_in_time,
            share=round(d.share, 4),
            met=d.met(target.level),
        )
        for d in result.days
    ]
    if format is TableFormat.xlsx:
        described = f"level={target.level}, within_minutes={target.within_minutes}"
        exported(request, caller, audit, "staffing backtest", described, len(replayed))
        table = [r.model_dump() for r in replayed]
        return download(
            [Sheet("backtest", list(ReplayedDay.model_fields), table)], "staffing-backtest.xlsx"
        )
    fitted = rows(con, "SELECT max(fitted_through) AS day FROM staffing_holdout")
    return StaffingBacktest(
        target=target,
        fitted_through=fitted[0]["day"] if fitted else None,
        days=len(result.days),
        met=result.met,
        share_met=result.share_met,
        replayed=replayed,
    )


def _target(
    settings: StaffingSettings, level: float | None, within_minutes: float | None
) -> StaffingTarget:
    return StaffingTarget(
        level=level if level is not None else settings.target_level,
        within_minutes=within_minutes if within_minutes is not None else settings.target_minutes,
        morning="-".join(settings.morning),
        afternoon="-".join(settings.afternoon),
        peak_quantile=settings.peak_quantile,
        peak_bound=settings.peak_bound,
    )


def _day(plan: DayPlan) -> StaffingDay:
    return StaffingDay(
        department=plan.department,
        day=plan.day,
        week_start=plan.week_start,
        closed=plan.closed,
        provisional=plan.provisional,
        peak=plan.peak,
        basis=plan.basis,
        forecast=round(plan.forecast, 2),
        arrivals=round(plan.arrivals, 2),
        handling_minutes=round(plan.handling_minutes, 2),
        morning=_half(plan.morning),
        afternoon=_half(plan.afternoon),
        windows=plan.windows,
    )


def _half(half: HalfDay) -> StaffingHalfDay:
    return StaffingHalfDay(
        arrivals=round(half.arrivals, 2),
        windows=half.windows,
        service_level=round(half.service_level, 4),
    )
