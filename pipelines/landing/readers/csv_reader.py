"""CSV deliveries, in UTF-8 or GBK, read by DuckDB's parallel CSV reader.

Rows DuckDB cannot parse (wrong field count, broken quoting, invalid bytes) are collected with
`store_rejects` rather than failing the file, so one bad row never costs the other million.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb

from contracts.model import Contract
from pipelines.duckdb_sql import quote_literal, scalar
from pipelines.landing.encoding import sniff_encoding, transcode_to_utf8
from pipelines.landing.errors import LandingError
from pipelines.landing.headers import map_headers
from pipelines.landing.staging import (
    STAGE,
    STAGE_REJECTS,
    StageResult,
    create_rejects_table,
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
    first = scalar(con, "SELECT min(rowid) FROM csv_raw") or 0
    # A view, not a copy: `_ordinal` is the parse order; the loader turns it into file lines.
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {STAGE} AS SELECT "
        f"{select_mapped(contract, header_map, lambda i: f'raw.c{i}')}, "
        f"raw.rowid - {int(first)} AS _ordinal, CAST(NULL AS BIGINT) AS _row_number "
        "FROM csv_raw AS raw"
    )
    create_rejects_table(con)
    reasons = " ".join(
        f"WHEN '{kind}' THEN {quote_literal(text)}" for kind, text in REJECT_REASONS.items()
    )
    # DuckDB reports a short row once per missing column ("Found: 1", "Found: 2", ...); the
    # reason keeps each kind of error once, at its first column, in column order, so it reads
    # the same on every run.
    con.execute(
        f"INSERT INTO {STAGE_REJECTS} SELECT line, any_value(csv_line), "
        "string_agg(reason, '; ' ORDER BY first_column) FROM ("
        f"SELECT line, any_value(csv_line) AS csv_line, min(column_idx) AS first_column, "
        f"CASE CAST(error_type AS VARCHAR) {reasons} ELSE CAST(error_type AS VARCHAR) END "
        "|| ' (' || arg_min(error_message, column_idx) || ')' AS reason "
        "FROM csv_rejects GROUP BY line, error_type) GROUP BY line"
    )
    con.execute("DROP TABLE csv_rejects; DROP TABLE csv_scans")
    notes = (f"encoding {encoding}",) + (
        (f"ignored columns: {', '.join(header_map.ignored)}",) if header_map.ignored else ()
    )
    return StageResult(
        header_map=header_map,
        encoding=encoding,
        notes=notes,
        reject_lines=tuple(reject_lines),
        cleanup=(f"DROP VIEW {STAGE}", "DROP TABLE csv_raw"),
    )


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
