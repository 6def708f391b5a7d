"""The seam between certification and the engine that does the work on the rows.

Certification is one procedure (``pipelines.certify.certifier``): compile the contract, type
and check every row, gate the batch, then, in one transaction of the certified database,
quarantine, merge history, score and record conflicts. What each step costs grows with the
data, so each is asked of an engine: DuckDB in the process (the default,
``pipelines.certify.duckdb_engine``) or Apache Spark on a cluster
(``pipelines.certify.spark``). Both answer in the same terms, write the same rows into the
same certified database, and are held to identical results by the parity tests.

An engine is opened per batch (or per region shard of one) on the pool's DuckDB connection
(:data:`EngineFactory`), keeps what it computed between steps (the classified batch, the new
history versions), and releases it at the end, whatever happened.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

import duckdb

from contracts.compiler import CompiledContract
from contracts.model import Contract
from pipelines.certify.classify import Classification
from pipelines.certify.gate import GateResult
from pipelines.certify.history import MergeCounts

if TYPE_CHECKING:
    from great_expectations import ExpectationSuite


class CertificationEngine(Protocol):
    """One batch's certification work, on one engine, written into the pool's connection."""

    name: str
    dialect: str  # the sqlglot dialect the contract's rules are rendered in

    def reference_table(self, resource: str) -> str | None:
        """The table (in this engine) of `resource`'s current certified rows, or None when it
        has none yet; reference rules and their gate checks read it."""
        ...

    def classify(
        self, compiled: CompiledContract, batch: str, shard: str | None = None
    ) -> Classification:
        """Type every value, list the rules each row breaks, mark exact duplicates and record
        keys claimed by several rows, for the whole batch or its region `shard` (the later
        steps then work on that shard's rows only); kept for the steps below."""
        ...

    def gate(self, suite: ExpectationSuite) -> GateResult:
        """The Great Expectations suite on the candidate rows (not duplicates, no error)."""
        ...

    def quarantine_rule_breakers(
        self, compiled: CompiledContract, batch: str, now: dt.datetime
    ) -> None:
        """Every row breaking an error rule into the quarantine, with rule ids and reasons."""
        ...

    def quarantine_whole_batch(
        self, contract: Contract, batch: str, failures: dict[str, str], now: dt.datetime
    ) -> None:
        """A batch that failed the gate: every candidate row quarantined under its failures."""
        ...

    def merge_history(self, contract: Contract, batch: str, now: dt.datetime) -> MergeCounts:
        """Candidates into history: a changed record closes its version (`_valid_to`) and
        opens a new one (`_valid_from`); an unchanged one is left as it is."""
        ...

    def resolve_redelivered(self, contract: Contract, batch: str, now: dt.datetime) -> int:
        """Open quarantine entries of earlier batches whose record this batch certified."""
        ...

    def record_scores(
        self, compiled: CompiledContract, batch: str, now: dt.datetime
    ) -> dict[str, float]:
        """The share of rows passing each quality dimension's rules, recorded per batch."""
        ...

    def record_conflicts(
        self,
        contract: Contract,
        contracts: dict[str, Contract],
        batch: str,
        now: dt.datetime,
        shard: str | None = None,
    ) -> int:
        """Disagreements of this batch's new versions with each shared item's authority."""
        ...

    def store_history(self, contract: Contract, shard: str | None) -> None:
        """After the pool committed: keep the certified history of `shard` (None: of every
        region) where this engine's readers take it from (the Spark engine: its lake)."""
        ...

    def release(self) -> None:
        """Drop what the engine kept for this batch (temporary tables, cached data)."""
        ...


EngineFactory = Callable[[duckdb.DuckDBPyConnection], CertificationEngine]
