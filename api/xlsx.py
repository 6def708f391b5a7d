"""Excel answers: rows written into a workbook in memory and sent as a download.

Analysts take warnings, statistics and staffing plans into Excel to share and annotate, so
the API answers them as a workbook (xlsxwriter) as well as JSON: one sheet per table, the
header row bold, frozen and filterable, dates and numbers as Excel values, not text.
"""

from __future__ import annotations

import datetime as dt
import io
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import xlsxwriter
from fastapi import Response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_EXPORT_ROWS = 100_000  # beyond it, the workbench's CSV is the way out


class TableFormat(StrEnum):
    json = "json"
    xlsx = "xlsx"


@dataclass(frozen=True)
class Sheet:
    name: str  # at most 31 characters, Excel's limit
    columns: Sequence[str]
    rows: Sequence[Mapping[str, Any]]


def workbook(sheets: Sequence[Sheet]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "remove_timezone": True})
    bold = book.add_format({"bold": True, "bg_color": "#DDEBF7"})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for sheet in sheets:
        page = book.add_worksheet(sheet.name[:31])
        for c, column in enumerate(sheet.columns):
            page.write_string(0, c, column, bold)
            page.set_column(c, c, max(10, min(30, len(column) + 4)))
        for r, row in enumerate(sheet.rows, start=1):
            for c, column in enumerate(sheet.columns):
                _write(page, r, c, row.get(column), date, stamp)
        page.freeze_panes(1, 0)
        page.autofilter(0, 0, max(len(sheet.rows), 1), max(len(sheet.columns) - 1, 0))
    book.close()
    return buffer.getvalue()


def download(sheets: Sequence[Sheet], filename: str) -> Response:
    """The workbook as an attachment named `filename` (UTF-8 names allowed)."""
    quoted = urllib.parse.quote(filename)
    return Response(
        workbook(sheets),
        media_type=XLSX,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quoted}"},
    )


def _write(page: Any, r: int, c: int, value: Any, date: Any, stamp: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        page.write_boolean(r, c, value)
    elif isinstance(value, dt.datetime):
        page.write_datetime(r, c, value, stamp)
    elif isinstance(value, dt.date):
        page.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date)
    elif isinstance(value, int | float):
        page.write_number(r, c, value)
    else:
        page.write_string(r, c, str(value))
