"""A small snapshot file by hand: two resources' history, their batches and one conflict.

For tests of the readers of conflicts and of the quality overview that need no pipeline
run: a name in the social insurance records differs from the population register's.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb

from contracts.registry import bundled_contracts
from snapshot.tables import (
    BATCHES,
    CONFLICTS,
    history_columns,
    history_table,
    quality_schema_ddl,
)

PERSON = "11010519491231002X"
AT = dt.datetime(2026, 11, 20, 9, 0)  # naive local time, as the certifier stamps batches


def write_small_snapshot(path: Path) -> None:
    contracts = bundled_contracts()
    with duckdb.connect(str(path)) as con:
        for statement in quality_schema_ddl():
            con.execute(statement)
        for resource in ("ps_population", "hrss_insurance"):
            columns = history_columns(contracts[resource]).items()
            con.execute(
                f"CREATE TABLE {history_table(resource)} "
                f"({', '.join(f'{chr(34)}{n}{chr(34)} {t}' for n, t in columns)})"
            )
        rows = [  # (resource, name, batch, valid from, valid to)
            ("ps_population", "张伟", "ps-b1", AT, None),
            ("hrss_insurance", "张玮", "hrss-b1", AT, AT + dt.timedelta(days=1)),
            ("hrss_insurance", "张玮", "hrss-b2", AT + dt.timedelta(days=1), None),
        ]
        for resource, name, batch, start, end in rows:
            con.execute(
                f"INSERT INTO {history_table(resource)} (id_number, name, _batch, _valid_from, "
                "_valid_to) VALUES (?, ?, ?, ?, ?)",
                [PERSON, name, batch, start, end],
            )
            con.execute(
                f"INSERT INTO {BATCHES.ref()} (contract_id, batch, file_name, department, "
                "status, rows_landed, rows_certified, rows_quarantined, rows_duplicate, "
                "certified_at) VALUES (?, ?, ?, ?, 'certified', 1, 1, 0, 0, ?)",
                [resource, batch, f"{batch}.csv", contracts[resource].department, start],
            )
        con.execute(
            f"INSERT INTO {CONFLICTS.ref()} VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                "person.name",
                PERSON,
                "ps_population",
                "张伟",
                "hrss_insurance",
                "张玮",
                "hrss-b2",
                AT,
            ],
        )


class SmallSnapshot:
    """The reads routes make of a snapshot (`query`, `query_records`), on a file."""

    def __init__(self, path: Path) -> None:
        self.con = duckdb.connect(str(path), read_only=True)

    def query(self, sql: str, params: list[object]) -> list[tuple[Any, ...]]:
        return self.con.cursor().execute(sql, params).fetchall()

    def query_records(self, sql: str, params: list[object]) -> list[dict[str, Any]]:
        cursor = self.con.cursor().execute(sql, params)
        names = [d[0] for d in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
