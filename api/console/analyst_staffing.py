"""Analysts' staffing page and the console's Excel downloads (warnings, statistics, plan).

The page shows one department's week: a table of windows per half-day and a bar chart of
them (inline SVG drawn by the template, no script), the service level the analyst chose, and
the plan's backtest on held-out weeks. Every figure and every workbook comes from the
`/v1/analytics` routes with the analyst's own token, so the downloads are audited there.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, Response

from api.console.render import view
from api.console.session import CONSOLE_PATH, Console, role_gate
from directory.workdays import local_today

router = APIRouter(prefix=CONSOLE_PATH)
Analyst = Annotated[Console, Depends(role_gate("analyst"))]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHART_HEIGHT = 160  # pixels of the tallest bar


@router.get("/staffing", response_class=HTMLResponse)
async def staffing(
    console: Analyst,
    department: Annotated[str | None, Query(max_length=64)] = None,
    week: dt.date | None = None,
    level: Annotated[int, Query(ge=1, le=99, description="percent")] = 80,
    within_minutes: Annotated[int, Query(ge=1, le=240)] = 15,
) -> HTMLResponse:
    target = {"level": level / 100, "within_minutes": within_minutes}
    plan = await console.api.get("/v1/analytics/staffing", **target)
    departments, weeks = plan["departments"], plan["weeks"]
    if department not in departments:  # by default the busiest department
        load: dict[str, float] = {}
        for d in plan["days"]:
            load[d["department"]] = load.get(d["department"], 0.0) + d["arrivals"]
        department = max(departments, key=lambda name: load[name]) if departments else None
    today = local_today()
    coming = [w for w in weeks if dt.date.fromisoformat(w) + dt.timedelta(days=6) >= today]
    chosen_week = (
        str(week - dt.timedelta(days=week.weekday())) if week else (coming or weeks or [None])[0]
    )
    days = [
        d for d in plan["days"] if d["department"] == department and d["week_start"] == chosen_week
    ]
    backtest = await console.api.get("/v1/analytics/staffing/backtest", **target)
    return view(
        console,
        "staffing.html",
        plan=plan,
        days=days,
        bars=_bars(days),
        department=department,
        week=chosen_week,
        level=level,
        within_minutes=within_minutes,
        backtest=backtest,
        export_query=_query(
            department=department,
            week=chosen_week,
            level=level / 100,
            within_minutes=within_minutes,
            format="xlsx",
        ),
    )


@router.get("/staffing/plan.xlsx")
async def staffing_workbook(
    console: Analyst,
    department: Annotated[str | None, Query(max_length=64)] = None,
    week: dt.date | None = None,
    level: Annotated[float, Query(gt=0, lt=1)] = 0.8,
    within_minutes: Annotated[float, Query(gt=0, le=240)] = 15,
) -> Response:
    params = {
        "department": department,
        "week": week,
        "level": level,
        "within_minutes": within_minutes,
        "format": "xlsx",
    }
    return await _workbook(console, "/v1/analytics/staffing", params, "staffing-plan.xlsx")


@router.get("/analytics/warnings.xlsx")
async def warnings_workbook(
    console: Analyst,
    colour: Annotated[str | None, Query(pattern="^(red|yellow|green)?$")] = None,
    department: Annotated[str | None, Query(max_length=64)] = None,
    service_item: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    params = {
        "colour": colour,
        "department": department,
        "service_item": service_item,
        "format": "xlsx",
    }
    return await _workbook(console, "/v1/analytics/warnings", params, "warnings.xlsx")


@router.get("/analytics/statistics.xlsx")
async def statistics_workbook(
    console: Analyst,
    grain: Annotated[str, Query(pattern="^(all|day|week|month)$")] = "month",
    dimension: Annotated[str, Query(pattern="^(centre|department|service_item)$")] = "centre",
    key: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    params = {"grain": grain, "dimension": dimension, "key": key, "format": "xlsx"}
    return await _workbook(console, "/v1/analytics/statistics", params, "statistics.xlsx")


async def _workbook(console: Console, path: str, params: dict[str, Any], filename: str) -> Response:
    answer = await console.api.response("GET", path, params=params)
    return Response(
        answer.content,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _bars(days: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Bar geometry for the week's chart: two bars a day (morning, afternoon), to scale."""
    tallest = max([1, *(max(d["morning"]["windows"], d["afternoon"]["windows"]) for d in days)])
    bars = []
    for i, d in enumerate(days):
        for j, half in enumerate(("morning", "afternoon")):
            windows = d[half]["windows"]
            height = round(CHART_HEIGHT * windows / tallest)
            bars.append(
                {
                    "x": 40 + i * 110 + j * 40,
                    "y": 20 + CHART_HEIGHT - height,
                    "height": height,
                    "windows": windows,
                    "half": half,
                    "label_x": 40 + i * 110 + 35,
                    "day": d["day"],
                    "peak": d["peak"],
                }
            )
    return bars


def _query(**params: Any) -> str:
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})
