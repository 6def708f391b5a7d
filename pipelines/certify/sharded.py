"""A delivery certified region shard by region shard, and its record as their sum.

Each shard present in a landed batch (``contracts.shards``: the province of each record's
key) is certified on its own by :func:`pipelines.certify.certifier.certify_batch`: its own
classification, its own gate, its own transaction and its own row in `quality.shards`. A shard
that fails its gate quarantines its own candidates only; the others' rows are certified and
serve, and the previous snapshot keeps serving until they are published. A process that dies
between shards leaves the committed shards recorded, and a rerun certifies only the rest.

When every shard is recorded, the delivery's row in `quality.batches` is written as their
sum (rows landed = certified + quarantined + duplicates, per shard and in total), with the
scores recomputed over all its rows from the shards' counts, so readers of batches see one
record per delivered file as before.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, replace

import duckdb

from contracts.model import Contract
from pipelines.certify.certifier import (
    CertificationReport,
    certify_batch,
    previous_outcome,
    record_batch,
    shard_label,
)
from pipelines.certify.duckdb_engine import DuckDBEngine
from pipelines.certify.engine import EngineFactory
from pipelines.certify.schema import ensure_certified_schema, quality_table
from pipelines.duckdb_sql import first_row
from pipelines.landing.schema import SCHEMA as LANDING
from pipelines.landing.schema import landed_shards
from pipelines.phases import add_phases
from snapshot.tables import SCORES

CERTIFIED, GATE_FAILED, PARTLY = "certified", "gate_failed", "partly_certified"
IN_PROGRESS = "in_progress"  # some shard of the delivery is not certified yet


@dataclass(frozen=True)
class DeliveryReport:
    """A delivery's total (`quality.batches`) and each of its shards (`quality.shards`)."""

    total: CertificationReport
    shards: tuple[CertificationReport, ...]

    @property
    def accounted(self) -> bool:
        """Rows add up in every shard, and the shards add up to the delivery."""
        return (
            self.total.accounted
            and all(s.accounted for s in self.shards)
            and sum(s.rows_landed for s in self.shards) == self.total.rows_landed
        )


def certify_delivery(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    batch: str,
    *,
    now: dt.datetime | None = None,
    contracts: dict[str, Contract] | None = None,
    engine: EngineFactory = DuckDBEngine,
    shards: list[str] | None = None,
) -> DeliveryReport:
    """Certify each shard of `batch` (all present, or those listed), then, once every shard
    present is recorded, record the delivery as their sum."""
    started = time.perf_counter()
    now = now or dt.datetime.now()
    ensure_certified_schema(con, contract)
    present = landed_shards(con, contract, batch)
    done = previous_outcome(con, contract, batch)
    if done is not None:
        recorded = [previous_outcome(con, contract, batch, s) for s in present]
        return DeliveryReport(done, tuple(r for r in recorded if r is not None))
    reports = []
    for shard in present if shards is None else [s for s in present if s in shards]:
        reports.append(
            certify_batch(
                con, contract, batch, now=now, contracts=contracts, engine=engine, shard=shard
            )
        )
    recorded = [previous_outcome(con, contract, batch, s) for s in present]
    if any(r is None for r in recorded) or not present:
        total = _sum(contract, batch, reports, {}, time.perf_counter() - started)
        return DeliveryReport(replace(total, status=IN_PROGRESS), tuple(reports))
    by_shard = {r.shard: r for r in reports}
    complete = [by_shard.get(r.shard, r) for r in recorded if r is not None]
    con.execute("BEGIN TRANSACTION")
    try:
        scores = _record_scores(con, contract, batch, present, now)
        total = _sum(contract, batch, complete, scores, time.perf_counter() - started)
        landed = first_row(
            con, f"SELECT file_name FROM {LANDING}.files WHERE file_hash = ?", [batch]
        )
        record_batch(con, contract, batch, landed[0] if landed else "", total, now)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return DeliveryReport(total, tuple(complete))


def _sum(
    contract: Contract,
    batch: str,
    shards: list[CertificationReport],
    scores: dict[str, float],
    seconds: float,
) -> CertificationReport:
    statuses = {s.status.removeprefix("already ") for s in shards}
    status = (
        CERTIFIED
        if statuses <= {CERTIFIED}
        else GATE_FAILED
        if statuses == {GATE_FAILED}
        else PARTLY
    )
    outcomes = [
        {**outcome, "shard": s.shard}
        for s in shards
        for outcome in s.gate.get("outcomes", [])  # type: ignore[attr-defined]
    ]
    return CertificationReport(
        contract_id=contract.id,
        batch=batch,
        status=status,
        rows_landed=sum(s.rows_landed for s in shards),
        rows_certified=sum(s.rows_certified for s in shards),
        rows_new_versions=sum(s.rows_new_versions for s in shards),
        rows_unchanged=sum(s.rows_unchanged for s in shards),
        rows_quarantined=sum(s.rows_quarantined for s in shards),
        rows_duplicate=sum(s.rows_duplicate for s in shards),
        rows_with_warnings=sum(s.rows_with_warnings for s in shards),
        gate={"success": status != GATE_FAILED, "outcomes": outcomes},
        gate_failures=tuple(
            dict.fromkeys(f"{s.shard}:{rule}" for s in shards for rule in s.gate_failures)
        ),
        skipped_rules=tuple(dict.fromkeys(rule for s in shards for rule in s.skipped_rules)),
        scores=scores,
        conflicts=sum(s.conflicts for s in shards),
        resolved=sum(s.resolved for s in shards),
        seconds=seconds,
        phases=_phases(shards),
    )


def _phases(shards: list[CertificationReport]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for shard in shards:
        add_phases(totals, shard.phases)
    return {name: round(seconds, 3) for name, seconds in totals.items()}


def _record_scores(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    batch: str,
    shards: list[str],
    now: dt.datetime,
) -> dict[str, float]:
    """The delivery's score per dimension: rows passing over rows checked, in all shards."""
    labels = [shard_label(batch, s) for s in shards]
    rows = con.execute(
        f"INSERT INTO {quality_table(SCORES)} SELECT contract_id, ?, dimension, "
        "sum(rows_checked), sum(rows_passing), "
        "CASE WHEN sum(rows_checked) = 0 THEN 1.0 "
        "ELSE sum(rows_passing) / sum(rows_checked) END, ? "
        f"FROM {quality_table(SCORES)} WHERE contract_id = ? AND list_contains(?, batch) "
        "GROUP BY contract_id, dimension RETURNING dimension, score",
        [batch, now, contract.id, labels],
    ).fetchall()
    return {str(dimension): float(score) for dimension, score in sorted(rows)}
