"""Terminal tables that never cut a value short.

Rich shortens a cell that does not fit to "resour…", which loses exactly what a reader looks
for: a resource id, a file name. A table whose columns fit the terminal at their narrowest
(each word on a line of its own) is printed as a table, with any cell still too wide folded
onto the next line rather than cut; one that does not fit even so is printed as records, one
block of "header  value" lines per row, which needs only two columns.
"""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

UNLIMITED = 100_000


def print_table(console: Console, table: Table) -> None:
    """Print ``table`` whole: as a table if it fits the console's width, else as records."""
    for column in table.columns:
        column.overflow = "fold"
    if narrowest(console, table) <= console.width:
        console.print(table)
        return
    console.print(as_records(table))


def narrowest(console: Console, table: Table) -> int:
    """The table's width with every column at its longest word.

    Measured against unlimited room: rich measures a table within the width it would be
    given, which squeezes columns first and so always reports that it fits.
    """
    room = console.options.update_width(UNLIMITED)
    return Measurement.get(console, room, table).minimum


def as_records(table: Table) -> Table:
    """The same cells as a two-column table: a row per cell, a section per original row."""
    records = Table(
        title=table.title,
        show_header=False,
        box=box.SIMPLE,
        show_edge=False,
        padding=(0, 1),
    )
    records.add_column(style="bold", no_wrap=True)
    records.add_column(overflow="fold")
    headers = [column.header for column in table.columns]
    rows = list(zip(*(list(column.cells) for column in table.columns), strict=True))
    for number, row in enumerate(rows):
        for header, cell in zip(headers, row, strict=True):
            records.add_row(header, cell)
        if number < len(rows) - 1:
            records.add_section()
    return records
