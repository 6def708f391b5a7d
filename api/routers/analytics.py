"""The analysts' endpoints: case statistics, warnings, forecasts, charts and the SQL workbench.

Everything here reads the published analytical database (de-identified and aggregated), never
the pool; every call needs an analyst's (or an admin's) token. Errors are `{"code",
"message"}`, the message saying what to do.

The reader of that database, the charts, the SQL guard and workbench and the warning colours
are the snapshot package's (`snapshot.analytics`): the pipelines build the database with the
same definitions the API reads it with.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from collections import Counter
from typing import Annotated, Any

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
from fastapi import APIRouter, Body, Depends, Query, Request, Response, status

from api.analytics_access import (
    Analyst,
    Audit,
    Database,
    analytics_error,
    exported,
    finite,
    rows,
)
from api.auth import require_role
from api.bounds import DAY_RANGE, CalendarDay, Offset
from api.deps import workbench_of
from api.errors import ErrorContractRoute
from api.models_analytics import (
    AnalyticsSummary,
    BacktestScore,
    Colour,
    Dimension,
    ForecastPoint,
    ForecastSummary,
    Frequency,
    Grain,
    ModelChoice,
    QueryRequest,
    QueryResultBody,
    ResultColumn,
    ResultFormat,
    SeriesForecast,
    SeriesKind,
    StatisticsPage,
    StatisticsRow,
    ViewInfo,
    WarningCase,
    WarningsPage,
)
from api.models_directory import ErrorBody
from api.xlsx import MAX_EXPORT_ROWS, XLSX, Sheet, TableFormat, download
from directory.actors import Role
from directory.workdays import local_today
from snapshot.analytics import charts
from snapshot.analytics.charts import ChartFormat, ChartLanguage
from snapshot.analytics.config import load_settings
from snapshot.analytics.database import VIEWS
from snapshot.analytics.guard import DIALECT, READ_DIALECTS, QueryRefused
from snapshot.analytics.three_colour import WARNING_COLUMNS, recolour
from snapshot.analytics.workbench import QueryFailed, view_columns
from snapshot.calendar import official_calendar

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "No token, or a token that is invalid or revoked"},
    403: {"model": ErrorBody, "description": "Only analysts and admins read the analytics"},
    422: {"model": ErrorBody, "description": "Invalid parameters; `problems` names each one"},
    503: {"model": ErrorBody, "description": "The analytics have not been built yet"},
}
ARROW_STREAM = "application/vnd.apache.arrow.stream"
CHART_TYPES = {ChartFormat.png: "image/png", ChartFormat.svg: "image/svg+xml"}
STATISTICS_COLUMNS = ", ".join(StatisticsRow.model_fields)

router = APIRouter(
    prefix="/v1/analytics",
    tags=["analytics"],
    route_class=ErrorContractRoute,
    dependencies=[Depends(require_role(Role.analyst, Role.admin))],
    responses=ERRORS,
)


@router.get("/summary", response_model=AnalyticsSummary, summary="The headline figures")
def summary(con: Database) -> AnalyticsSummary:
    info = rows(con, "SELECT snapshot_version, built_at, calendar_known_through FROM build_info")
    totals = rows(
        con,
        f"SELECT {STATISTICS_COLUMNS} FROM case_statistics "
        "WHERE grain = 'all' AND dimension = 'centre'",
    )
    if not totals:
        raise analytics_error(404, "no_cases", "no certified cases yet: land a case file first")
    today = local_today()
    return AnalyticsSummary(
        snapshot_version=info[0]["snapshot_version"],
        built_at=info[0]["built_at"],
        as_of=today,
        calendar_known_through=info[0]["calendar_known_through"],
        totals=StatisticsRow(**totals[0]),
        open_cases=_colour_counts(_warnings(con, today, "", [])),
    )


@router.get(
    "/statistics",
    response_model=StatisticsPage,
    summary="Case statistics",
    responses={200: {"content": {XLSX: {}}}},
)
def statistics(
    request: Request,
    con: Database,
    caller: Analyst,
    audit: Audit,
    grain: Annotated[Grain, Query(description="all, day, week or month")] = Grain.month,
    dimension: Annotated[Dimension, Query()] = Dimension.centre,
    key: Annotated[
        str | None, Query(description="an item code or a department", examples=["4101000008"])
    ] = None,
    start: Annotated[dt.date | None, Query(description="first period start")] = None,
    end: Annotated[dt.date | None, Query(description="last period start")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    offset: Offset = 0,
    format: Annotated[
        TableFormat, Query(description="json, or xlsx: every matching row as a workbook")
    ] = TableFormat.json,
) -> StatisticsPage | Response:
    """Received, completed, completion rate (办结率), on-time rate, handling time in working
    days, 即办件 / 承诺件 split: one row per period of `grain` for each key of `dimension`.
    As xlsx, every row the filters match (not one page), up to the export limit."""
    where = ["grain = ?", "dimension = ?"]
    params: list[Any] = [grain.value, dimension.value]
    for clause, value in (
        ("key = ?", key),
        ("period_start >= ?", start),
        ("period_start <= ?", end),
    ):
        if value is not None:
            where.append(clause)
            params.append(value)
    condition = " AND ".join(where)
    if format is TableFormat.xlsx:
        found = rows(
            con,
            f"SELECT {STATISTICS_COLUMNS} FROM case_statistics WHERE {condition} "
            "ORDER BY key, period_start LIMIT ?",
            [*params, MAX_EXPORT_ROWS],
        )
        described = f"grain={grain.value}, dimension={dimension.value}, key={key or ''}"
        exported(request, caller, audit, "case statistics", described, len(found))
        return download(
            [Sheet("case_statistics", list(StatisticsRow.model_fields), found)],
            f"case-statistics-{grain.value}-{dimension.value}.xlsx",
        )
    total = rows(con, f"SELECT count(*) AS n FROM case_statistics WHERE {condition}", params)
    page = rows(
        con,
        f"SELECT {STATISTICS_COLUMNS} FROM case_statistics WHERE {condition} "
        "ORDER BY key, period_start LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return StatisticsPage(total=total[0]["n"], rows=[StatisticsRow(**r) for r in page])


@router.get(
    "/warnings",
    response_model=WarningsPage,
    summary="Open cases by colour (红黄绿)",
    responses={200: {"content": {XLSX: {}}}},
)
def warnings(
    request: Request,
    con: Database,
    caller: Analyst,
    audit: Audit,
    colour: Annotated[Colour | None, Query(description="only this colour")] = None,
    department: Annotated[str | None, Query(examples=["公安局"])] = None,
    service_item: Annotated[str | None, Query(examples=["4101000008"])] = None,
    as_of: Annotated[
        CalendarDay, Query(description=f"judge the cases on this day (default: today); {DAY_RANGE}")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 200,
    offset: Offset = 0,
    format: Annotated[
        TableFormat, Query(description="json, or xlsx: every matching case as a workbook")
    ] = TableFormat.json,
) -> WarningsPage | Response:
    """Every open case judged on `as_of`: green within its promise, yellow from the configured
    working days before the deadline, red once overdue. Reds first, then by deadline. As
    xlsx, every case the filters match (not one page), up to the export limit."""
    where, params = [], []
    for clause, value in (("department = ?", department), ("service_item_code = ?", service_item)):
        if value is not None:
            where.append(clause)
            params.append(value)
    day = as_of or local_today()
    judged = _warnings(con, day, " AND ".join(where), params)
    counts = _colour_counts(judged)
    chosen = [c for c in judged if colour is None or c["colour"] == colour.value]
    rank = {Colour.red.value: 0, Colour.yellow.value: 1, Colour.green.value: 2}
    chosen.sort(key=lambda c: (rank[c["colour"]], c["deadline"], c["case_no"]))
    if format is TableFormat.xlsx:
        shown = chosen[:MAX_EXPORT_ROWS]
        described = (
            f"as_of={day}, colour={colour.value if colour else ''}, "
            f"department={department or ''}, service_item={service_item or ''}"
        )
        exported(request, caller, audit, "case warnings", described, len(shown))
        return download(
            [Sheet("warnings", list(WarningCase.model_fields), shown)], f"warnings-{day}.xlsx"
        )
    return WarningsPage(
        as_of=day,
        counts=counts,
        total=len(chosen),
        cases=[WarningCase(**c) for c in chosen[offset : offset + limit]],
    )


@router.get("/forecasts", response_model=list[ForecastSummary], summary="Forecast series")
def forecasts(
    con: Database,
    kind: Annotated[SeriesKind | None, Query(description="item, department or window")] = None,
    frequency: Annotated[Frequency, Query()] = Frequency.daily,
) -> list[ForecastSummary]:
    """Every series with its chosen model and backtest errors beside the seasonal naive's."""
    where = "frequency = ?" + (" AND series_kind = ?" if kind else "")
    params: list[Any] = [frequency.value, *([kind.value] if kind else [])]
    found = rows(con, f"SELECT * FROM forecast_models WHERE {where} ORDER BY series_id", params)
    return [_summary(row) for row in found]


@router.get(
    "/forecasts/{kind}/{key}",
    response_model=SeriesForecast,
    summary="One series' forecast with intervals",
    responses={404: {"model": ErrorBody, "description": "No forecast for that series"}},
)
def series_forecast(
    con: Database, kind: SeriesKind, key: str, frequency: Frequency = Frequency.daily
) -> SeriesForecast:
    """The forecast per day (or week) with 80% and 95% intervals, closed days marked closed,
    and the model's backtest errors with every candidate's, so you can judge the trust."""
    series_id = f"{kind.value}:{key}"
    model = rows(
        con,
        "SELECT * FROM forecast_models WHERE series_id = ? AND frequency = ?",
        [series_id, frequency.value],
    )
    if not model:
        raise analytics_error(
            404,
            "series_not_found",
            f"no series {series_id}; list them with GET /v1/analytics/forecasts",
        )
    points = rows(
        con,
        "SELECT period_start, period_end, open_days, closed, provisional, forecast, lo_80, "
        "hi_80, lo_95, hi_95 FROM forecasts WHERE series_id = ? AND frequency = ? "
        "ORDER BY period_start",
        [series_id, frequency.value],
    )
    scores = rows(
        con,
        "SELECT model, mase, smape, chosen, baseline FROM backtest_errors "
        "WHERE series_id = ? AND frequency = ? ORDER BY mase NULLS LAST, model",
        [series_id, frequency.value],
    )
    today = local_today()
    return SeriesForecast(
        **_summary(model[0]).model_dump(),
        points=[ForecastPoint(**p, past=p["period_start"] < today) for p in points],
        backtest=[BacktestScore(**s) for s in scores],
    )


@router.get(
    "/forecasts/{kind}/{key}/chart",
    summary="A forecast chart (PNG or SVG)",
    response_class=Response,
    responses={
        200: {"content": {"image/png": {}, "image/svg+xml": {}}},
        404: {"model": ErrorBody, "description": "No forecast for that series"},
    },
)
def series_chart(
    con: Database,
    kind: SeriesKind,
    key: str,
    frequency: Frequency = Frequency.daily,
    format: Annotated[ChartFormat, Query(description="png or svg")] = ChartFormat.png,
    lang: Annotated[
        ChartLanguage, Query(description="the chart's words: en, or zh for Chinese")
    ] = ChartLanguage.en,
) -> Response:
    """History, forecast with 80% and 95% bands, official holidays shaded, closed days marked,
    forecast days already past shaded as past, and the model's backtest error against the
    seasonal naive in the subtitle."""
    try:
        data = charts.chart_data(con, f"{kind.value}:{key}", frequency.value, local_today())
    except charts.SeriesNotFound as error:
        raise analytics_error(404, "series_not_found", str(error)) from error
    image = charts.render(data, format, lang)
    return Response(image, media_type=CHART_TYPES[format])


@router.get("/views", response_model=list[ViewInfo], summary="Views the workbench can query")
def views(con: Database) -> list[ViewInfo]:
    columns = view_columns(con)
    return [
        ViewInfo(name=name, description=description, columns=columns.get(name, []))
        for name, description in VIEWS.items()
    ]


@router.post(
    "/query",
    response_model=QueryResultBody,
    summary="Run one read-only SELECT over the analytical views",
    responses={
        200: {"content": {"text/csv": {}, ARROW_STREAM: {}}},
        400: {"model": ErrorBody, "description": "The query was refused; the message says why"},
        422: {"model": ErrorBody, "description": "The query failed or hit the time limit"},
    },
)
def query(
    http: Request,
    request: Annotated[
        QueryRequest,
        Body(
            openapi_examples={
                "busiest items": {
                    "summary": "cases per item this month",
                    "value": {
                        "sql": "SELECT service_item_name, count(*) AS cases FROM cases "
                        "WHERE received_date >= DATE '2026-11-01' GROUP BY ALL "
                        "ORDER BY cases DESC",
                        "limit": 20,
                    },
                },
                "late cases": {
                    "summary": "red cases per department",
                    "value": {
                        "sql": "SELECT department, count(*) FROM case_warnings "
                        "WHERE colour = 'red' GROUP BY ALL"
                    },
                },
            }
        ),
    ],
    format: Annotated[ResultFormat, Query(description="json, csv or arrow (IPC stream)")] = (
        ResultFormat.json
    ),
    dialect: Annotated[
        str | None,
        Query(
            description="also return the query transpiled to this sqlglot dialect",
            examples=["postgres"],
        ),
    ] = None,
    read: Annotated[
        str,
        Query(
            description=f"the dialect the SQL is written in: {', '.join(READ_DIALECTS)}",
            examples=["tsql"],
        ),
    ] = DIALECT,
) -> Response | QueryResultBody:
    """One SELECT (CTEs and UNIONs allowed) over the views of `GET /v1/analytics/views`, checked
    with sqlglot, run read-only without file or network access, cut at the row limit and
    stopped at the time limit."""
    try:
        result = workbench_of(http.app).run(
            request.sql, load_settings().workbench, request.limit, dialect, read
        )
    except FileNotFoundError as error:
        raise analytics_error(503, "analytics_missing", str(error)) from error
    except QueryRefused as error:
        raise analytics_error(status.HTTP_400_BAD_REQUEST, error.code, error.message) from error
    except QueryFailed as error:
        raise analytics_error(422, error.code, error.message) from error
    headers = {
        "X-Row-Count": str(result.table.num_rows),
        "X-Truncated": str(result.truncated).lower(),
        "X-Row-Limit": str(result.row_limit),
    }
    if result.transpiled is not None:
        headers["X-Transpiled-SQL"] = urllib.parse.quote(result.transpiled)
    if format is ResultFormat.csv:
        sink = pa.BufferOutputStream()
        pacsv.write_csv(result.table, sink)
        return Response(sink.getvalue().to_pybytes(), media_type="text/csv", headers=headers)
    if format is ResultFormat.arrow:
        table = result.table.replace_schema_metadata(
            {"onceonly.sql": result.sql, "onceonly.transpiled": result.transpiled or ""}
        )
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        return Response(sink.getvalue().to_pybytes(), media_type=ARROW_STREAM, headers=headers)
    return QueryResultBody(
        columns=[ResultColumn(name=f.name, type=str(f.type)) for f in result.table.schema],
        rows=[[finite(v) for v in row.values()] for row in result.table.to_pylist()],
        row_count=result.table.num_rows,
        truncated=result.truncated,
        row_limit=result.row_limit,
        seconds=round(result.seconds, 4),
        sql=result.sql,
        dialect=dialect,
        transpiled=result.transpiled,
    )


def _warnings(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, condition: str, params: list[Any]
) -> list[dict[str, Any]]:
    columns = ", ".join(WARNING_COLUMNS)
    where = f" WHERE {condition}" if condition else ""
    stored = con.sql(f"SELECT {columns} FROM case_warnings{where}", params=params).to_arrow_table()
    return recolour(stored, as_of, load_settings().warnings, official_calendar()).to_pylist()


def _colour_counts(cases: list[dict[str, Any]]) -> dict[Colour, int]:
    counts = Counter(c["colour"] for c in cases)
    return {colour: counts.get(colour.value, 0) for colour in Colour}


def _summary(row: dict[str, Any]) -> ForecastSummary:
    choice = (
        ModelChoice(**{k: row[k] for k in ModelChoice.model_fields})
        if row["status"] == "forecast"
        else None
    )
    return ForecastSummary(
        series_id=row["series_id"],
        series_kind=row["series_kind"],
        series_key=row["series_key"],
        series_name=row["series_name"],
        frequency=row["frequency"],
        status=row["status"],
        choice=choice,
    )
