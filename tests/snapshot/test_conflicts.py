"""Reading recorded conflicts: both values, and the batch each side's value came from."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb

from contracts.registry import bundled_contracts
from snapshot.conflicts import read_conflicts
from snapshot.tables import CONFLICTS, history_columns, history_table, quality_schema_ddl

PERSON = "11010519491231002X"
AT = dt.datetime(2026, 11, 20, 9, 0)


def _snapshot(path: Path) -> None:
    contracts = bundled_contracts()
    with duckdb.connect(str(path)) as con:
        for statement in quality_schema_ddl():
            con.execute(statement)
        for resource in ("ps_population", "hrss_insurance"):
            columns = ", ".join(
                f'"{n}" {t}' for n, t in history_columns(contracts[resource]).items()
            )
            con.execute(f"CREATE TABLE {history_table(resource)} ({columns})")
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


def test_each_side_names_the_newest_batch_holding_its_value(tmp_path: Path) -> None:
    path = tmp_path / "snapshot.duckdb"
    _snapshot(path)
    with duckdb.connect(str(path), read_only=True) as con:

        def query(sql: str, params: list[object]) -> list[dict[str, Any]]:
            cursor = con.execute(sql, params)
            names = [d[0] for d in cursor.description or []]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

        (conflict,) = read_conflicts(query, bundled_contracts(), {"hrss_insurance"})
        assert read_conflicts(query, bundled_contracts(), {"ps_population"}) == []
    assert (conflict.authoritative_value, conflict.authoritative_batch) == ("张伟", "ps-b1")
    assert (conflict.other_value, conflict.other_batch) == ("张玮", "hrss-b2")
    assert (conflict.item, conflict.subject_key, conflict.batch) == (
        "person.name",
        PERSON,
        "hrss-b2",
    )


def test_a_snapshot_with_nothing_certified_has_no_conflicts(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "empty.duckdb")) as con:

        def query(sql: str, params: list[object]) -> list[dict[str, Any]]:
            cursor = con.execute(sql, params)
            names = [d[0] for d in cursor.description or []]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

        assert read_conflicts(query, bundled_contracts(), {"hrss_insurance"}) == []
