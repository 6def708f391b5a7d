"""Analysts' pages: case statistics with warnings, forecast charts, and the SQL workbench."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import HTMLResponse, Response

from api.console.client import ApiError
from api.console.render import view
from api.console.session import CONSOLE_PATH, Console, checked_form, role_gate

router = APIRouter(prefix=CONSOLE_PATH)
Analyst = Annotated[Console, Depends(role_gate("analyst"))]
SERIES_KINDS = "^(item|department|window)$"
PAGE_ROWS = 50  # rows of warnings or statistics per page


@router.get("/analytics", response_class=HTMLResponse)
async def analytics(
    console: Analyst,
    dimension: Annotated[str, Query(pattern="^(centre|department|service_item)$")] = "centre",
    grain: Annotated[str, Query(pattern="^(all|day|week|month)$")] = "month",
    key: Annotated[str | None, Query(max_length=64)] = None,
    statistics_page: Annotated[int, Query(ge=0, le=100_000)] = 0,
    colour: Annotated[str | None, Query(pattern="^(red|yellow|green)?$")] = None,
    department: Annotated[str | None, Query(max_length=64)] = None,
    service_item: Annotated[str | None, Query(max_length=64)] = None,
    warnings_page: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> HTMLResponse:
    """Case statistics and the three-colour warnings, each with its filters, pages and an
    Excel download of every row the filters match."""
    summary = await console.api.get("/v1/analytics/summary")
    warning_filters = {"colour": colour, "department": department, "service_item": service_item}
    warnings = await console.api.get(
        "/v1/analytics/warnings",
        **warning_filters,
        limit=PAGE_ROWS,
        offset=warnings_page * PAGE_ROWS,
    )
    statistic_filters = {"grain": grain, "dimension": dimension, "key": key}
    statistics = await console.api.get(
        "/v1/analytics/statistics",
        **statistic_filters,
        limit=PAGE_ROWS,
        offset=statistics_page * PAGE_ROWS,
    )
    departments = await console.api.get(
        "/v1/analytics/statistics", grain="all", dimension="department"
    )
    items = await console.api.get("/v1/analytics/statistics", grain="all", dimension="service_item")
    here = {
        **warning_filters,
        **statistic_filters,
        "warnings_page": warnings_page,
        "statistics_page": statistics_page,
    }
    return view(
        console,
        "analytics.html",
        summary=summary,
        warnings=warnings,
        cases=warnings["cases"],
        statistics=statistics["rows"],
        statistics_total=statistics["total"],
        dimension=dimension,
        grain=grain,
        key=key or "",
        colour=colour or "",
        department=department or "",
        service_item=service_item or "",
        departments=[r["key"] for r in departments["rows"]],
        items=[(r["key"], r["name"]) for r in items["rows"]],
        warnings_page=warnings_page,
        statistics_page=statistics_page,
        page_rows=PAGE_ROWS,
        link=lambda **changes: "/console/analytics?" + _query({**here, **changes}),
        warnings_export=_query({**warning_filters}),
        statistics_export=_query({**statistic_filters}),
    )


def _query(params: dict[str, Any]) -> str:
    return urlencode({k: v for k, v in params.items() if v not in (None, "", 0)})


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
