"""JSON-lines deliveries: one JSON object per line, keys are the department's headers.

Lines are read as plain text first so that a malformed line is kept, with its line number
and reason, instead of failing the whole file as a JSON reader would.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from contracts.model import Contract
from pipelines.duckdb_sql import quote_literal
from pipelines.landing.encoding import sniff_encoding
from pipelines.landing.errors import LandingError
from pipelines.landing.headers import map_headers
from pipelines.landing.staging import STAGE, STAGE_REJECTS, StageResult, create_stage_tables

KEY_SAMPLE_LINES = 10_000


def stage_jsonl(
    con: duckdb.DuckDBPyConnection, path: Path, contract: Contract, scratch: Path
) -> StageResult:
    del scratch
    encoding = sniff_encoding(path)
    if encoding == "gb18030":
        raise LandingError(
            path, "JSON must be UTF-8, but this file is GBK", "Ask the department to export UTF-8"
        )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE json_text AS SELECT line FROM read_csv("
        f"{quote_literal(str(path))}, header=false, auto_detect=false, delim='\x01', "
        "quote='', escape='', columns={'line': 'VARCHAR'}, strict_mode=false)"
    )
    # A table's rowid follows file order, so it numbers the lines (blank ones too); temporary
    # tables start their rowids at a large offset, hence the subtraction.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE json_lines AS SELECT "
        "rowid - (SELECT min(rowid) FROM json_text) + 1 AS line_number, line, "
        "line IS NOT NULL AND json_valid(line) AS parsed FROM json_text"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE json_docs AS SELECT line_number, CAST(line AS JSON) AS doc "
        "FROM json_lines WHERE parsed"
    )
    keys = [
        key
        for (key,) in con.execute(
            "SELECT DISTINCT unnest(json_keys(doc)) FROM (SELECT doc FROM json_docs "
            f"WHERE json_type(doc) = 'OBJECT' LIMIT {KEY_SAMPLE_LINES})"
        ).fetchall()
    ]
    if not keys:
        raise LandingError(
            path, "no line is a JSON object with keys", "Check that a JSON-lines file was delivered"
        )
    header_map = map_headers(contract, keys, path)
    create_stage_tables(con, contract)
    select = ", ".join(
        (
            f"doc->>{quote_literal(_json_path(keys[position]))}"
            if (position := header_map.positions[c.name]) is not None
            else "CAST(NULL AS VARCHAR)"
        )
        for c in contract.columns
    )
    con.execute(
        f"INSERT INTO {STAGE} SELECT {select}, line_number FROM json_docs "
        "WHERE json_type(doc) = 'OBJECT'"
    )
    con.execute(
        f"INSERT INTO {STAGE_REJECTS} "
        "SELECT line_number, line, 'the line is not valid JSON' FROM json_lines "
        "WHERE NOT parsed AND trim(line) <> '' "
        "UNION ALL SELECT d.line_number, l.line, 'the line is JSON but not an object' "
        "FROM json_docs AS d JOIN json_lines AS l USING (line_number) "
        "WHERE json_type(d.doc) <> 'OBJECT'"
    )
    con.execute("DROP TABLE json_text; DROP TABLE json_lines; DROP TABLE json_docs")
    notes = (f"ignored keys: {', '.join(header_map.ignored)}",) if header_map.ignored else ()
    return StageResult(header_map=header_map, encoding=encoding, notes=notes)


def _json_path(key: str) -> str:
    return '$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'
