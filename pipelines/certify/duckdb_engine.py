"""The embedded engine: certification as SQL on the pool's own DuckDB connection.

Every step runs where the data already is, in the certified database's transaction; this is
the default engine and the reference the Spark engine is held to.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import duckdb

from contracts.compiler import CompiledContract
from contracts.model import Contract
from contracts.portable import DUCKDB
from contracts.registry import bundled_contracts
from pipelines.certify.classify import CANDIDATES, CLASSIFIED, Classification, classify
from pipelines.certify.conflicts import record_conflicts
from pipelines.certify.gate import GateResult, run_gate
from pipelines.certify.history import MergeCounts, merge_history
from pipelines.certify.quarantine import (
    quarantine_rule_breakers,
    quarantine_whole_batch,
    resolve_redelivered,
)
from pipelines.certify.schema import certified_table_exists, history_table
from pipelines.certify.scores import record_scores

if TYPE_CHECKING:
    from great_expectations import ExpectationSuite


class DuckDBEngine:
    """Certification steps as SQL on `con`, which holds the landed batch and the history."""

    name = "duckdb"
    dialect = DUCKDB

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def reference_table(self, resource: str) -> str | None:
        contract = bundled_contracts().get(resource)
        if contract is None or not certified_table_exists(self.con, resource):
            return None
        return history_table(contract)

    def classify(
        self, compiled: CompiledContract, batch: str, shard: str | None = None
    ) -> Classification:
        return classify(self.con, compiled, batch, shard)

    def gate(self, suite: ExpectationSuite) -> GateResult:
        return run_gate(self.con, CANDIDATES, suite)

    def quarantine_rule_breakers(
        self, compiled: CompiledContract, batch: str, now: dt.datetime
    ) -> None:
        quarantine_rule_breakers(self.con, compiled, batch, now)

    def quarantine_whole_batch(
        self, contract: Contract, batch: str, failures: dict[str, str], now: dt.datetime
    ) -> None:
        quarantine_whole_batch(self.con, contract, batch, failures, now)

    def merge_history(self, contract: Contract, batch: str, now: dt.datetime) -> MergeCounts:
        return merge_history(self.con, contract, batch, now)

    def resolve_redelivered(self, contract: Contract, batch: str, now: dt.datetime) -> int:
        return resolve_redelivered(self.con, contract, batch, now)

    def record_scores(
        self, compiled: CompiledContract, batch: str, now: dt.datetime
    ) -> dict[str, float]:
        return record_scores(self.con, compiled, batch, now)

    def record_conflicts(
        self,
        contract: Contract,
        contracts: dict[str, Contract],
        batch: str,
        now: dt.datetime,
        shard: str | None = None,
    ) -> int:
        return record_conflicts(self.con, contract, contracts, batch, now, shard)

    def store_history(self, contract: Contract, shard: str | None) -> None:
        """The pool's history is this engine's only copy: nothing to store elsewhere."""

    def release(self) -> None:
        self.con.execute(f"DROP VIEW IF EXISTS {CANDIDATES}; DROP TABLE IF EXISTS {CLASSIFIED}")
