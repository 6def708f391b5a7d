"""Suites built from contracts: which expectation each rule becomes, with which bounds and meta.

Running the suites on DuckDB is tested in tests/pipelines/certify/test_gate.py.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from string import Formatter
from typing import Any

import pytest

from contracts.expectations import CREDIT_CODE_SHAPE, ID_NUMBER_SHAPE, KEY_SHAPES, build_suite
from contracts.keys.checksums import id_check_char, uscc_check_char
from contracts.model import Contract, KeyRole
from contracts.registry import bundled_contracts
from contracts.rules import Severity
from tests.contracts.factory import make_contract

AS_OF = dt.datetime(2026, 11, 21, 9, 30)


SCHEMA: list[dict[str, Any]] = [
    {"name": "id_number", "key_role": "id_number", "required": True},
    {"name": "name"},
    {"name": "born", "type": "date"},
    {"name": "seen", "type": "timestamp"},
    {"name": "amount", "type": "decimal"},
]


def contract(rules: Sequence[dict[str, Any]] = (), **batch: Any) -> Contract:
    return make_contract("t_people", SCHEMA, rules, batch=batch)


def by_rule(suite: Any) -> dict[str, Any]:
    return {e.meta["rule_id"]: e for e in suite.expectations}


def skipped_rules(suite: Any) -> list[dict[str, str]]:
    return list(suite.meta["skipped_rules"])


def test_every_bundled_contract_asserts_each_error_rule_or_says_why_not() -> None:
    for contract_ in bundled_contracts().values():
        suite = build_suite(contract_, previous_row_count=1000, as_of=AS_OF)
        asserted = by_rule(suite)
        assert len(asserted) == len(suite.expectations), "rule ids must be unique in a suite"
        skipped = {s["rule_id"] for s in skipped_rules(suite)}
        for rule in contract_.quality.rules:
            if rule.severity is Severity.error:
                assert (rule.id in asserted) != (rule.id in skipped), rule.id
            else:
                assert rule.id not in asserted, f"{rule.id}: warnings do not gate a batch"
        for column in contract_.columns:
            if column.required:
                assert f"{column.name}.required" in asserted
            if column.key_role is not None:
                assert asserted[f"{column.name}.key_valid"].regex == KEY_SHAPES[column.key_role]
        assert {e.meta["severity"] for e in asserted.values()} <= {"error", "warning"}


def test_key_shapes_accept_normalised_keys_only() -> None:
    person = "11010119900307002" + id_check_char("11010119900307002")
    body = "91110108MA01A2B3C"
    organisation = body + uscc_check_char(body)
    assert re.fullmatch(ID_NUMBER_SHAPE, person)
    assert not re.fullmatch(ID_NUMBER_SHAPE, person[:-1] + "x")
    assert not re.fullmatch(ID_NUMBER_SHAPE, organisation)
    assert re.fullmatch(CREDIT_CODE_SHAPE, organisation)
    assert not re.fullmatch(CREDIT_CODE_SHAPE, organisation[:-1] + "I")
    assert not re.fullmatch(CREDIT_CODE_SHAPE, organisation[:17])
    subject = KEY_SHAPES[KeyRole.subject]
    assert re.fullmatch(subject, person) and re.fullmatch(subject, organisation)
    assert not re.fullmatch(subject, "110101199003070")


def test_native_expectations_carry_the_rule_parameters() -> None:
    suite = build_suite(
        contract(
            [
                {"id": "t.name_format", "kind": "regex", "column": "name", "pattern": "^[a-z]{2}$"},
                {"id": "t.name_enum", "kind": "enum", "column": "name", "values": ["ab", "cd"]},
                {"id": "t.name_length", "kind": "length", "column": "name", "min": 2, "max": 4},
                {"id": "t.amount_range", "kind": "range", "column": "amount", "min": 0},
                {"id": "t.born_range", "kind": "range", "column": "born", "min": "1900-01-01"},
                {"id": "t.born_past", "kind": "date_not_future", "column": "born"},
                {"id": "t.seen_past", "kind": "date_not_future", "column": "seen"},
                {"id": "t.warn", "kind": "not_null", "column": "name", "severity": "warning"},
            ]
        ),
        previous_row_count=None,
        as_of=AS_OF,
    )
    rules = by_rule(suite)
    assert rules["t.name_format"].regex == "^[a-z]{2}$"
    assert rules["t.name_enum"].value_set == ["ab", "cd"]
    assert (rules["t.name_length"].min_value, rules["t.name_length"].max_value) == (2, 4)
    assert (rules["t.amount_range"].min_value, rules["t.amount_range"].max_value) == (0.0, None)
    assert rules["t.born_range"].min_value == dt.date(1900, 1, 1)
    assert rules["t.born_past"].max_value == dt.date(2026, 11, 21)
    # A timestamp is in the future from the next midnight on, as in the row rule.
    assert rules["t.seen_past"].max_value == dt.datetime(2026, 11, 22)
    assert rules["t.seen_past"].strict_max
    assert "t.warn" not in rules
    assert rules["t.born_past"].meta == {
        "rule_id": "t.born_past",
        "severity": "error",
        "dimension": "validity",
    }


def test_row_count_change_is_relative_to_the_previous_batch() -> None:
    changing = contract(row_count_change={"min_ratio": 0.7, "max_ratio": 1.1}, min_rows=5)
    rules = by_rule(build_suite(changing, previous_row_count=100, as_of=AS_OF))
    # 100 * 0.7 is 70.00000000000001 in floating point; the bound must still be 70.
    assert (
        rules["batch.row_count_change"].min_value,
        rules["batch.row_count_change"].max_value,
    ) == (
        70,
        110,
    )
    assert rules["batch.min_rows"].min_value == 5
    first = build_suite(changing, previous_row_count=None, as_of=AS_OF)
    assert "batch.row_count_change" not in by_rule(first)
    no_previous = {"rule_id": "batch.row_count_change", "reason": "no previous batch"}
    assert no_previous in skipped_rules(first)


def test_batch_expectations() -> None:
    suite = build_suite(
        contract(completeness={"name": 0.9}, freshness_days=30, freshness_column="seen"),
        previous_row_count=None,
        as_of=AS_OF,
    )
    rules = by_rule(suite)
    assert rules["batch.completeness.name"].mostly == 0.9
    assert 'GROUP BY "id_number" HAVING' in rules["batch.key_unique"].unexpected_rows_query
    assert rules["batch.freshness"].min_value == AS_OF - dt.timedelta(days=30)
    assert rules["batch.freshness"].meta["severity"] == "warning"


def test_freshness_needs_a_date_column_and_both_settings() -> None:
    with pytest.raises(ValueError, match="go together"):
        build_suite(contract(freshness_days=3), previous_row_count=None, as_of=AS_OF)
    with pytest.raises(ValueError, match="not a date"):
        build_suite(
            contract(freshness_days=3, freshness_column="name"),
            previous_row_count=None,
            as_of=AS_OF,
        )


def test_query_expectations_keep_braces_and_colons_literal() -> None:
    rule = {
        "id": "t.name_sql",
        "kind": "sql",
        "expression": "regexp_matches(name, '^[a-z]{2}$') AND name <> ':x'",
    }
    query = by_rule(build_suite(contract([rule]), previous_row_count=None, as_of=AS_OF))[
        "t.name_sql"
    ].unexpected_rows_query
    fields = {field for _, field, _, _ in Formatter().parse(query) if field is not None}
    assert fields == {"batch"}
    formatted = query.format(batch="t")
    assert "'^[a-z]{2}$'" in formatted
    assert "'\\:x'" in formatted  # SQLAlchemy's text() turns \: back into a colon
    assert formatted.startswith(
        'SELECT "_row_number", "name" FROM (SELECT * FROM t) AS typed WHERE'
    )


def test_references_without_certified_data_are_skipped() -> None:
    rule = {
        "id": "t.known",
        "kind": "reference",
        "column": "name",
        "resource": "ps_population",
        "resource_column": "name",
    }
    skipped = build_suite(contract([rule]), previous_row_count=None, as_of=AS_OF)
    assert "t.known" not in by_rule(skipped)
    assert skipped_rules(skipped) == [
        {"rule_id": "t.known", "reason": "ps_population has no certified data yet"}
    ]
    known = build_suite(
        contract([rule]), previous_row_count=None, as_of=AS_OF, reference_table=lambda r: "ref"
    )
    assert "FROM ref" in by_rule(known)["t.known"].unexpected_rows_query
