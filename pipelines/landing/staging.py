"""The shape every reader leaves behind: two temporary tables in the landing connection.

`stage` (a table or view) holds one row per parsed record: the contract's columns as raw text
(VARCHAR, exactly as delivered), `_ordinal` (a unique row id the loader joins on) and
`_row_number`, the record's position in the file (NULL where the loader computes it from
`StageResult.reject_lines`). `stage_rejects` holds every record that could not be parsed, with
its raw text and the reason. Readers differ only in how they fill these, so the loader and its
accounting are format-blind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import numpy as np

from contracts.model import Contract
from pipelines.duckdb_sql import quote_identifier
from pipelines.landing.headers import HeaderMap

STAGE = "stage"
STAGE_REJECTS = "stage_rejects"


@dataclass(frozen=True)
class StageResult:
    header_map: HeaderMap
    encoding: str | None = None
    notes: tuple[str, ...] = field(default=())
    # CSV only: file lines the parser rejected; `_ordinal` is then the dense parse order and
    # the loader derives each row's line from it (see `row_numbers`).
    reject_lines: tuple[int, ...] | None = None
    cleanup: tuple[str, ...] = (f"DROP TABLE {STAGE}",)


def row_numbers(ordinals: np.ndarray, reject_lines: tuple[int, ...]) -> np.ndarray:
    """The file line of each parsed CSV row, from its parse order (header is line 1).

    Parsed rows come in file order with the rejected ones left out, so the k-th parsed row sits
    after every rejected line whose place among the data rows is at or before k. Blank lines
    and values spanning lines are not counted, so this is a record position.
    """
    if not reject_lines:
        return ordinals + 2
    rejected = np.asarray(reject_lines, dtype=np.int64) - 2
    parsed_before = rejected - np.arange(len(rejected), dtype=np.int64)
    return ordinals + 2 + np.searchsorted(parsed_before, ordinals, side="right")


def create_stage_tables(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    columns = ", ".join(f"{quote_identifier(c.name)} VARCHAR" for c in contract.columns)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {STAGE} "
        f"({columns}, _row_number BIGINT, _ordinal BIGINT AS (_row_number))"
    )
    create_rejects_table(con)


def create_rejects_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {STAGE_REJECTS} "
        "(_row_number BIGINT, raw VARCHAR, reason VARCHAR)"
    )


def select_mapped(
    contract: Contract, header_map: HeaderMap, source_column: Callable[[int], str]
) -> str:
    """SELECT-list that renames source fields to contract columns, NULL where a field is absent.

    `source_column` gives the SQL expression of the field at a header position.
    """
    parts = []
    for column in contract.columns:
        position = header_map.positions[column.name]
        expression = (
            f"CAST({source_column(position)} AS VARCHAR)"
            if position is not None
            else "CAST(NULL AS VARCHAR)"
        )
        parts.append(f"{expression} AS {quote_identifier(column.name)}")
    return ", ".join(parts)
