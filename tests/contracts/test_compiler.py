"""Every rule kind compiled through sqlglot and run by DuckDB on good and bad rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import pytest
import sqlglot

from contracts.compiler import RuleError, compile_contract, effective_rules
from contracts.model import Contract
from contracts.registry import bundled_contracts
from tests.contracts.factory import make_contract
from tests.pipelines.landing import feeds

AS_OF = dt.date(2026, 11, 21)
BATCH = "b" * 64


SCHEMA: list[dict[str, Any]] = [
    {"name": "id_number", "key_role": "id_number", "required": True},
    {"name": "name"},
    {"name": "gender"},
    {"name": "birth_date", "type": "date"},
    {"name": "capital", "type": "decimal"},
    {"name": "ref_id", "key_role": "id_number"},
]


def contract(rules: list[dict[str, Any]], **extra: Any) -> Contract:
    return make_contract("t_people", SCHEMA, rules, **extra)


def landed(rows: list[dict[str, str | None]]) -> duckdb.DuckDBPyConnection:
    """A landed table as the landing step leaves it: raw text, normalised keys, lineage."""
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE landed (id_number VARCHAR, id_number__raw VARCHAR, id_number__problem "
        "VARCHAR, name VARCHAR, gender VARCHAR, birth_date VARCHAR, capital VARCHAR, ref_id "
        "VARCHAR, ref_id__raw VARCHAR, ref_id__problem VARCHAR, _row_number BIGINT, _file_hash "
        "VARCHAR, _file_name VARCHAR, _department VARCHAR, _loaded_at TIMESTAMP)"
    )
    for number, row in enumerate(rows, start=2):
        values = {
            "id_number": feeds.id_number(),
            "id_number__problem": None,
            "name": "张伟",
            "gender": "男",
            "birth_date": "1990-03-07",
            "capital": "100",
            "ref_id": None,
            "ref_id__problem": None,
        } | row
        values.setdefault("id_number__raw", values["id_number"])
        values.setdefault("ref_id__raw", values["ref_id"])
        con.execute(
            "INSERT INTO landed VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'f.csv', 'ps', now())",
            [
                values["id_number"],
                values["id_number__raw"],
                values["id_number__problem"],
                values["name"],
                values["gender"],
                values["birth_date"],
                values["capital"],
                values["ref_id"],
                values["ref_id__raw"],
                values["ref_id__problem"],
                number,
                BATCH,
            ],
        )
    return con


def broken(c: Contract, rows: list[dict[str, str | None]], **kwargs: Any) -> list[list[str]]:
    con = landed(rows)
    query = compile_contract(c, as_of=AS_OF, **kwargs).check_query("landed", BATCH)
    return [
        sorted(errors + warnings)
        for errors, warnings in con.execute(
            f"SELECT _errors, _warnings FROM ({query}) ORDER BY _row_number"
        ).fetchall()
    ]


@pytest.mark.parametrize(
    ("rule", "good", "bad"),
    [
        ({"kind": "not_null", "column": "name"}, {"name": "李娜"}, {"name": "  "}),
        ({"kind": "regex", "column": "name", "pattern": "^[一-龥]{2,4}$"}, {}, {"name": "Li Na"}),
        (
            {"kind": "regex", "column": "capital", "pattern": "^[0-9]{1,3}$"},
            {},
            {"capital": "1000"},
        ),
        ({"kind": "enum", "column": "gender", "values": ["男", "女"]}, {}, {"gender": "M"}),
        ({"kind": "range", "column": "capital", "min": 0, "max": 500}, {}, {"capital": "-1"}),
        (
            {"kind": "range", "column": "birth_date", "min": "1900-01-01"},
            {},
            {"birth_date": "1899-12-31"},
        ),
        ({"kind": "length", "column": "name", "min": 2, "max": 4}, {}, {"name": "欧阳娜娜娜"}),
        ({"kind": "date_not_future", "column": "birth_date"}, {}, {"birth_date": "2027-01-01"}),
        (
            {
                "kind": "matches_id_number",
                "column": "birth_date",
                "id_column": "id_number",
                "derived": "birth_date",
            },
            {"id_number": feeds.id_number(birth="19900307")},
            {"id_number": feeds.id_number(birth="19900308")},
        ),
        (
            {
                "kind": "matches_id_number",
                "column": "gender",
                "id_column": "id_number",
                "derived": "gender",
            },
            {"id_number": feeds.id_number(sequence="123")},
            {"id_number": feeds.id_number(sequence="124")},
        ),
        ({"kind": "sql", "expression": "capital >= 10 AND name <> '测试'"}, {}, {"capital": "5"}),
    ],
)
def test_each_rule_kind_passes_good_rows_and_catches_bad_ones(
    rule: dict[str, Any], good: dict[str, str], bad: dict[str, str]
) -> None:
    c = contract([{"id": "t.rule", **rule}])
    assert broken(c, [good, bad]) == [[], ["t.rule"]]


def test_empty_values_pass_every_rule_but_not_null() -> None:
    rules = [
        {"id": "t.enum", "kind": "enum", "column": "gender", "values": ["男"]},
        {"id": "t.regex", "kind": "regex", "column": "gender", "pattern": "^男$"},
        {"id": "t.range", "kind": "range", "column": "capital", "min": 1},
    ]
    assert broken(contract(rules), [{"gender": None, "capital": ""}]) == [[]]


def test_implicit_rules_from_column_flags() -> None:
    c = contract([])
    ids = {r.id for r in effective_rules(c)}
    assert {
        "id_number.required",
        "id_number.key_valid",
        "birth_date.type",
        "capital.type",
        "ref_id.key_valid",
    } <= ids
    rows = [
        {"id_number": None, "id_number__raw": None, "id_number__problem": "missing"},
        {"id_number": None, "id_number__raw": "123", "id_number__problem": "bad_length"},
        {"birth_date": "2023-02-30", "capital": "abc"},
        {"birth_date": "2023/02/28", "capital": "1,000.5"},
    ]
    assert broken(c, rows) == [
        ["id_number.required"],
        ["id_number.key_valid"],
        ["birth_date.type", "capital.type"],
        [],
    ]


def test_warnings_do_not_block() -> None:
    c = contract(
        [{"id": "t.w", "kind": "enum", "column": "gender", "values": ["女"], "severity": "warning"}]
    )
    con = landed([{}])
    query = compile_contract(c, as_of=AS_OF).check_query("landed", BATCH)
    assert con.execute(f"SELECT _errors, _warnings FROM ({query})").fetchall() == [([], ["t.w"])]


def test_reference_rule_reads_current_versions_only() -> None:
    person = feeds.id_number(birth="19800101")
    c = contract(
        [
            {
                "id": "t.ref",
                "kind": "reference",
                "column": "ref_id",
                "resource": "people",
                "resource_column": "id_number",
            }
        ]
    )
    con = landed([{"ref_id": person}, {"ref_id": feeds.id_number(birth="19700101")}, {}])
    con.execute("CREATE TABLE people (id_number VARCHAR, _valid_to TIMESTAMP)")
    con.execute(
        "INSERT INTO people VALUES (?, NULL), (?, now())",
        [person, feeds.id_number(birth="19700101")],
    )
    query = compile_contract(c, as_of=AS_OF, reference_table=lambda r: r).check_query(
        "landed", BATCH
    )
    rows = con.execute(f"SELECT _errors FROM ({query}) ORDER BY _row_number").fetchall()
    assert rows == [([],), (["t.ref"],), ([],)]


def test_reference_to_a_resource_without_certified_data_is_skipped_and_said() -> None:
    c = contract(
        [
            {
                "id": "t.ref",
                "kind": "reference",
                "column": "ref_id",
                "resource": "people",
                "resource_column": "id_number",
            }
        ]
    )
    compiled = compile_contract(c, as_of=AS_OF)
    assert compiled.skipped == (("t.ref", "people has no certified data yet"),)


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "trino"])
def test_compiled_sql_parses_back(dialect: str) -> None:
    for c in bundled_contracts().values():
        compiled = compile_contract(c, as_of=AS_OF, reference_table=lambda r: f"certified.{r}")
        sql = compiled.check_query(f"landing.{c.id}", "a" * 64, dialect=dialect)
        parsed = sqlglot.parse_one(sql, dialect=dialect)
        assert isinstance(parsed, sqlglot.exp.Select)
        rule_ids = {r.rule.id for r in compiled.rules}
        assert all(f"'{rule_id}'" in sql for rule_id in rule_ids)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("capital >", "does not parse"),
        ("capital", "must be a condition"),
        ("SELECT 1", "must be a condition"),
        ("capital > 1; DROP TABLE x", "exactly one expression"),
        ("unknown_column = 1", "unknown column"),
        ("capital IN (SELECT 1)", "no tables or subqueries"),
        ("capital > (SELECT max(x) FROM t)", "no tables or subqueries"),
    ],
)
def test_sql_escape_hatch_accepts_only_a_predicate_over_columns(
    expression: str, message: str
) -> None:
    c = contract([{"id": "t.sql", "kind": "sql", "expression": expression}])
    with pytest.raises(RuleError, match=message) as raised:
        compile_contract(c, as_of=AS_OF)
    assert "quality.rules.0" in str(raised.value)


def test_bad_regex_is_a_rule_error() -> None:
    c = contract([{"id": "t.re", "kind": "regex", "column": "name", "pattern": "([a-z"}])
    with pytest.raises(RuleError, match=r"t\.re"):
        compile_contract(c, as_of=AS_OF)
