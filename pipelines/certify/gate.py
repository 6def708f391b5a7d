"""The certification gate: a contract's expectation suite, run by Great Expectations on the
candidate table through the pipeline's own DuckDB connection (the Spark engine runs the same
suite on its candidate DataFrame through :func:`evaluate` and :func:`validate_batch`).

Error-level failures block the batch. An expectation GE could not evaluate (it reports
``exception_info``) or did not return at all is a failure, never a pass: a gate that silently
stops checking must stop certifying. Great Expectations takes seconds to import, so it is
imported when a gate runs, not with this module.
"""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:
    from great_expectations import ExpectationSuite
    from great_expectations.core.expectation_validation_result import (
        ExpectationValidationResult,
    )
    from great_expectations.data_context import AbstractDataContext
    from great_expectations.datasource.fluent.interfaces import Batch
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

EXAMPLES = 5
INDEX_COLUMN = "_row_number"
DATASOURCE = "onceonly_pool"
POSITION = "gate_position"
# Column and table expectations: observed values, counts and, for a few failing rows, their
# `_row_number` and value. GE bundles their counts into a few aggregate queries, then
# runs two LIMIT queries (values, row numbers) per column expectation.
COLUMN_FORMAT = {
    "result_format": "SUMMARY",
    "partial_unexpected_count": EXAMPLES,
    "unexpected_index_column_names": [INDEX_COLUMN],
}
# The first pass: the same counts and observed values, without the per-expectation queries
# for examples (GE runs them, as LIMIT 0, even when nothing is unexpected). Only expectations
# that found something are validated again with COLUMN_FORMAT, for their examples.
COUNTS_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 0}
# Unexpected-rows queries hand back their rows (GE fetches at most 200) only when COMPLETE.
QUERY_FORMAT = {"result_format": "COMPLETE"}
QUERY_EXPECTATION = "unexpected_rows_expectation"


@dataclass(frozen=True)
class ExpectationOutcome:
    """One expectation's verdict, in plain JSON types, for stewards and the quality tables."""

    rule_id: str
    expectation_type: str
    severity: str
    success: bool
    observed_value: Any
    unexpected_count: int | None
    unexpected_percent: float | None
    examples: list[Any]
    error: str | None

    @property
    def blocks(self) -> bool:
        """A failure that stops the batch: anything but a warning (unknown severity included)."""
        return self.severity != "warning" and not self.success

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class GateResult:
    """The gate's verdict on one batch; `success` is False when any outcome blocks it."""

    success: bool
    outcomes: list[ExpectationOutcome]
    seconds: float

    @property
    def failures(self) -> list[ExpectationOutcome]:
        """The outcomes that block the batch."""
        return [o for o in self.outcomes if o.blocks]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_gate(con: duckdb.DuckDBPyConnection, table: str, suite: ExpectationSuite) -> GateResult:
    """Validate `table` (a table or TEMP table on `con`, with `_row_number`) against `suite`.

    Call it outside the caller's transaction: GE reads through `con` itself in autocommit
    mode, and nothing is begun, committed, rolled back or closed on it.
    """
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", table):
        raise ValueError(f"table must be a plain identifier, got {table!r}")
    return evaluate(suite, lambda name, group: _validate(con, table, name, group))


def evaluate(
    suite: ExpectationSuite,
    validate: Callable[[str, list[ExpectationConfiguration]], list[ExpectationValidationResult]],
) -> GateResult:
    """The gate's verdict on `suite`, validated by `validate` (an engine's GE batch): every
    expectation numbered, so each has an outcome, a missing result included."""
    started = time.perf_counter()
    configurations = _numbered(suite)
    results = validate(suite.name, configurations)
    outcomes = _outcomes(configurations, results)
    return GateResult(not any(o.blocks for o in outcomes), outcomes, time.perf_counter() - started)


def ephemeral_context() -> AbstractDataContext:
    """A GE context that keeps nothing on disk and draws no progress bars."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    return gx.get_context(
        mode="ephemeral",
        project_config=DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(),
            progress_bars=ProgressBarsConfig(globally=False),
        ),
    )


def validate_batch(
    batch: Batch, name: str, configurations: list[ExpectationConfiguration]
) -> list[ExpectationValidationResult]:
    """Column and table expectations, then unexpected-rows queries, each with the result
    format that keeps its evidence.

    Column and table expectations are counted first (`COUNTS_FORMAT`); those that found
    unexpected values, failed or raised are validated again for their examples. So a clean
    batch, the usual case, costs one aggregate pass instead of two more queries per column
    expectation: on Spark, two jobs each, which made most of a small shard's gate."""
    columns = [c for c in configurations if c.type != QUERY_EXPECTATION]
    queries = [c for c in configurations if c.type == QUERY_EXPECTATION]
    results = _validated(batch, name, columns, COUNTS_FORMAT)
    again = [c for c in columns if not _clean(results.get(_position(c)))]
    if again:
        results.update(_validated(batch, name, again, COLUMN_FORMAT))
    return [*results.values(), *_validated(batch, name, queries, QUERY_FORMAT).values()]


def _validated(
    batch: Batch,
    name: str,
    configurations: list[ExpectationConfiguration],
    result_format: dict[str, Any],
) -> dict[int, ExpectationValidationResult]:
    """`configurations` validated on `batch`, by position (:func:`_numbered`); an expectation
    GE returned no result for is left out, and :func:`_outcomes` makes it a failure."""
    import great_expectations as gx

    if not configurations:
        return {}
    part = gx.ExpectationSuite(name=name, expectations=configurations)
    return {
        _position(r.expectation_config): r
        for r in batch.validate(part, result_format=result_format).results
        if r.expectation_config is not None
    }


def _position(configuration: ExpectationConfiguration) -> int:
    return int((configuration.meta or {})[POSITION])


def _clean(result: ExpectationValidationResult | None) -> bool:
    """Passed, raised nothing and found no unexpected value: no examples to fetch."""
    if result is None:
        return False
    found = result.result or {}
    return (
        bool(result.success)
        and not _error(result.exception_info or {})
        and not found.get("unexpected_count")
    )


def _validate(
    con: duckdb.DuckDBPyConnection,
    table: str,
    name: str,
    configurations: list[ExpectationConfiguration],
) -> list[ExpectationValidationResult]:
    """The suite on `table`, through the pipeline's own connection, in an ephemeral context."""
    from great_expectations.datasource.fluent import SQLDatasource

    from pipelines.certify import ge_duckdb

    context = ephemeral_context()
    source = context.data_sources.add_sql(
        datasource=SQLDatasource(
            name=DATASOURCE,
            connection_string="duckdb://",
            create_temp_table=False,
            kwargs=ge_duckdb.engine_kwargs(con),
        )
    )
    try:
        with ge_duckdb.transactions_untouched(con):
            ge_duckdb.adapt_execution_engine(source.get_execution_engine())
            asset = source.add_table_asset(table, table_name=table)
            batch = asset.add_batch_definition_whole_table(table).get_batch()
            return validate_batch(batch, name, configurations)
    finally:
        # GE's current context outlives this call; it must not keep the pipeline's connection.
        context.data_sources.delete(DATASOURCE)


def _numbered(suite: ExpectationSuite) -> list[ExpectationConfiguration]:
    """Copies of the suite's configurations, numbered so results map back one to one."""
    numbered = []
    for position, expectation in enumerate(suite.expectations):
        configuration = copy.deepcopy(expectation.configuration)
        configuration.meta = {**(configuration.meta or {}), POSITION: position}
        numbered.append(configuration)
    return numbered


def _outcomes(
    configurations: list[ExpectationConfiguration], results: list[ExpectationValidationResult]
) -> list[ExpectationOutcome]:
    by_position = {
        r.expectation_config.meta[POSITION]: r for r in results if r.expectation_config is not None
    }
    return [_outcome(c, by_position.get(p)) for p, c in enumerate(configurations)]


def _outcome(
    configuration: ExpectationConfiguration, result: ExpectationValidationResult | None
) -> ExpectationOutcome:
    from great_expectations.util import convert_to_json_serializable

    if result is None:
        error: str | None = "Great Expectations returned no result for this expectation"
        success, found = False, {}
    else:
        error = _error(result.exception_info or {})
        success, found = bool(result.success) and error is None, result.result or {}
    examples = (
        found.get("partial_unexpected_index_list")
        or found.get("partial_unexpected_list")
        or found.get("details", {}).get("unexpected_rows")
        or []
    )
    meta = configuration.meta or {}
    return ExpectationOutcome(
        rule_id=str(meta.get("rule_id", configuration.type)),
        expectation_type=configuration.type,
        severity=str(meta.get("severity", "error")),
        success=success,
        observed_value=convert_to_json_serializable(found.get("observed_value")),
        # An unexpected-rows query observes the number of rows it found.
        unexpected_count=found.get(
            "observed_value" if configuration.type == QUERY_EXPECTATION else "unexpected_count"
        ),
        unexpected_percent=found.get("unexpected_percent"),
        examples=convert_to_json_serializable(list(examples)[:EXAMPLES]),
        error=error,
    )


def _error(exception_info: dict[str, Any]) -> str | None:
    """GE's exception_info is one record, or one per failed metric keyed by metric id."""
    records = [exception_info] if "raised_exception" in exception_info else exception_info.values()
    messages = [
        str(r.get("exception_message") or "evaluation raised an exception")
        for r in records
        if isinstance(r, dict) and (r.get("raised_exception") or r.get("exception_message"))
    ]
    return "; ".join(dict.fromkeys(messages)) or None
