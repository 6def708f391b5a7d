"""Quarantine: every rejected row kept with the rules it broke, ready to send back.

Rows are stored as the department delivered them (raw text per contract column), with the
rule ids and readable reasons, so that a steward can export them in the department's own
format and headers, and a corrected re-delivery resolves them. Beside them goes the subject's
key as landing normalised it, so a reader finds whose record waits without normalising again.

An open entry stands for the delivered content, not for the file it came in: the same bad row
delivered again (in a new file, or in a re-export of the whole register) is counted as
quarantined in its batch, but adds no second open entry for the department to fix twice.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from contracts.compiler import CompiledContract
from contracts.keys.problems import Problem
from contracts.model import Contract
from pipelines.certify.classify import CANDIDATES, CLASSIFIED, record_key_rule
from pipelines.certify.schema import quality_table
from pipelines.duckdb_sql import quote_identifier, quote_literal
from pipelines.landing.schema import landed_table
from snapshot.tables import QUARANTINE, subject_column


def _sql_map(mapping: dict[str, str]) -> str:
    if not mapping:
        return "MAP {'': ''}"
    pairs = ", ".join(f"{quote_literal(k)}: {quote_literal(v)}" for k, v in mapping.items())
    return f"MAP {{{pairs}}}"


def raw_row_json(contract: Contract, alias: str) -> str:
    """JSON of the delivered text of each contract column of landed row `alias`."""
    fields = ", ".join(
        f"{quote_identifier(c.name)} := {alias}.{quote_identifier(c.delivered_name)}"
        for c in contract.columns
    )
    return f"to_json(struct_pack({fields}))"


def record_key_text(contract: Contract, alias: str) -> str:
    parts = ", ".join(
        f"CAST({alias}.{quote_identifier(k)} AS VARCHAR)" for k in contract.record_key
    )
    return f"concat_ws('|', {parts})"


def subject_key_of(contract: Contract, alias: str) -> str:
    """SQL for the subject key of landed row `alias`, as landing normalised it (NULL when
    the delivered value is not a valid key): stored so readers never normalise again."""
    subject = subject_column(contract)
    return f"{alias}.{quote_identifier(subject.name)}" if subject is not None else "NULL"


def not_open_already(contract: Contract, alias: str) -> str:
    """SQL condition: landed row `alias` has no open quarantine entry of the same content."""
    return (
        f"NOT EXISTS (SELECT 1 FROM {quality_table(QUARANTINE)} AS q "
        f"WHERE q.contract_id = {quote_literal(contract.id)} AND q.status = 'open' "
        f"AND CAST(q.raw AS VARCHAR) = CAST({raw_row_json(contract, alias)} AS VARCHAR))"
    )


def quarantine_rule_breakers(
    con: duckdb.DuckDBPyConnection, compiled: CompiledContract, batch: str, now: dt.datetime
) -> None:
    contract = compiled.contract
    reasons = compiled.reasons()
    reasons[record_key_rule(contract.id)] = (
        "同一批次中多条不同记录使用同一记录键 / several different rows share one record key "
        f"({', '.join(contract.record_key)}) in this delivery"
    )
    key_rules = {f"{c.name}.key_valid": c.name for c in contract.key_columns}
    problems = _sql_map({p.value: p.message for p in Problem})
    key_reasons = ", ".join(
        f"CASE WHEN list_contains(c._errors, {quote_literal(rule)}) THEN "
        f"{quote_literal(reasons[rule])} || '：' || "
        f"coalesce({problems}[l.{quote_identifier(column + '__problem')}], '') END"
        for rule, column in key_rules.items()
    )
    static = _sql_map({k: v for k, v in reasons.items() if k not in key_rules})
    key_rule_list = ", ".join(quote_literal(r) for r in key_rules) or "''"
    listed = (
        f"list_transform(list_filter(c._errors, lambda r: r NOT IN ({key_rule_list})), "
        f"lambda r: {static}[r])"
    )
    if key_reasons:
        listed = f"list_concat([{key_reasons}], {listed})"
    con.execute(
        f"INSERT INTO {quality_table(QUARANTINE)} SELECT ?, ?, ?, c._file_name, c._row_number, "
        f"{record_key_text(contract, 'c')}, c._errors, "
        f"list_filter({listed}, lambda x: x IS NOT NULL), "
        f"{raw_row_json(contract, 'l')}, 'open', NULL, ?, NULL, {subject_key_of(contract, 'l')} "
        f"FROM {CLASSIFIED} AS c JOIN {landed_table(contract)} AS l "
        "ON l._file_hash = c._file_hash AND l._row_number = c._row_number "
        f"WHERE NOT c._duplicate AND len(c._errors) > 0 AND {not_open_already(contract, 'l')}",
        [contract.id, contract.department, batch, now],
    )


def quarantine_whole_batch(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    batch: str,
    failures: dict[str, str],
    now: dt.datetime,
) -> None:
    """A batch that fails the gate: every candidate row is quarantined under the failed checks."""
    rule_ids = [quote_literal(r) for r in failures]
    reasons = [quote_literal(text) for text in failures.values()]
    con.execute(
        f"INSERT INTO {quality_table(QUARANTINE)} SELECT ?, ?, ?, c._file_name, c._row_number, "
        f"{record_key_text(contract, 'c')}, [{', '.join(rule_ids)}], [{', '.join(reasons)}], "
        f"{raw_row_json(contract, 'l')}, 'open', NULL, ?, NULL, {subject_key_of(contract, 'l')} "
        f"FROM {CANDIDATES} AS c JOIN {landed_table(contract)} AS l "
        "ON l._file_hash = c._file_hash AND l._row_number = c._row_number "
        f"WHERE {not_open_already(contract, 'l')}",
        [contract.id, contract.department, batch, now],
    )


def resolve_redelivered(
    con: duckdb.DuckDBPyConnection, contract: Contract, batch: str, now: dt.datetime
) -> int:
    """Open quarantined rows whose record a later batch certified are resolved by that batch."""
    rows = con.execute(
        f"UPDATE {quality_table(QUARANTINE)} SET status = 'resolved', resolved_by_batch = ?, "
        "resolved_at = ? WHERE contract_id = ? AND status = 'open' AND batch <> ? AND "
        f"record_key IN (SELECT {record_key_text(contract, 'c')} FROM {CANDIDATES} AS c)",
        [batch, now, contract.id, batch],
    ).fetchall()
    return int(rows[0][0]) if rows else 0
