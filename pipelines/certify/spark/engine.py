"""The Spark engine: each certification step as DataFrame work, its outcome written into the pool.

Spark reads the landed batch and the current certified versions out of the pool (as Parquet
files, ``pipelines.certify.spark.exchange``, never through the driver), types and checks the
rows with the contract's rules rendered for Spark, marks duplicates and key collisions, gates
the candidates with Great Expectations, and decides the history merge, scores and conflicts.
The pool (DuckDB) then stores those decisions, reading Spark's result files in place, in the
rows and tables the DuckDB engine writes, inside the certifier's transaction: quarantine
entries keep the department's delivered text (taken from the landed row) and are not opened
twice, exactly as ``pipelines.certify.quarantine`` does.
"""

from __future__ import annotations

import datetime as dt
import uuid
from functools import reduce
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
from pyspark.sql import Column as SparkColumn
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from sqlglot import exp

import settings
from contracts.compiler import LANDED_ROW, CompiledContract
from contracts.keys.problems import Problem
from contracts.model import SQL_TYPES, Column, Contract
from contracts.portable import DUCKDB, SPARK, render, value_text
from contracts.registry import bundled_contracts
from contracts.rules import Dimension
from contracts.shards import shard_expression
from pipelines.certify.classify import Classification, record_key_rule, shard_filter
from pipelines.certify.conflicts import (
    comparable,
    conflict_query,
    insert_conflicts,
    pairings,
    parameters,
)
from pipelines.certify.gate import GateResult
from pipelines.certify.history import MergeCounts
from pipelines.certify.lake import Lake
from pipelines.certify.quarantine import not_open_already, raw_row_json, subject_key_of
from pipelines.certify.schema import certified_table_exists, history_table, quality_table
from pipelines.certify.spark.exchange import ParquetExchange
from pipelines.certify.spark.gate import run_spark_gate
from pipelines.duckdb_sql import quote_identifier, quote_literal
from pipelines.landing.schema import landed_table
from snapshot.tables import QUARANTINE, SCORES

if TYPE_CHECKING:
    from great_expectations import ExpectationSuite


def good() -> SparkColumn:
    """A candidate: not a duplicate, no error (Spark columns need a running session)."""
    return ~F.col("_duplicate") & (F.size("_errors") == 0)


def text_of(column: Column, table: str | None = None) -> SparkColumn:
    """The value as DuckDB's `CAST(... AS VARCHAR)` writes it (record keys, conflicts)."""
    value = exp.column(column.name, table=table, quoted=True)
    return F.expr(value_text(value, SQL_TYPES[column.type], SPARK).sql(dialect=SPARK))


class SparkEngine:
    """Certification steps on `spark`, their outcome written through `con` into the pool."""

    name = "spark"
    dialect = SPARK

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        spark: SparkSession,
        lake: Lake | None = None,
        exchange: Path | None = None,
    ) -> None:
        self.con = con
        self.spark = spark
        self.lake = lake
        self.exchange = ParquetExchange(spark, exchange or settings.current().spark_exchange)
        self.tag = uuid.uuid4().hex[:12]
        self.views: list[str] = []
        self.cached: list[DataFrame] = []
        self.references: dict[str, str | None] = {}
        self.landed: DataFrame | None = None
        self.classified: DataFrame | None = None
        self.new_versions: DataFrame | None = None

    # -- reading -------------------------------------------------------------------------

    def _view(self, name: str, frame: DataFrame) -> str:
        view = f"{name}_{self.tag}"
        frame.createOrReplaceTempView(view)
        self.views.append(view)
        return view

    def _keep(self, frame: DataFrame) -> DataFrame:
        """Computed once, read by several steps (and kept off the lineage of the next)."""
        kept = frame.persist()
        self.cached.append(kept)
        return kept

    def _current(self, contract: Contract, columns: list[str] | None = None) -> DataFrame:
        """The open versions (`_valid_to IS NULL`) of `contract`'s certified history."""
        listed = ", ".join(quote_identifier(c) for c in columns) if columns else "*"
        return self.exchange.read(
            self.con,
            f"SELECT {listed} FROM {history_table(contract)} WHERE _valid_to IS NULL",
        )

    def reference_table(self, resource: str) -> str | None:
        if resource not in self.references:
            contract = bundled_contracts().get(resource)
            if contract is None or not certified_table_exists(self.con, resource):
                self.references[resource] = None
            else:
                current = self._keep(self._current(contract))
                self.references[resource] = self._view(f"certified_{resource}", current)
        return self.references[resource]

    # -- classification and gate ---------------------------------------------------------

    def classify(
        self, compiled: CompiledContract, batch: str, shard: str | None = None
    ) -> Classification:
        contract = compiled.contract
        where = shard_filter(compiled, shard)
        in_shard = "" if where is None else f" AND {render(where, DUCKDB)}"
        landed = self.exchange.read(
            self.con,
            f"SELECT * FROM {landed_table(contract)} AS {LANDED_ROW} "
            f"WHERE _file_hash = ?{in_shard}",
            [batch],
        )
        self.landed = landed
        checked = self.spark.sql(
            compiled.check_query(self._view("landed", landed), batch, SPARK, where)
        )
        # As on DuckDB: exact copies of an earlier row are duplicates; different rows
        # claiming one record key in one batch are ambiguous, so none of them is certified.
        copies = Window.partitionBy("_record_hash").orderBy("_row_number")
        marked = checked.withColumn("_duplicate", F.row_number().over(copies) > 1)
        same_key = Window.partitionBy(*(F.col(k) for k in contract.record_key))
        claimed = F.sum(F.when(good(), 1).otherwise(0)).over(same_key)
        classified = marked.withColumn(
            "_errors",
            F.when(good() & (claimed > 1), F.array(F.lit(record_key_rule(contract.id)))).otherwise(
                F.col("_errors")
            ),
        )
        self.classified = self._keep(classified)
        row = self.classified.agg(
            F.count(F.lit(1)),
            F.sum(F.when(good(), 1).otherwise(0)),
            F.sum(F.when(~F.col("_duplicate") & (F.size("_errors") > 0), 1).otherwise(0)),
            F.sum(F.when(F.col("_duplicate"), 1).otherwise(0)),
            F.sum(F.when(good() & (F.size("_warnings") > 0), 1).otherwise(0)),
        ).first()
        assert row is not None
        return Classification(*(int(v or 0) for v in row))

    def _classified(self) -> DataFrame:
        if self.classified is None:
            raise RuntimeError("classify the batch first")
        return self.classified

    def _candidates(self) -> DataFrame:
        return self._classified().filter(good()).drop("_errors", "_duplicate")

    def gate(self, suite: ExpectationSuite) -> GateResult:
        return run_spark_gate(self._candidates(), suite)

    # -- quarantine ----------------------------------------------------------------------

    def _record_key(self, contract: Contract) -> SparkColumn:
        return F.concat_ws("|", *(text_of(contract.column(k)) for k in contract.record_key))

    def quarantine_rule_breakers(
        self, compiled: CompiledContract, batch: str, now: dt.datetime
    ) -> None:
        contract = compiled.contract
        reasons = compiled.reasons()
        reasons[record_key_rule(contract.id)] = (
            "同一批次中多条不同记录使用同一记录键 / several different rows share one record key "
            f"({', '.join(contract.record_key)}) in this delivery"
        )
        key_rules = {f"{c.name}.key_valid": c.name for c in contract.key_columns}
        problems = _map({p.value: p.message for p in Problem})
        static = _map({k: v for k, v in reasons.items() if k not in key_rules})
        key_reasons = [
            F.when(
                F.array_contains("_errors", rule),
                F.concat(
                    F.lit(reasons[rule]),
                    F.lit("："),
                    F.coalesce(problems[F.col(f"{column}__problem")], F.lit("")),
                ),
            )
            for rule, column in key_rules.items()
        ]
        others = F.filter("_errors", lambda r: ~r.isin(*key_rules) if key_rules else F.lit(True))
        listed = F.transform(others, lambda r: static[r])
        if key_reasons:
            listed = F.concat(F.array(*key_reasons), listed)
        problem_columns = [f"{c}__problem" for c in key_rules.values()]
        assert self.landed is not None
        breakers = (
            self._classified()
            .filter(~F.col("_duplicate") & (F.size("_errors") > 0))
            .join(self.landed.select("_row_number", *problem_columns), "_row_number")
            .select(
                "_file_hash",
                "_file_name",
                "_row_number",
                self._record_key(contract).alias("record_key"),
                F.col("_errors").alias("rule_ids"),
                F.filter(listed, lambda x: x.isNotNull()).alias("reasons"),
            )
        )
        self._quarantine(contract, batch, now, breakers, "c.rule_ids", "c.reasons")

    def quarantine_whole_batch(
        self, contract: Contract, batch: str, failures: dict[str, str], now: dt.datetime
    ) -> None:
        rows = self._candidates().select(
            "_file_hash",
            "_file_name",
            "_row_number",
            self._record_key(contract).alias("record_key"),
        )
        rule_ids = ", ".join(quote_literal(r) for r in failures)
        reasons = ", ".join(quote_literal(text) for text in failures.values())
        self._quarantine(contract, batch, now, rows, f"[{rule_ids}]", f"[{reasons}]")

    def _quarantine(
        self,
        contract: Contract,
        batch: str,
        now: dt.datetime,
        rows: DataFrame,
        rule_ids: str,
        reasons: str,
    ) -> None:
        with self.exchange.registered(self.con, f"spark_quarantine_{self.tag}", rows) as view:
            self.con.execute(
                f"INSERT INTO {quality_table(QUARANTINE)} SELECT ?, ?, ?, c._file_name, "
                f"c._row_number, c.record_key, {rule_ids}, {reasons}, "
                f"{raw_row_json(contract, 'l')}, 'open', NULL, ?, NULL, "
                f"{subject_key_of(contract, 'l')} "
                f"FROM {view} AS c JOIN {landed_table(contract)} AS l "
                "ON l._file_hash = c._file_hash AND l._row_number = c._row_number "
                f"WHERE {not_open_already(contract, 'l')}",
                [contract.id, contract.department, batch, now],
            )

    def resolve_redelivered(self, contract: Contract, batch: str, now: dt.datetime) -> int:
        keys = self._candidates().select(self._record_key(contract).alias("record_key"))
        with self.exchange.registered(self.con, f"spark_keys_{self.tag}", keys) as view:
            rows = self.con.execute(
                f"UPDATE {quality_table(QUARANTINE)} SET status = 'resolved', "
                "resolved_by_batch = ?, resolved_at = ? WHERE contract_id = ? "
                "AND status = 'open' AND batch <> ? AND "
                f"record_key IN (SELECT record_key FROM {view})",
                [batch, now, contract.id, batch],
            ).fetchall()
        return int(rows[0][0]) if rows else 0

    # -- history -------------------------------------------------------------------------

    def merge_history(self, contract: Contract, batch: str, now: dt.datetime) -> MergeCounts:
        candidates = self._candidates().alias("i")
        current = self._current(contract).alias("h")
        same_key = reduce(
            lambda a, b: a & b,
            (F.col(f"h.{k}").eqNullSafe(F.col(f"i.{k}")) for k in contract.record_key),
        )
        # A changed record closes its open version; a candidate is a new version unless an
        # open version of its key with the same fingerprint stays open.
        closed = current.join(
            candidates, same_key & (F.col("h._record_hash") != F.col("i._record_hash")), "inner"
        ).select(*(F.col(f"h.{k}") for k in contract.record_key), F.col("h._record_hash"))
        new = self._keep(
            candidates.join(
                current,
                same_key & (F.col("h._record_hash") == F.col("i._record_hash")),
                "left_anti",
            )
        )
        table = history_table(contract)
        key_match = " AND ".join(
            f"h.{quote_identifier(k)} IS NOT DISTINCT FROM c.{quote_identifier(k)}"
            for k in contract.record_key
        )
        with self.exchange.registered(self.con, f"spark_closed_{self.tag}", closed) as view:
            self.con.execute(
                f"UPDATE {table} AS h SET _valid_to = ? FROM {view} AS c WHERE "
                f"h._valid_to IS NULL AND {key_match} AND h._record_hash = c._record_hash",
                [now],
            )
        names = ", ".join(f"i.{quote_identifier(c.name)}" for c in contract.columns)
        with self.exchange.registered(self.con, f"spark_new_{self.tag}", new) as view:
            inserted = self.con.execute(
                f"INSERT INTO {table} SELECT {names}, i._record_hash, ?, NULL, ?, "
                f"i._row_number, i._file_name, i._department, i._warnings FROM {view} AS i",
                [now, batch],
            ).fetchall()
        self.new_versions = new
        new_versions = int(inserted[0][0])
        incoming = self._candidates().count()
        return MergeCounts(new_versions=new_versions, unchanged=incoming - new_versions)

    # -- scores and conflicts ------------------------------------------------------------

    def record_scores(
        self, compiled: CompiledContract, batch: str, now: dt.datetime
    ) -> dict[str, float]:
        by_dimension: dict[Dimension, list[str]] = {}
        for rule in compiled.rules:
            by_dimension.setdefault(rule.rule.dimension, []).append(rule.rule.id)
        by_dimension.setdefault(Dimension.uniqueness, []).append(
            record_key_rule(compiled.contract.id)
        )
        dimensions = sorted(by_dimension)
        broken = F.concat("_errors", "_warnings")
        passing = [
            F.sum(
                F.when(
                    ~F.arrays_overlap(broken, F.array(*(F.lit(r) for r in by_dimension[d]))), 1
                ).otherwise(0)
            )
            for d in dimensions
        ]
        row = (
            self._classified().filter(~F.col("_duplicate")).agg(F.count(F.lit(1)), *passing).first()
        )
        assert row is not None
        checked = int(row[0])
        scores: dict[str, float] = {}
        for dimension, count in zip(dimensions, row[1:], strict=True):
            passed = int(count or 0)
            score = passed / checked if checked else 1.0
            scores[dimension.value] = score
            self.con.execute(
                f"INSERT INTO {quality_table(SCORES)} VALUES (?, ?, ?, ?, ?, ?, ?)",
                [compiled.contract.id, batch, dimension.value, checked, passed, score, now],
            )
        return scores

    def record_conflicts(
        self,
        contract: Contract,
        contracts: dict[str, Contract],
        batch: str,
        now: dt.datetime,
        shard: str | None = None,
    ) -> int:
        # `new_versions` holds the versions this shard's merge opened, and no other shard's.
        if self.new_versions is None:
            return 0
        mine = self._view("new_versions", self.new_versions)
        recorded = 0
        for pairing in pairings(contract, contracts):
            if not comparable(pairing, lambda resource: certified_table_exists(self.con, resource)):
                continue
            if pairing.batch_is_authority:
                sides = (
                    mine,
                    self._current_view(pairing.other, pairing.other_subject, pairing.other_column),
                )
            else:
                sides = (
                    self._current_view(
                        pairing.authority, pairing.authority_subject, pairing.authority_column
                    ),
                    mine,
                )
            rows = self.spark.sql(conflict_query(pairing, *sides, SPARK))
            with self.exchange.registered(self.con, f"spark_conflicts_{self.tag}", rows) as view:
                inserted = self.con.execute(
                    insert_conflicts(view), parameters(pairing, batch, now)
                ).fetchall()
            recorded += int(inserted[0][0]) if inserted else 0
        return recorded

    def _current_view(self, contract: Contract, subject: Column, column: Column) -> str:
        """A view of the subject and `column` of `contract`'s open versions."""
        current = self._current(contract, [subject.name, column.name])
        return self._view(f"current_{contract.id}_{column.name}", current)

    def store_history(self, contract: Contract, shard: str | None) -> None:
        """Rewrite the certified regions' history in the lake (``pipelines.certify.lake``):
        the pool writes the files, the catalog commits them, publishing reads them. The pool's
        copy stays what the next batch merges with; a lake commit that failed is made good by
        the region's next one, which rewrites the region whole (until then publishing serves
        the region from the pool: each commit records the pool history's fingerprint)."""
        if self.lake is None:
            return
        region = render(shard_expression(contract), DUCKDB)
        self.lake.commit_history(self.con, contract, history_table(contract), region, shard)

    def release(self) -> None:
        for frame in self.cached:
            frame.unpersist()
        for view in self.views:
            self.spark.catalog.dropTempView(view)
        self.cached, self.views = [], []
        self.exchange.close()


def _map(mapping: dict[str, str]) -> SparkColumn:
    pairs = [F.lit(part) for key, value in mapping.items() for part in (key, value)]
    return F.create_map(*pairs) if pairs else F.create_map(F.lit(""), F.lit(""))
