"""`onceonly sql`: one read-only query over the analytical views, as the API's workbench runs it."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from onceonly_cli.tables import print_table

console = Console()


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def sql(
    query: Annotated[
        str | None, typer.Argument(help="One SELECT over the analytical views; - reads stdin.")
    ] = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="How to print rows.")] = (
        OutputFormat.table
    ),
    limit: Annotated[int | None, typer.Option(help="At most this many rows.")] = None,
    dialect: Annotated[
        str | None, typer.Option(help="Also print the query in this sqlglot dialect.")
    ] = None,
    read: Annotated[
        str,
        typer.Option(
            help="The dialect the query is written in: duckdb, tsql, mysql, postgres, ..."
        ),
    ] = "duckdb",
    views: Annotated[bool, typer.Option("--views", help="List the views and columns.")] = False,
) -> None:
    """Run one read-only SELECT over the analytical views (statistics, warnings, forecasts,
    de-identified cases, catalogue figures), with the workbench's checks and limits."""
    from onceonly_cli.analytics import connect_analytics
    from snapshot.analytics.config import load_settings
    from snapshot.analytics.database import VIEWS, database_path
    from snapshot.analytics.guard import QueryRefused
    from snapshot.analytics.workbench import QueryFailed, run_query, view_columns

    if views:
        with connect_analytics() as con:
            columns = view_columns(con)
        for name, description in VIEWS.items():
            console.print(f"[bold]{name}[/bold]: {description}", highlight=False)
            console.print(f"  {', '.join(columns.get(name, []))}", highlight=False)
        return
    text = sys.stdin.read() if query in (None, "-") else query
    try:
        result = run_query(
            database_path(), text or "", load_settings().workbench, limit, dialect, read
        )
    except FileNotFoundError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(code=1) from error
    except (QueryRefused, QueryFailed) as error:
        console.print(f"[red]{error.code}:[/red] {escape(error.message)}", highlight=False)
        raise typer.Exit(code=2) from error
    if result.transpiled is not None:
        console.print(f"-- {dialect}\n{result.transpiled}", highlight=False)
    rows = result.table.to_pylist()
    if output is OutputFormat.json:
        typer.echo(json.dumps(rows, default=str, ensure_ascii=False))
    elif output is OutputFormat.csv:
        import pyarrow.csv as pacsv

        pacsv.write_csv(result.table, sys.stdout.buffer)
    else:
        table = Table(*result.table.column_names)
        for row in rows:
            table.add_row(*("" if v is None else str(v) for v in row.values()))
        print_table(console, table)
    note = f"{len(rows)} row(s) in {result.seconds:.3f} s"
    if result.truncated:
        note += f"; cut at the row limit {result.row_limit}"
    console.print(note, style="dim", highlight=False)
