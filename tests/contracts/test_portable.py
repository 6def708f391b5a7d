"""The rule language both engines share: lint refuses what is outside it, the Spark rendering
keeps the meaning, and (on a JVM) DuckDB and Spark type and judge the same text alike."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
import pytest
import sqlglot

from contracts.compiler import RuleError, compile_contract
from contracts.lint import lint
from contracts.model import Contract
from contracts.portable import (
    SPARK,
    java_pattern,
    java_regex,
    render,
    unportable_regex,
    unportable_sql,
)
from contracts.registry import DEFINITIONS_DIR
from tests.contracts.factory import make_contract

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

AS_OF = dt.date(2026, 11, 21)
BATCH = "c" * 64


@pytest.fixture
def definitions(tmp_path: Path) -> Path:
    target = tmp_path / "definitions"
    shutil.copytree(DEFINITIONS_DIR, target)
    return target


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("concat_ws('-', case_type, department) <> '-'", "concat_ws skips NULL"),
        ("concat(case_type, 'x') <> 'x'", "concat treats NULL"),
        ("promised_days / 2 > 1", "division by zero"),
        ("upper(case_type) = 'A'", "case mappings"),
        ("trim(case_type) <> ''", "already trimmed"),
        (
            "first_value(promised_days IGNORE NULLS) OVER (ORDER BY case_no) > 0",
            "window functions",
        ),
        (
            "sum(promised_days) OVER (ORDER BY received_at RANGE BETWEEN 1 PRECEDING AND "
            "CURRENT ROW) > 0",
            "window functions",
        ),
        ("CAST(case_no AS BIGINT) > 0", "only literals may be cast"),
        ("substring(case_no, 0, 2) = 'C'", "SUBSTRING needs literal positive"),
        ("received_at > now()", "outside the rule language"),
    ],
)
def test_lint_refuses_sql_outside_the_shared_language(
    definitions: Path, expression: str, says: str
) -> None:
    path = definitions / "gsc_cases.yaml"
    text = path.read_text(encoding="utf-8")
    old = 'expression: "completed_at IS NULL OR completed_at >= received_at"'
    assert old in text
    path.write_text(text.replace(old, f'expression: "{expression}"'), encoding="utf-8")
    (problem,) = lint(definitions)
    assert problem.file == "gsc_cases.yaml"
    assert "gsc_cases.completed_after_received" in problem.message
    assert "both engines" in problem.message and says in problem.message
    rule = "- id: gsc_cases.completed_after_received"
    assert problem.line == next(i for i, row in enumerate(text.splitlines(), 1) if rule in row)


@pytest.mark.parametrize(
    ("pattern", "says"),
    [
        (r"^\w+$", r"\w means different things"),
        (r"^\s*$", r"\s means different things"),
        (r"^\p{Han}+$", r"\p means different things"),
        (r"^(?=1)[0-9]{6}$", "plain groups"),
        (r"^(?i)ab$", "plain groups"),
        (r"^[[:digit:]]{6}$", "nested classes"),
        (r"^[0-9&&[^5]]{6}$", "nested classes"),
        (r"^[0-9]{6}+$", "possessive"),
        (r"^a{$", "literal {"),
    ],
)
def test_lint_refuses_regexes_outside_the_shared_subset(
    definitions: Path, pattern: str, says: str
) -> None:
    path = definitions / "ps_population.yaml"
    text = path.read_text(encoding="utf-8")
    escaped = pattern.replace("\\", "\\\\")
    path.write_text(text.replace('pattern: "^[0-9]{6}$"', f'pattern: "{escaped}"'), "utf-8")
    (problem,) = lint(definitions)
    assert "ps_population.region_code_format" in problem.message
    assert says in problem.message


@pytest.mark.parametrize(
    "pattern",
    [r"^[0-9]{6}$", r"^[一-龥]{2,4}$", r"^(?:A|B)\.[0-9]+$", r"^[^\]x]*$", "^a.c$", r"^\d{3}$"],
)
def test_the_shared_regex_subset_is_accepted(pattern: str) -> None:
    assert unportable_regex(pattern) is None


def test_regexes_are_rewritten_for_java() -> None:
    assert java_regex("^[0-9]{6}$") == r"^[0-9]{6}\z"
    assert java_regex("^a.c$") == r"^a[^\n]c\z"
    assert java_regex(r"^[.$]\.\$$") == r"^[.$]\.\$\z"  # inside a class and escaped: as is


def test_strptime_formats_become_java_patterns() -> None:
    assert java_pattern("%Y-%m-%d") == "yyyy-M-d"
    assert java_pattern("%Y%m%d") == "yyyyMMdd"
    assert java_pattern("%Y年%m月%d日") == "yyyy'年'M'月'd'日'"
    assert java_pattern("%Y-%m-%dT%H:%M:%S") == "yyyy-M-d'T'H:mm:ss"


def test_the_spark_rendering_keeps_nothing_spark_cannot_run() -> None:
    tree = sqlglot.parse_one(
        "CASE WHEN x IS NOT NULL AND NOT EXISTS (SELECT 1 FROM t AS ref WHERE ref.c = typed.x "
        "AND ref._valid_to IS NULL) THEN LIST_FILTER([TRY_STRPTIME(TRIM(y), ['%Y-%m-%d', "
        "'%Y%m%d'])], r -> r IS NOT NULL) END",
        dialect="duckdb",
    )
    sql = render(tree, SPARK)
    for gone in ("EXISTS", "FILTER(", "STRPTIME"):
        assert gone not in sql
    assert "ARRAY_COMPACT" in sql and "TRY_TO_TIMESTAMP(" in sql and "\u3000" in sql
    assert "IN (SELECT" in sql and "IS NULL" in sql


def test_compiling_an_unportable_rule_for_spark_is_refused() -> None:
    c = typed_contract([{"id": "t.div", "kind": "sql", "expression": "amount / 2 > 1"}])
    compiled = compile_contract(c, as_of=AS_OF)
    compiled.check_query("landed", BATCH)  # DuckDB still runs it
    with pytest.raises(RuleError, match="cannot run on spark"):
        compiled.check_query("landed", BATCH, dialect=SPARK)


def test_sql_in_the_shared_language_passes() -> None:
    for expression in [
        "completed_at IS NULL OR completed_at >= received_at",
        "case_type <> '承诺件' OR promised_days > 0",
        "assessed_year BETWEEN 2014 AND 2100",
        "coalesce(a, b) IN ('x', 'y') AND length(a) <= 3 AND a LIKE 'x%'",
        "abs(a - b) * 2 < 10 AND substring(a, 1, 2) = 'ab'",
        "d >= DATE '2000-01-01' AND a IS DISTINCT FROM b",
    ]:
        assert unportable_sql(sqlglot.parse_one(expression, dialect="duckdb")) is None


# -- on both engines ---------------------------------------------------------------------


TYPED: list[dict[str, Any]] = [
    {"name": "code"},
    {"name": "name"},
    {"name": "persons", "type": "integer"},
    {"name": "amount", "type": "decimal"},
    {"name": "day", "type": "date"},
    {"name": "moment", "type": "timestamp"},
    {"name": "flag", "type": "boolean"},
]


def typed_contract(rules: list[dict[str, Any]]) -> Contract:
    return make_contract("t_typed", TYPED, rules, record_key=["code"])


TRICKY = {
    "name": ["张三\u3000", "\u3000李四 ", "\U00020000\U0002a6a5", " ", "a\tb", "x" * 31, None],
    "persons": ["5", "+3", "-0", " 7 ", "2.5", "1e3", "0x10", "1_000", "99999999999999999999", ""],
    "amount": [
        "5,000.50",
        "12345678.9",
        "1e20",
        "2.5e-05",
        "0.1",
        "-0",
        ".5",
        "5.",
        "1e999",
        "NaN",
        "inf",
        "abc",
        "0.30000000000000004",
        "123456789012345678",
    ],
    "day": [
        "2026-11-20",
        "2026-1-5",
        "2026/11/20",
        "20261120",
        "2026年11月20日",
        "2026.11.20",
        "2026-02-30",
        "2026",
        "2026-11-20 10:00",
        "2026-11-20T10:00:00",
        "2026-11-20 25:00",
        "0000-01-01",
        "12026-01-01",
        "2026-11-20 (BC)",
        "2027-01-01",
    ],
    "moment": [
        "2026-11-20 09:00:00",
        "2026-11-20 09:00",
        "2026-11-20T09:00:00.123456",
        "2026/11/20 09:00:00",
        "2026/11/20 09:00",
        "20261120090000",
        "2026-11-20",
        "2026-11-20 09:00:00+08",
        "2026-11-20 24:00:00",
        "2026-11-20 9:00:00",
    ],
    "flag": ["是", "否", "TRUE", "yes", "N", "maybe"],
}
RULES = [
    {"id": "t.len", "kind": "length", "column": "name", "min": 2, "max": 4},
    {"id": "t.re", "kind": "regex", "column": "name", "pattern": "^[^a-z]+$"},
    {"id": "t.range", "kind": "range", "column": "amount", "min": 0, "max": 1e19},
    {"id": "t.days", "kind": "range", "column": "day", "min": "2000-01-01"},
    {"id": "t.future", "kind": "date_not_future", "column": "moment"},
    {"id": "t.sql", "kind": "sql", "expression": "persons IS NULL OR persons * 2 < 100"},
    {"id": "t.enum", "kind": "enum", "column": "code", "values": ["c1", "c2"]},
]


def tricky_rows() -> pa.Table:
    columns = ["code", "name", "persons", "amount", "day", "moment", "flag"]
    rows = []
    for column, values in TRICKY.items():
        for value in values:
            rows.append({c: None for c in columns} | {"code": f"c{len(rows)}", column: value})
    table = {c: [r[c] for r in rows] for c in columns}
    number = len(rows)
    return pa.table(
        {
            **table,
            "_row_number": list(range(2, number + 2)),
            "_file_hash": [BATCH] * number,
            "_file_name": ["f.csv"] * number,
            "_department": ["ps"] * number,
            "_loaded_at": [dt.datetime(2026, 11, 21, 8)] * number,
        }
    )


@pytest.mark.spark
def test_both_engines_type_and_judge_the_same_text_alike(spark: SparkSession) -> None:
    compiled = compile_contract(typed_contract(RULES), as_of=AS_OF)
    landed = tricky_rows()
    con = duckdb.connect()
    con.register("landed", landed)
    on_duckdb = con.sql(
        f"SELECT * FROM ({compiled.check_query('landed', BATCH)}) ORDER BY _row_number"
    ).fetchall()
    spark.createDataFrame(landed).createOrReplaceTempView("landed_typed")
    on_spark = [
        tuple(row)
        for row in spark.sql(
            f"SELECT * FROM ({compiled.check_query('landed_typed', BATCH, SPARK)}) "
            "ORDER BY _row_number"
        ).collect()
    ]
    assert len(on_spark) == len(on_duckdb) == landed.num_rows
    for duck, sparky in zip(on_duckdb, on_spark, strict=True):
        assert _comparable(sparky) == _comparable(duck)
    typed = {row[0]: row for row in on_duckdb}
    assert typed["c0"][1] == "张三" and typed["c2"][1] == "\U00020000\U0002a6a5"


def _comparable(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(sorted(v) if isinstance(v, list) else v for v in row)
