"""`onceonly analytics`: build the analytical database, print the headline, check the calendar."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from onceonly_cli.tables import print_table

if TYPE_CHECKING:
    import duckdb

    from pipelines.analytics.refresh import Refresh

app = typer.Typer(
    help="Case statistics, warnings and forecasts for analysts.", no_args_is_help=True
)
console = Console()


def connect_analytics() -> duckdb.DuckDBPyConnection:
    """The analytical database opened as every reader opens it, or a message and exit 1."""
    from snapshot.analytics.config import load_settings
    from snapshot.analytics.database import database_path, open_analytics

    try:
        return open_analytics(database_path(), load_settings().workbench)
    except FileNotFoundError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(code=1) from error


@app.command()
def build() -> None:
    """Materialise the analytics assets now (one Dagster run, recorded like the daemon's)."""
    import settings
    from snapshot.manifest import current_version

    if current_version(settings.current().serving) is None:
        console.print("[red]no published snapshot yet: run `onceonly ingest` first[/red]")
        raise typer.Exit(code=1)
    _materialise()


@app.command()
def summary(
    rebuild: Annotated[
        bool, typer.Option(help="Rebuild even if the analytics match the current snapshot.")
    ] = False,
) -> None:
    """Headline case statistics, red and yellow cases, and a forecast chart of the busiest
    service item (written under $ONCEONLY_HOME/analytics/charts). Builds the analytics
    first when the current snapshot is newer than them."""
    import settings
    from directory.workdays import local_today
    from pipelines.analytics.build import work_dir
    from pipelines.analytics.summary import headline
    from snapshot.analytics.config import load_settings
    from snapshot.analytics.database import database_path, read_manifest
    from snapshot.calendar import official_calendar
    from snapshot.manifest import current_version

    snapshot = current_version(settings.current().serving)
    if snapshot is None:
        console.print("[red]no published snapshot yet: run `onceonly ingest` first[/red]")
        raise typer.Exit(code=1)
    manifest = read_manifest(settings.current().serving)
    if rebuild or manifest is None or manifest.get("snapshot_version") != snapshot.version:
        _materialise()
    result = headline(
        database_path(), work_dir() / "charts", load_settings(), official_calendar(), local_today()
    )
    for line in result.lines():
        console.print(line, highlight=False)


@app.command()
def staffing(
    level: Annotated[
        float | None, typer.Option(min=0.01, max=0.99, help="Share called in time (0.8).")
    ] = None,
    within_minutes: Annotated[
        float | None, typer.Option(min=1, max=240, help="The wait it is for (15).")
    ] = None,
    department: Annotated[str | None, typer.Option(help="Only this department.")] = None,
    week: Annotated[
        dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Any day of the week.")
    ] = None,
    xlsx: Annotated[Path | None, typer.Option(help="Also write the plan to this workbook.")] = None,
) -> None:
    """Windows to open per department, day and half-day (Erlang C on the daily forecast,
    the upper interval on peak days), one table per department and week."""
    from snapshot.analytics.config import load_settings
    from snapshot.analytics.staffing_plan import (
        PLAN_COLUMNS,
        PLAN_FORECASTS_SQL,
        PROFILE_SQL,
        plan_days,
        read_profiles,
    )

    settings = load_settings().staffing
    chosen_level = level if level is not None else settings.target_level
    minutes = within_minutes if within_minutes is not None else settings.target_minutes
    with connect_analytics() as con:
        profiles = read_profiles(_dicts(con, PROFILE_SQL), settings)
        plans = plan_days(
            _dicts(con, PLAN_FORECASTS_SQL), profiles, settings, chosen_level, minutes
        )
    monday = (week.date() - dt.timedelta(days=week.weekday())) if week else None
    plans = [
        p
        for p in plans
        if (department is None or p.department == department)
        and (monday is None or p.week_start == monday)
    ]
    if not plans:
        console.print("[yellow]no forecast days match: see `onceonly forecast show`[/yellow]")
        raise typer.Exit(code=1)
    console.print(
        f"{chosen_level:.0%} of applicants called within {minutes:g} minutes; morning "
        f"{'-'.join(settings.morning)}, afternoon {'-'.join(settings.afternoon)}; peak days "
        f"(*) planned on {settings.peak_bound}",
        highlight=False,
    )
    groups: dict[tuple[str, dt.date], list[Any]] = {}
    for plan in plans:
        groups.setdefault((plan.department, plan.week_start), []).append(plan)
    for (name, start), days in groups.items():
        table = Table(title=f"{name}, week of {start}")
        for header in (
            "day",
            "forecast",
            "planned for",
            "min/case",
            "morning",
            "afternoon",
            "windows",
        ):
            table.add_column(header, justify="left" if header == "day" else "right")
        for p in days:
            label = (
                f"{p.day} {p.day:%a}" + (" closed" if p.closed else "") + (" *" if p.peak else "")
            )
            table.add_row(
                label,
                f"{p.forecast:.1f}",
                f"{p.arrivals:.1f}",
                f"{p.handling_minutes:.1f}",
                str(p.morning.windows),
                str(p.afternoon.windows),
                str(p.windows),
            )
        print_table(console, table)
    if xlsx is not None:
        from api.xlsx import Sheet, workbook

        xlsx.write_bytes(workbook([Sheet("staffing_plan", PLAN_COLUMNS, [p.row() for p in plans])]))
        console.print(f"{len(plans)} days written to {xlsx}", highlight=False)


@app.command("staffing-backtest")
def staffing_backtest(
    level: Annotated[float | None, typer.Option(min=0.01, max=0.99)] = None,
    within_minutes: Annotated[float | None, typer.Option(min=1, max=240)] = None,
) -> None:
    """Replay the held-out weeks through the plan their forecast would have given: the share
    of open department-days on which the target was met."""
    from snapshot.analytics.config import load_settings
    from snapshot.analytics.staffing_backtest import backtest

    settings = load_settings().staffing
    chosen_level = level if level is not None else settings.target_level
    minutes = within_minutes if within_minutes is not None else settings.target_minutes
    with connect_analytics() as con:
        result = backtest(con, settings, chosen_level, minutes)
    if result.share_met is None:
        console.print("[yellow]no held-out days: the data is shorter than the holdout[/yellow]")
        raise typer.Exit(code=1)
    by_department: dict[str, list[int]] = {}
    for day in result.days:
        met = by_department.setdefault(day.plan.department, [0, 0])
        met[0] += day.met(chosen_level)
        met[1] += 1
    table = Table(title=f"{chosen_level:.0%} within {minutes:g} minutes on held-out days")
    for header in ("department", "days met", "days", "share"):
        table.add_column(header, justify="left" if header == "department" else "right")
    for name, (met_days, days) in sorted(by_department.items()):
        table.add_row(name, str(met_days), str(days), f"{met_days / days:.1%}")
    print_table(console, table)
    console.print(
        f"the plan met the target on {result.met} of {len(result.days)} held-out "
        f"department-days ({result.share_met:.1%}); {sum(d.applicants for d in result.days):,} "
        "applicants replayed",
        highlight=False,
    )


def _dicts(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@app.command()
def calendar(
    year: Annotated[int | None, typer.Option(help="List this year's holidays and 调休.")] = None,
) -> None:
    """Which years follow an official schedule, where the centre's calendar file is, and
    (with --year) the year's days off and adjusted working days."""
    from snapshot.calendar import DayKind, calendar_file, official_calendar

    official = official_calendar()
    path = calendar_file()
    loaded = ", ".join(str(y) for y in sorted(official.schedules)) or "none"
    console.print(f"official schedule known through {official.known_through}")
    console.print(
        f"calendar file {path} ({'present' if path.exists() else 'absent'}); "
        f"years it sets: {loaded}"
    )
    if year is None:
        return
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    table = Table(title=f"{year}: days off on weekdays, holidays and adjusted working days")
    for header in ("day", "weekday", "kind", "name"):
        table.add_column(header)
    for offset in range((last - first).days + 1):
        day = first + dt.timedelta(days=offset)
        found = official.day(day)
        if found.kind in (DayKind.holiday, DayKind.adjusted_workday):
            table.add_row(str(day), day.strftime("%a"), found.kind.value, found.name or "")
    print_table(console, table)
    if official.is_provisional(first):
        console.print(
            f"[yellow]{year} is provisional:[/yellow] these are the package's rules, without "
            f"调休. Add the State Council's schedule for {year} to {path}."
        )


def _materialise() -> None:
    """Rebuild the analytics step by step with a progress bar; exit 1 naming a failed step."""
    outcome = refresh_with_progress(console)
    if not outcome.success:
        console.print(
            f"[red]the analytics build failed at {outcome.failed_step}:[/red] {outcome.error}"
        )
        raise typer.Exit(code=1)


def refresh_with_progress(out: Console) -> Refresh:
    """The analytics assets materialised in order, one progress step each, and their
    headline figures printed as each step ends."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from pipelines.analytics.refresh import refresh_analytics
    from pipelines.definitions import build_definitions
    from pipelines.instance import get_instance

    with Progress(
        TextColumn("analytics: {task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=out,
    ) as progress:
        task = progress.add_task("starting", total=None)

        def step(done: int, total: int, name: str) -> None:
            progress.update(task, completed=done, total=total, description=name)

        outcome = refresh_analytics(build_definitions(), get_instance(), step)
    for name, figures in outcome.figures.items():
        shown = ", ".join(
            f"{k} {v}"
            for k, v in figures.items()
            if isinstance(v, int | float) and not k.startswith("seconds_")
        )
        out.print(f"{name}: {shown}", highlight=False)
    return outcome
