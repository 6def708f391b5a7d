"""`onceonly forecast`: backtest the method on any daily series, show and chart forecasts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from onceonly_cli.analytics import connect_analytics
from onceonly_cli.tables import print_table

app = typer.Typer(
    help="Demand forecasts: backtest the method on your own file, show and chart forecasts.",
    no_args_is_help=True,
)
console = Console()


@app.command()
def backtest(
    input: Annotated[Path, typer.Option("--input", help="A CSV or Parquet file.")],
    date_col: Annotated[str, typer.Option("--date-col", help="Column holding the day.")],
    value_col: Annotated[str, typer.Option("--value-col", help="Column holding the count.")],
    series_col: Annotated[
        str | None, typer.Option("--series-col", help="Column naming the series, if several.")
    ] = None,
    horizon: Annotated[int, typer.Option(help="Calendar days ahead per backtest window.")] = 28,
    windows: Annotated[int, typer.Option(help="Rolling-origin backtest windows.")] = 4,
    calendar: Annotated[
        str,
        typer.Option(
            help="china: closed on Chinese weekends and holidays (调休 included); "
            "every_day: every day is open; weekdays: Monday to Friday are open."
        ),
    ] = "china",
    country: Annotated[
        str | None,
        typer.Option(
            help="Public holidays of this country (ISO code: CN, US, GB, ...): closed with "
            "--calendar weekdays, open but known to the models with every_day."
        ),
    ] = None,
    closed_days: Annotated[
        str | None,
        typer.Option(
            "--closed-days",
            help="The centre's own closures: a file of dates (one a line) or a "
            "comma-separated list, e.g. 2025-03-03,2025-03-04.",
        ),
    ] = None,
    jobs: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Backtest every candidate model on a daily series file; print MASE, sMAPE, wall time."""
    from pipelines.analytics.forecasting.user_file import (
        CalendarMode,
        UserCalendar,
        UserFileError,
        backtest_file,
        read_daily_file,
    )
    from pipelines.analytics.forecasting.user_file import (
        closed_days as parse_closed_days,
    )
    from snapshot.calendar import official_calendar

    try:
        user = UserCalendar(
            mode=CalendarMode(calendar),
            country=country.upper() if country else None,
            closed=parse_closed_days(closed_days) if closed_days else frozenset(),
        )
        frame = read_daily_file(input, date_col, value_col, series_col)
        report = backtest_file(frame, official_calendar(), user, horizon, windows, jobs)
    except (UserFileError, ValueError) as error:
        console.print(f"[red]cannot backtest:[/red] {error}")
        raise typer.Exit(code=2) from error
    table = Table(
        title=f"Backtest of {report.series} series from {input.name}: {report.windows} windows "
        f"of {report.horizon_steps} open days (season {report.season_length})"
    )
    for header in ("model", "MASE", "sMAPE %", "wall s", "best for"):
        table.add_column(header, justify="left" if header == "model" else "right")
    for model in report.models:
        table.add_row(
            model.model,
            f"{model.mase:.3f}",
            f"{model.smape:.1f}",
            f"{model.seconds:.2f}",
            f"{model.chosen_for} series",
        )
    print_table(console, table)
    console.print(
        "MASE < 1 beats the seasonal naive's in-sample error; the baseline scored "
        f"{report.baseline.mase:.3f}."
    )
    if report.cut_series:
        console.print(
            f"{report.cut_series} series longer than {report.fit_days} days before the first "
            "window: the models were fitted on their last "
            f"{report.fit_days} days only (older days change little and cost much)."
        )
    if report.filled_days:
        console.print(f"{report.filled_days} open day(s) missing from the file counted as 0.")
    for sid, why in report.skipped.items():
        console.print(f"[yellow]skipped[/yellow] {sid}: {why.replace('_', ' ')}")


@app.command()
def show(
    series: Annotated[str, typer.Argument(help="A series id, e.g. item:4101000008.")],
    frequency: Annotated[str, typer.Option(help="daily or weekly.")] = "daily",
) -> None:
    """Print a series' forecast with its intervals, model and backtest errors."""
    with connect_analytics() as con:
        model = con.execute(
            "SELECT series_name, model, mase, baseline_mase, smape, baseline_smape "
            "FROM forecast_models WHERE series_id = ? AND frequency = ? AND status = 'forecast'",
            [series, frequency],
        ).fetchall()
        rows = con.execute(
            "SELECT period_start, period_end, closed, provisional, forecast, lo_80, hi_80, "
            "lo_95, hi_95 FROM forecasts WHERE series_id = ? AND frequency = ? "
            "ORDER BY period_start",
            [series, frequency],
        ).fetchall()
    if not model:
        console.print(f"[red]no {frequency} forecast for {series}[/red]")
        raise typer.Exit(code=1)
    name, chosen, mase, baseline, smape, baseline_smape = model[0]
    table = Table(
        title=f"{series} {name}: {chosen}, backtest MASE {mase:.2f} (seasonal naive "
        f"{baseline:.2f}), sMAPE {smape:.0f}% ({baseline_smape:.0f}%)"
    )
    for header in ("period", "forecast", "80%", "95%", "note"):
        table.add_column(header, justify="left" if header in ("period", "note") else "right")
    for start, end, closed, provisional, value, lo80, hi80, lo95, hi95 in rows:
        period = str(start) if start == end else f"{start}..{end}"
        note = "closed" if closed else ("provisional calendar" if provisional else "")
        table.add_row(
            period, f"{value:.1f}", f"{lo80:.1f}-{hi80:.1f}", f"{lo95:.1f}-{hi95:.1f}", note
        )
    print_table(console, table)


@app.command()
def chart(
    series: Annotated[str, typer.Argument(help="A series id, e.g. item:4101000008.")],
    out: Annotated[Path, typer.Option(help="Where to write it: .png or .svg.")],
    frequency: Annotated[str, typer.Option(help="daily or weekly.")] = "daily",
) -> None:
    """Draw a series' forecast (history, intervals, holidays shaded) to a PNG or SVG file."""
    from snapshot.analytics.charts import ChartFormat, SeriesNotFound, chart_data, render

    suffix = out.suffix.lower().lstrip(".")
    if suffix not in {f.value for f in ChartFormat}:
        console.print("[red]--out must end in .png or .svg[/red]")
        raise typer.Exit(code=2)
    try:
        with connect_analytics() as con:
            data = chart_data(con, series, frequency)
    except SeriesNotFound as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(code=1) from error
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(render(data, ChartFormat(suffix)))
    console.print(f"wrote {out}")
