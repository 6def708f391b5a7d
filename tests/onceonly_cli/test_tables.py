"""Terminal tables keep every name whole at 80 columns: a table, or records when too wide."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table
from rich.text import Text

from onceonly_cli.tables import narrowest, print_table

RESOURCES = ("hrss_insurance", "nr_real_estate", "ps_population", "tax_standing")
STATUS_HEADERS = (
    "resource",
    "batches",
    "landed",
    "certified",
    "quarantined",
    "duplicates",
    "open quarantine",
    "score",
    "last gate failure",
)


def rendered(table: Table, width: int) -> str:
    out = io.StringIO()
    print_table(Console(file=out, width=width, color_system=None), table)
    return out.getvalue()


def status_table() -> Table:
    table = Table(title="Certified pool, snapshot v3")
    for header in STATUS_HEADERS:
        table.add_column(header, justify="left" if header == "resource" else "right")
    for resource in RESOURCES:
        table.add_row(resource, "3", "20,123", "19,800", "300", "23", "120", "98.2%", Text(""))
    return table


def test_a_table_too_wide_for_80_columns_prints_as_records_with_every_name_whole() -> None:
    table = status_table()
    assert narrowest(Console(width=80), table) > 80
    out = rendered(table, 80)
    assert "…" not in out
    assert max(len(line) for line in out.splitlines()) <= 80
    lines = [line.split() for line in out.splitlines()]
    assert [line[1] for line in lines if line[:1] == ["resource"]] == list(RESOURCES)
    assert sum(line[:2] == ["open", "quarantine"] for line in lines) == len(RESOURCES)


def test_a_table_that_fits_stays_a_table() -> None:
    out = rendered(status_table(), 160)
    assert "open quarantine" in out and "…" not in out
    assert all(any(r in line and "98.2%" in line for line in out.splitlines()) for r in RESOURCES)


def test_a_long_value_in_a_table_that_fits_is_folded_not_cut() -> None:
    table = Table(title="files")
    table.add_column("file")
    table.add_column("rows", justify="right")
    long_name = "社会保险参保信息_20261120_" + "x" * 60 + ".xlsx"
    table.add_row(long_name, "12")
    out = rendered(table, 40)
    assert "…" not in out
    assert long_name in "".join(out.split())
