"""Analysts' pages: case statistics with warnings, forecast charts, and the SQL workbench."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import HTMLResponse, Response

from api.console.client import ApiError
from api.console.render import view
from api.console.session import CONSOLE_PATH, Console, checked_form, role_gate

router = APIRouter(prefix=CONSOLE_PATH)
Analyst = Annotated[Console, Depends(role_gate("analyst"))]
SERIES_KINDS = "^(item|department|window)$"


@router.get("/analytics", response_class=HTMLResponse)
async def analytics(
    console: Analyst,
    dimension: Annotated[str, Query(pattern="^(centre|department|service_item)$")] = "centre",
) -> HTMLResponse:
    summary = await console.api.get("/v1/analytics/summary")
    warnings = await console.api.get("/v1/analytics/warnings")
    statistics = await console.api.get(
        "/v1/analytics/statistics", grain="month", dimension=dimension
    )
    order = {"red": 0, "yellow": 1, "green": 2}
    cases = sorted(warnings["cases"], key=lambda c: (order[c["colour"]], c["working_days_left"]))
    return view(
        console,
        "analytics.html",
        summary=summary,
        warnings=warnings,
        cases=cases,
        statistics=statistics["rows"],
        dimension=dimension,
    )


@router.get("/forecasts", response_class=HTMLResponse)
async def forecasts(
    console: Analyst,
    kind: Annotated[str | None, Query(pattern=SERIES_KINDS)] = None,
    key: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    series = await console.api.get("/v1/analytics/forecasts")
    chosen = None
    if series:
        # By default the busiest service item with a forecast, as the summary's chart shows.
        kind = kind or "item"
        of_kind = [s for s in series if s["series_kind"] == kind] or series
        key = key or next(
            (s["series_key"] for s in of_kind if s["status"] == "forecast"),
            of_kind[0]["series_key"],
        )
        chosen = next(s for s in series if (s["series_kind"], s["series_key"]) == (kind, key))
        if chosen["status"] == "forecast":
            chosen = await console.api.get(f"/v1/analytics/forecasts/{kind}/{key}")
    return view(console, "forecasts.html", series=series, chosen=chosen, kind=kind, key=key)


@router.get("/forecasts/{kind}/{key}/chart.svg")
async def forecast_chart(
    console: Analyst,
    kind: Annotated[str, Path(pattern=SERIES_KINDS)],
    key: Annotated[str, Path(max_length=64)],
) -> Response:
    chart = await console.api.response(
        "GET",
        f"/v1/analytics/forecasts/{kind}/{key}/chart",
        params={"format": "svg", "lang": console.lang},
    )
    return Response(chart.content, media_type="image/svg+xml")


READ_DIALECTS = ("duckdb", "postgres", "mysql", "tsql")  # what the workbench page offers
EXAMPLE_SQL = (
    "SELECT service_item_name, count(*) AS cases\nFROM cases\n"
    "GROUP BY ALL\nORDER BY cases DESC\nLIMIT 20"
)


@router.get("/workbench", response_class=HTMLResponse)
async def workbench(console: Analyst) -> HTMLResponse:
    views = await console.api.get("/v1/analytics/views")
    return view(
        console,
        "workbench.html",
        views=views,
        sql=EXAMPLE_SQL,
        read="duckdb",
        dialects=READ_DIALECTS,
        result=None,
        error=None,
    )


@router.post("/workbench", response_class=HTMLResponse)
async def run_query(console: Analyst) -> Response:
    form = await checked_form(console)
    sql = str(form.get("sql", ""))
    read = str(form.get("read", "duckdb"))
    read = read if read in READ_DIALECTS else "duckdb"
    if form.get("download") == "csv":
        answer = await console.api.response(
            "POST",
            "/v1/analytics/query",
            params={"format": "csv", "read": read},
            json={"sql": sql},
        )
        return Response(
            answer.content,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="query.csv"'},
        )
    views = await console.api.get("/v1/analytics/views")
    try:
        result = await console.api.post("/v1/analytics/query", {"sql": sql}, read=read)
    except ApiError as error:
        if error.status >= 500:
            raise
        return view(
            console,
            "workbench.html",
            status_code=error.status,
            views=views,
            sql=sql,
            read=read,
            dialects=READ_DIALECTS,
            result=None,
            error=error,
        )
    return view(
        console,
        "workbench.html",
        views=views,
        sql=sql,
        read=read,
        dialects=READ_DIALECTS,
        result=result,
        error=None,
    )
