"""Parquet extracts, typically from departments with a data platform of their own.

Values land as text like every other format, so certification sees one representation.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from contracts.model import Contract
from pipelines.duckdb_sql import quote_identifier, quote_literal
from pipelines.landing.errors import LandingError
from pipelines.landing.headers import map_headers
from pipelines.landing.staging import STAGE, StageResult, create_stage_tables, select_mapped


def stage_parquet(
    con: duckdb.DuckDBPyConnection, path: Path, contract: Contract, scratch: Path
) -> StageResult:
    del scratch
    source = f"read_parquet({quote_literal(str(path))}, file_row_number=true)"
    try:
        names = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
    except duckdb.Error as error:
        raise LandingError(
            path,
            f"the Parquet file cannot be read ({_first_line(error, path)})",
            "It is damaged or truncated; ask the department to deliver it again",
        ) from error
    headers = [n for n in names if n != "file_row_number"]
    header_map = map_headers(contract, headers, path)
    create_stage_tables(con, contract)
    select = select_mapped(contract, header_map, lambda i: quote_identifier(headers[i]))
    try:
        con.execute(f"INSERT INTO {STAGE} SELECT {select}, file_row_number + 1 FROM {source}")
    except duckdb.Error as error:
        raise LandingError(
            path,
            f"the Parquet file is damaged part-way through ({_first_line(error, path)})",
            "Ask the department to deliver it again",
        ) from error
    notes = (f"ignored columns: {', '.join(header_map.ignored)}",) if header_map.ignored else ()
    return StageResult(header_map=header_map, notes=notes)


def _first_line(error: duckdb.Error, path: Path) -> str:
    """DuckDB's own words without the SQL it quotes, naming the file as the department does."""
    return str(error).splitlines()[0].replace(str(path), path.name)
