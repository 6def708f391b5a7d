"""The certification gate on Spark: Great Expectations validates the candidate DataFrame.

The same suite as on DuckDB (built from the contract, its SQL and regular expressions in
Spark's dialect) through GE's Spark data source and a whole-dataframe batch. GE reuses the
running SparkSession: no configuration is passed, so it neither changes nor restarts it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipelines.certify.gate import GateResult, ephemeral_context, evaluate, validate_batch

if TYPE_CHECKING:
    from great_expectations import ExpectationSuite
    from great_expectations.core.expectation_validation_result import (
        ExpectationValidationResult,
    )
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )
    from pyspark.sql import DataFrame

DATASOURCE = "onceonly_spark"
ASSET = "candidates"


def run_spark_gate(frame: DataFrame, suite: ExpectationSuite) -> GateResult:
    """Validate `frame` (with `_row_number`) against `suite`."""
    return evaluate(suite, lambda name, group: _validate(frame, name, group))


def _validate(
    frame: DataFrame, name: str, configurations: list[ExpectationConfiguration]
) -> list[ExpectationValidationResult]:
    context = ephemeral_context()
    # The caller keeps the DataFrame cached; GE's own persist would cache it twice.
    source = context.data_sources.add_spark(name=DATASOURCE, persist=False)
    try:
        asset = source.add_dataframe_asset(name=ASSET)
        batch = asset.add_batch_definition_whole_dataframe(ASSET).get_batch(
            batch_parameters={"dataframe": frame}
        )
        return validate_batch(batch, name, configurations)
    finally:
        context.data_sources.delete(DATASOURCE)
