"""Excel workbooks (.xlsx, .xls), read with calamine, streaming rows.

Departments put a title row (and sometimes a blank row or a unit note) above the header, so
the header is the row among the first few that names the most contract columns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path

import duckdb
import pyarrow as pa
from python_calamine import CalamineError, CalamineWorkbook

from contracts.model import Contract
from pipelines.landing.errors import LandingError
from pipelines.landing.headers import map_headers, score_headers
from pipelines.landing.staging import STAGE, StageResult, create_stage_tables

HEADER_SEARCH_ROWS = 10
BATCH_ROWS = 100_000


def stage_excel(
    con: duckdb.DuckDBPyConnection, path: Path, contract: Contract, scratch: Path
) -> StageResult:
    del scratch  # workbooks are streamed straight from the file
    rows, start_row = _open_rows(path)
    head: list[list[object]] = []
    for row in rows:
        head.append(list(row))
        if len(head) == HEADER_SEARCH_ROWS:
            break
    if not head:
        raise LandingError(
            path, "the first worksheet is empty", "Ask the department to deliver it again"
        )
    scores = [score_headers(contract, row) for row in head]
    header_index = max(range(len(head)), key=scores.__getitem__)
    if scores[header_index] == 0:
        raise LandingError(
            path,
            f"none of the first {len(head)} rows is a header naming columns of {contract.id}",
            "Check that the right workbook was delivered, with its header row near the top",
        )
    header_map = map_headers(contract, head[header_index], path)
    create_stage_tables(con, contract)
    names = [c.name for c in contract.columns]
    picks = [header_map.positions[n] for n in names]
    data = _chain(path, head[header_index + 1 :], rows)
    first_data_row = start_row + header_index + 2  # 1-based sheet row under the header
    batch: list[tuple[int, list[object]]] = []
    for offset, row in enumerate(data):
        if any(_text(v) is not None for v in row):
            batch.append((first_data_row + offset, list(row)))
        if len(batch) >= BATCH_ROWS:
            _insert(con, names, picks, batch)
            batch = []
    if batch:
        _insert(con, names, picks, batch)
    notes = [f"header on sheet row {start_row + header_index + 1}"]
    if header_map.ignored:
        notes.append(f"ignored columns: {', '.join(header_map.ignored)}")
    return StageResult(header_map=header_map, notes=tuple(notes))


def _open_rows(path: Path) -> tuple[Iterator[Sequence[object]], int]:
    """Rows of the first sheet, and the 0-based sheet row the first of them stands on."""
    try:
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        start = sheet.start or (0, 0)
        return iter(sheet.iter_rows()), int(start[0])
    except (CalamineError, OSError, ValueError) as error:
        raise LandingError(
            path,
            f"the workbook cannot be opened ({error}); it is damaged, truncated or not Excel",
            "Ask the department to export the workbook again",
        ) from error


def _chain(
    path: Path, first: list[list[object]], rest: Iterator[Sequence[object]]
) -> Iterator[Sequence[object]]:
    yield from first
    try:
        yield from rest
    except CalamineError as error:
        raise LandingError(
            path,
            f"the workbook is damaged part-way through ({error})",
            "Ask the department to export the workbook again",
        ) from error


def _text(value: object) -> str | None:
    """Cell value as the text a clerk would read in Excel."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip() or None


def _insert(
    con: duckdb.DuckDBPyConnection,
    names: list[str],
    picks: list[int | None],
    batch: list[tuple[int, list[object]]],
) -> None:
    columns: dict[str, list[object]] = {}
    for name, pick in zip(names, picks, strict=True):
        columns[name] = [
            _text(row[pick]) if pick is not None and pick < len(row) else None for _, row in batch
        ]
    columns["_row_number"] = [number for number, _ in batch]
    table = pa.table(
        columns,
        schema=pa.schema(
            [*(pa.field(n, pa.string()) for n in names), pa.field("_row_number", pa.int64())]
        ),
    )
    con.register("excel_batch", table)
    con.execute(f"INSERT INTO {STAGE} SELECT * FROM excel_batch")
    con.unregister("excel_batch")
