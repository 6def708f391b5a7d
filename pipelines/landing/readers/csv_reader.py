"""CSV deliveries, in UTF-8 or GBK, read by DuckDB's parallel CSV reader.

Rows DuckDB cannot parse (wrong field count, broken quoting, invalid bytes) are collected with
`store_rejects` rather than failing the file, so one bad row never costs the other million.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from contracts.model import Contract
from pipelines.landing.encoding import sniff_encoding, transcode_to_utf8
from pipelines.landing.errors import LandingError
from pipelines.landing.headers import map_headers
from pipelines.landing.staging import (
    STAGE,
    STAGE_REJECTS,
    StageResult,
    create_stage_tables,
    quote_literal,
    scalar,
    select_mapped,
)

DELIMITERS = (",", "\t", "|", ";")
REJECT_REASONS = {
    "MISSING COLUMNS": "the row has fewer fields than the header",
    "TOO MANY COLUMNS": "the row has more fields than the header",
    "UNQUOTED VALUE": "a quote character is not closed or stands inside an unquoted value",
    "LINE SIZE OVER MAXIMUM": "the row is longer than the reader accepts",
    "INVALID ENCODING": "the row contains bytes that are not valid text in the file's encoding",
    "INVALID STATE": "the row's quoting cannot be parsed",
}


def stage_csv(
    con: duckdb.DuckDBPyConnection, path: Path, contract: Contract, scratch: Path
) -> StageResult:
    encoding = sniff_encoding(path)
    source = path
    if encoding == "gb18030":
        scratch.mkdir(parents=True, exist_ok=True)
        source = scratch / f"{path.stem}.utf8.csv"
        transcode_to_utf8(path, source, encoding)
    try:
        return _stage_utf8(con, source, path, contract, encoding)
    finally:
        if source != path:
            source.unlink(missing_ok=True)


def _stage_utf8(
    con: duckdb.DuckDBPyConnection, source: Path, original: Path, contract: Contract, encoding: str
) -> StageResult:
    header_line = _first_line(source)
    delimiter = max(DELIMITERS, key=header_line.count)
    headers = next(csv.reader(io.StringIO(header_line), delimiter=delimiter))
    header_map = map_headers(contract, headers, original)
    fields = {f"c{i}": "VARCHAR" for i in range(len(headers))}
    con.execute("DROP TABLE IF EXISTS csv_rejects; DROP TABLE IF EXISTS csv_scans")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE csv_raw AS SELECT * FROM read_csv("
        f"{quote_literal(str(source))}, header=true, auto_detect=false, "
        f"delim={quote_literal(delimiter)}, quote='\"', escape='\"', columns=$fields, "
        "store_rejects=true, rejects_table='csv_rejects', rejects_scan='csv_scans')",
        {"fields": fields},
    )
    reject_lines = [
        int(line)
        for (line,) in con.execute("SELECT DISTINCT line FROM csv_rejects ORDER BY line").fetchall()
    ]
    create_stage_tables(con, contract)
    row_count = int(scalar(con, "SELECT count(*) FROM csv_raw"))
    row_numbers = pa.table({"_row_number": _row_numbers(row_count, reject_lines)})
    con.register("csv_row_numbers", row_numbers)
    con.execute(
        f"INSERT INTO {STAGE} SELECT {select_mapped(contract, header_map, lambda i: f'raw.c{i}')}, "
        "n._row_number FROM csv_raw AS raw POSITIONAL JOIN csv_row_numbers AS n"
    )
    con.unregister("csv_row_numbers")
    reasons = " ".join(
        f"WHEN '{kind}' THEN {quote_literal(text)}" for kind, text in REJECT_REASONS.items()
    )
    con.execute(
        f"INSERT INTO {STAGE_REJECTS} SELECT line, any_value(csv_line), "
        f"string_agg(DISTINCT CASE CAST(error_type AS VARCHAR) {reasons} "
        "ELSE CAST(error_type AS VARCHAR) END || ' (' || error_message || ')', '; ') "
        "FROM csv_rejects GROUP BY line"
    )
    con.execute("DROP TABLE csv_raw; DROP TABLE csv_rejects; DROP TABLE csv_scans")
    notes = (f"encoding {encoding}",) + (
        (f"ignored columns: {', '.join(header_map.ignored)}",) if header_map.ignored else ()
    )
    return StageResult(header_map=header_map, encoding=encoding, notes=notes)


def _first_line(source: Path) -> str:
    with source.open(encoding="utf-8-sig", newline="") as handle:
        line = handle.readline()
    if not line.strip():
        raise LandingError(
            source,
            "the first line is empty, so there is no header row",
            "Ask the department to deliver the file with its header row first",
        )
    return line.rstrip("\r\n")


def _row_numbers(row_count: int, reject_lines: list[int]) -> np.ndarray:
    """The file line of each parsed row, given the lines DuckDB rejected (header is line 1).

    Parsed rows come back in file order with the rejected ones left out, so the k-th parsed
    row sits after every rejected line whose place among the data rows is at or before k.
    Blank lines and values spanning lines are not counted, so this is a record position.
    """
    ordinals = np.arange(row_count, dtype=np.int64)
    if not reject_lines:
        return ordinals + 2
    rejected = np.asarray(reject_lines, dtype=np.int64) - 2
    parsed_before = rejected - np.arange(len(rejected), dtype=np.int64)
    return ordinals + 2 + np.searchsorted(parsed_before, ordinals, side="right")
