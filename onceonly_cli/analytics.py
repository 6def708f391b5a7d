"""`onceonly analytics`: build the analytical database, print the headline, check the calendar."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from onceonly_cli.tables import print_table

if TYPE_CHECKING:
    import duckdb

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
    from pipelines.analytics.assets import ANALYTICS_KEYS
    from pipelines.definitions import build_definitions
    from pipelines.instance import get_instance
    from pipelines.landing.runner import QUIET

    with console.status("building the analytics (statistics, warnings, forecasts)"):
        result = (
            build_definitions()
            .resolve_implicit_global_asset_job_def()
            .execute_in_process(
                instance=get_instance(),
                asset_selection=list(ANALYTICS_KEYS),
                run_config=QUIET,
                raise_on_error=False,
            )
        )
    for event in result.get_asset_materialization_events():
        materialization = event.materialization
        figures = {k: v.value for k, v in materialization.metadata.items()}
        shown = ", ".join(
            f"{k} {v}"
            for k, v in figures.items()
            if isinstance(v, int | float) and not k.startswith("seconds_")
        )
        console.print(f"{materialization.asset_key.to_user_string()}: {shown}", highlight=False)
    if not result.success:
        failures = [e for e in result.all_events if e.is_step_failure]
        message = "see the run's logs in the Dagster UI"
        if failures and failures[0].step_failure_data and failures[0].step_failure_data.error:
            error = failures[0].step_failure_data.error
            while error.cause is not None:
                error = error.cause
            message = error.message.strip()
        console.print(f"[red]the analytics build failed:[/red] {message}")
        raise typer.Exit(code=1)
