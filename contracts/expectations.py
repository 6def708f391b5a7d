"""The Great Expectations suite that gates certification, built from a data contract.

Row rules already split a batch into candidate and quarantined rows (``contracts.compiler``);
the gate asks the questions no single row can answer (enough rows, no collapse against the last
batch, completeness ratios, unique record keys, fresh data) and re-asserts every error rule on
the candidate table, so a bug between classification and the merge cannot certify a bad row.

The candidate table holds typed columns, normalised keys, ``_row_number`` and ``_file_hash``.
Each expectation carries ``{"rule_id", "severity", "dimension"}`` in its ``meta`` so a result
traces back to the contract; ids of the implied rules are the compiler's (``<column>.required``,
``<column>.key_valid``), batch-level ids start with ``batch.``. A check that cannot run for
this batch (a reference to a resource with no certified data yet, a row-count change without a
previous batch) is listed in ``suite.meta["skipped_rules"]`` with the reason.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator
from decimal import Decimal

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.expectations.expectation import Expectation
from sqlglot import exp

from contracts.compiler import DIALECT, ROW_ALIAS, CompiledRule, compile_contract
from contracts.keys.checksums import USCC_ALPHABET
from contracts.model import Column, Contract, KeyRole, LogicalType
from contracts.portable import DUCKDB, java_regex, quoted, render
from contracts.rules import (
    DateNotFuture,
    Dimension,
    Enum,
    KeyValid,
    Length,
    NotNull,
    Parses,
    Range,
    Regex,
    Rule,
    Severity,
)

ROW_NUMBER = "_row_number"
ID_NUMBER_SHAPE = r"^[0-9]{17}[0-9X]$"
CREDIT_CODE_SHAPE = rf"^[{USCC_ALPHABET}]{{18}}$"
KEY_SHAPES = {
    KeyRole.id_number: ID_NUMBER_SHAPE,
    KeyRole.credit_code: CREDIT_CODE_SHAPE,
    KeyRole.subject: rf"^(?:[0-9]{{17}}[0-9X]|[{USCC_ALPHABET}]{{18}})$",
}
DATE_TYPES = (LogicalType.date, LogicalType.timestamp)


def build_suite(
    contract: Contract,
    *,
    previous_row_count: int | None,
    as_of: dt.datetime,
    reference_table: Callable[[str], str | None] = lambda resource: None,
    dialect: str = DIALECT,
) -> gx.ExpectationSuite:
    """The gate's suite for one batch of `contract`, for the engine speaking `dialect`.

    `previous_row_count` is the row count of the last certified batch (None for the first);
    `as_of` is the certification moment, naive in the pool's local time like its TIMESTAMP
    columns (an aware value is taken at its own wall-clock time); `reference_table` names the
    certified table of another resource, as for :func:`contracts.compiler.compile_contract`.
    The suite is the same for every engine; only its SQL and regular expressions are written
    in the engine's dialect (``contracts.portable``).
    """
    skipped: list[dict[str, str]] = []
    expectations = [
        *_batch_expectations(
            contract, previous_row_count, as_of.replace(tzinfo=None), skipped, dialect
        ),
        *_row_expectations(contract, as_of.date(), reference_table, skipped, dialect),
    ]
    return gx.ExpectationSuite(
        name=f"{contract.id}@{contract.version}",
        expectations=expectations,
        meta={"contract_id": contract.id, "skipped_rules": skipped},
    )


def _meta(rule_id: str, severity: Severity, dimension: Dimension) -> dict[str, str]:
    return {"rule_id": rule_id, "severity": severity.value, "dimension": dimension.value}


def _batch_expectations(
    contract: Contract,
    previous: int | None,
    as_of: dt.datetime,
    skipped: list[dict[str, str]],
    dialect: str,
) -> Iterator[Expectation]:
    batch = contract.quality.batch
    error = Severity.error
    yield gxe.ExpectTableRowCountToBeBetween(
        min_value=batch.min_rows,
        meta=_meta("batch.min_rows", error, Dimension.completeness),
    )
    if batch.row_count_change is not None:
        change = batch.row_count_change
        if not previous:
            skipped.append({"rule_id": "batch.row_count_change", "reason": "no previous batch"})
        else:
            yield gxe.ExpectTableRowCountToBeBetween(
                min_value=math.ceil(previous * Decimal(str(change.min_ratio))),
                max_value=(
                    None
                    if change.max_ratio is None
                    else math.floor(previous * Decimal(str(change.max_ratio)))
                ),
                meta=_meta("batch.row_count_change", error, Dimension.completeness),
            )
    for name, share in batch.completeness.items():
        yield gxe.ExpectColumnValuesToNotBeNull(
            column=name,
            mostly=share,
            meta=_meta(f"batch.completeness.{name}", error, Dimension.completeness),
        )
    key = list(contract.record_key)
    if batch.key_unique:
        yield _key_unique(key, _meta("batch.key_unique", error, Dimension.uniqueness), dialect)
    for column in contract.columns:
        if column.unique and not (batch.key_unique and key == [column.name]):
            yield gxe.ExpectColumnValuesToBeUnique(
                column=column.name,
                meta=_meta(f"{column.name}.unique", error, Dimension.uniqueness),
            )
    if batch.freshness_days is not None or batch.freshness_column is not None:
        yield _freshness(contract, as_of)


def _key_unique(key: list[str], meta: dict[str, str], dialect: str) -> Expectation:
    """No two candidates share the record key; NULL key parts count as equal values.

    That is how classification (PARTITION BY) and the history merge (IS NOT DISTINCT FROM)
    match records, which GE's native uniqueness expectations do not: they skip NULLs. One
    GROUP BY, which GE runs twice (rows, count), is also far cheaper than their window
    function, which GE evaluates three times (count, values, row numbers) and which took half
    of the gate's time on 10 million rows. Each example is a repeated key with its row count
    and first `_row_number`.
    """
    columns = ", ".join(quoted(name, dialect) for name in key)
    row_number = quoted(ROW_NUMBER, dialect)
    return gxe.UnexpectedRowsExpectation(
        unexpected_rows_query=(
            f"SELECT {columns}, count(*) AS row_count, min({row_number}) AS "
            f"{row_number} FROM {{batch}} GROUP BY {columns} HAVING count(*) > 1"
        ),
        description="记录键重复 / the record key repeats",
        meta=meta,
    )


def _freshness(contract: Contract, as_of: dt.datetime) -> Expectation:
    """The newest value of the freshness column is at most `freshness_days` before `as_of`.

    A warning: stale data is still true data, and stewards must see it, not lose it.
    """
    batch = contract.quality.batch
    if batch.freshness_days is None or batch.freshness_column is None:
        raise ValueError(
            f"{contract.id}: quality.batch.freshness_days and freshness_column go together"
        )
    column = contract.column(batch.freshness_column)
    oldest = as_of - dt.timedelta(days=batch.freshness_days)
    if column.type not in DATE_TYPES:
        raise ValueError(
            f"{contract.id}: quality.batch.freshness_column {column.name} is not a date"
        )
    return gxe.ExpectColumnMaxToBeBetween(
        column=column.name,
        min_value=oldest.date() if column.type is LogicalType.date else oldest,
        meta=_meta("batch.freshness", Severity.warning, Dimension.timeliness),
    )


def _row_expectations(
    contract: Contract,
    as_of: dt.date,
    reference_table: Callable[[str], str | None],
    skipped: list[dict[str, str]],
    dialect: str,
) -> Iterator[Expectation]:
    """Every error rule, written or implied, as a native expectation where GE has one.

    Warning rules are left out (their rows are certified, flagged), and so are the implied
    `parses` rules: the candidate table holds their outcome, the typed value, not the text.

    The rest (matches_id_number, reference, sql) run the compiler's own violation condition in
    an unexpected-rows query, so the gate and the quarantine cannot disagree on what they mean.
    """
    compiled = compile_contract(contract, as_of=as_of, reference_table=reference_table)
    skipped.extend({"rule_id": rule_id, "reason": why} for rule_id, why in compiled.skipped)
    for entry in compiled.rules:
        rule = entry.rule
        if rule.severity is not Severity.error:
            continue
        if isinstance(rule, Parses):
            continue  # the raw text it judges is not in the candidate table, only its result
        meta = _meta(rule.id, rule.severity, rule.dimension)
        column = contract.column(rule.column) if hasattr(rule, "column") else None
        native = _native(rule, column, as_of, meta, dialect) if column is not None else None
        yield native if native is not None else _unexpected_rows(contract, entry, meta, dialect)


def _native(
    rule: Rule, column: Column, as_of: dt.date, meta: dict[str, str], dialect: str
) -> Expectation | None:
    name = column.name
    match rule:
        case NotNull():
            return gxe.ExpectColumnValuesToNotBeNull(column=name, meta=meta)
        case Regex():
            return gxe.ExpectColumnValuesToMatchRegex(
                column=name, regex=_regex(rule.pattern, dialect), meta=meta
            )
        case KeyValid():
            shape = _regex(KEY_SHAPES[column.key_role or KeyRole.subject], dialect)
            return gxe.ExpectColumnValuesToMatchRegex(column=name, regex=shape, meta=meta)
        case Enum():
            return gxe.ExpectColumnValuesToBeInSet(
                column=name, value_set=list(rule.values), meta=meta
            )
        case Length():
            return gxe.ExpectColumnValueLengthsToBeBetween(
                column=name, min_value=rule.min, max_value=rule.max, meta=meta
            )
        case Range():
            return gxe.ExpectColumnValuesToBeBetween(
                column=name,
                min_value=_bound(rule.min, column),
                max_value=_bound(rule.max, column),
                meta=meta,
            )
        case DateNotFuture() if column.type is LogicalType.date:
            return gxe.ExpectColumnValuesToBeBetween(column=name, max_value=as_of, meta=meta)
        case DateNotFuture():
            # Like the row rule, a timestamp is in the future from the day after `as_of` on.
            tomorrow = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())
            return gxe.ExpectColumnValuesToBeBetween(
                column=name, max_value=tomorrow, strict_max=True, meta=meta
            )
    return None


def _regex(pattern: str, dialect: str) -> str:
    """The pattern as the engine's regex library must read it to match what RE2 matches."""
    return pattern if dialect == DUCKDB else java_regex(pattern)


def _bound(limit: float | str | None, column: Column) -> float | dt.date | dt.datetime | None:
    """A range bound as the column compares it: dates at midnight, as the row rule does."""
    if limit is None:
        return None
    if column.type is LogicalType.date:
        return dt.date.fromisoformat(str(limit))
    if column.type is LogicalType.timestamp:
        return dt.datetime.combine(dt.date.fromisoformat(str(limit)), dt.time())
    return float(limit)


def _unexpected_rows(
    contract: Contract, entry: CompiledRule, meta: dict[str, str], dialect: str
) -> Expectation:
    """The rows breaking the compiled rule, with `_row_number` and the columns it reads."""
    own = {c.name for c in contract.columns}
    read = (
        c.name
        for c in entry.violation.find_all(exp.Column)
        if c.name in own and c.table in ("", ROW_ALIAS)
    )
    columns = ", ".join(quoted(name, dialect) for name in dict.fromkeys([ROW_NUMBER, *read]))
    condition = _literal(render(entry.violation, dialect), dialect)
    return gxe.UnexpectedRowsExpectation(
        # The compiled rules name the checked row `typed` (reference rules correlate on it).
        unexpected_rows_query=(
            f"SELECT {columns} FROM (SELECT * FROM {{batch}}) AS {ROW_ALIAS} WHERE {condition}"
        ),
        description=entry.reason,
        meta=meta,
    )


def _literal(sql: str, dialect: str) -> str:
    """SQL that GE passes through unchanged: `str.format` reads braces as fields, and, on
    DuckDB, SQLAlchemy's `text()` reads `:name` as a bind parameter unless the colon is
    escaped (Spark runs the query as it is)."""
    braces = sql.replace("{", "{{").replace("}", "}}")
    return braces.replace(":", "\\:") if dialect == DUCKDB else braces
