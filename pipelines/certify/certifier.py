"""Certifying one landed batch: rules, quarantine split, GE gate, history merge, all or nothing.

Order matters for safety: everything before the merge writes only temporary tables, the gate
runs on those, and the merge, quarantine, scores and the batch record commit in one
transaction of the certified database. A process killed anywhere leaves either the batch fully
certified or no trace of it, so a rerun never counts a row twice.

The work on the rows is asked of an engine (``pipelines.certify.engine``): DuckDB unless the
caller passes another; the bookkeeping here (what landed, what was certified before, the batch
record, the transaction) is the pool's, whichever engine computed the rows.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import asdict, dataclass, field, replace

import duckdb

from contracts.compiler import compile_contract
from contracts.model import Contract
from contracts.registry import bundled_contracts
from pipelines.certify.duckdb_engine import DuckDBEngine
from pipelines.certify.engine import CertificationEngine, EngineFactory
from pipelines.certify.gate import GateResult
from pipelines.certify.schema import ensure_certified_schema, quality_table
from pipelines.duckdb_sql import first_row, scalar
from pipelines.landing.schema import SCHEMA as LANDING
from pipelines.phases import PhaseClock
from snapshot.tables import BATCHES, SHARDS, VALIDATIONS


@dataclass(frozen=True)
class CertificationReport:
    """What became of each landed row: `rows_landed == certified + quarantined + duplicate`."""

    contract_id: str
    batch: str
    status: str  # certified | gate_failed | already_certified
    rows_landed: int
    rows_certified: int
    rows_new_versions: int
    rows_unchanged: int
    rows_quarantined: int
    rows_duplicate: int
    rows_with_warnings: int
    gate: dict[str, object] = field(default_factory=dict)
    gate_failures: tuple[str, ...] = ()
    skipped_rules: tuple[str, ...] = ()
    scores: dict[str, float] = field(default_factory=dict)
    conflicts: int = 0
    resolved: int = 0
    seconds: float = 0.0
    shard: str | None = None  # the region shard certified; None: the whole delivery
    # Seconds per phase (``pipelines.phases``): where the batch's time went.
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def accounted(self) -> bool:
        return self.rows_landed == self.rows_certified + self.rows_quarantined + self.rows_duplicate


def certify_batch(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    batch: str,
    *,
    now: dt.datetime | None = None,
    contracts: dict[str, Contract] | None = None,
    engine: EngineFactory = DuckDBEngine,
    shard: str | None = None,
) -> CertificationReport:
    """Certify `batch` of `contract` as a whole, or only its region `shard`
    (``contracts.shards``; :func:`pipelines.certify.sharded.certify_delivery` certifies every
    shard of a delivery). A shard is gated, committed and recorded (`quality.shards`) on its
    own; the delivery's record (`quality.batches`) is then its shards' sum."""
    started = time.perf_counter()
    now = now or dt.datetime.now()
    ensure_certified_schema(con, contract)
    done = previous_outcome(con, contract, batch, shard)
    if done is not None:
        return done
    landed = first_row(con, f"SELECT file_name FROM {LANDING}.files WHERE file_hash = ?", [batch])
    if landed is None:
        raise LookupError(f"batch {batch[:12]} of {contract.id} has not landed; land it first")
    worker = engine(con)
    clock = PhaseClock()
    try:
        report = _certify(
            con, worker, contract, batch, landed[0], now, contracts, started, shard, clock
        )
        if report.status == "certified":
            with clock.phase("history stored (lake)"):
                worker.store_history(contract, shard)
        return replace(report, phases=clock.rounded())
    finally:
        worker.release()


def _certify(
    con: duckdb.DuckDBPyConnection,
    worker: CertificationEngine,
    contract: Contract,
    batch: str,
    file_name: str,
    now: dt.datetime,
    contracts: dict[str, Contract] | None,
    started: float,
    shard: str | None,
    clock: PhaseClock,
) -> CertificationReport:
    from contracts.expectations import build_suite  # Great Expectations takes seconds to import

    references = worker.reference_table
    with clock.phase("rules compiled"):
        compiled = compile_contract(contract, as_of=now.date(), reference_table=references)
    with clock.phase("typing, rules and duplicates"):
        counts = worker.classify(compiled, batch, shard)
    record = BATCHES if shard is None else SHARDS
    previous_rows = scalar(
        con,
        f"SELECT rows_certified FROM {quality_table(record)} WHERE contract_id = ? AND status = "
        f"'certified'{'' if shard is None else ' AND shard = ?'} "
        "ORDER BY certified_at DESC LIMIT 1",
        [contract.id] if shard is None else [contract.id, shard],
    )
    with clock.phase("gate suite built"):
        suite = build_suite(
            contract,
            previous_row_count=previous_rows,
            as_of=now,
            reference_table=references,
            dialect=worker.dialect,
        )
    if shard is not None and counts.rows_candidate == 0 and counts.rows_landed > 0:
        # Nothing in this shard could be certified (every row quarantined or a copy): there
        # is nothing for the gate to let through, and an empty table fails its row counts.
        # (An empty delivery is gated as before: the gate says whether empty is acceptable.)
        gate = GateResult(success=True, outcomes=[], seconds=0.0)
    else:
        with clock.phase("gate (Great Expectations)"):
            gate = worker.gate(suite)
    # A shard's scores and gate results are kept under `<batch>/<shard>`; the delivery's own,
    # under the batch, are its shards' sum (``pipelines.certify.sharded``).
    label = batch if shard is None else shard_label(batch, shard)
    con.execute("BEGIN TRANSACTION")
    try:
        with clock.phase("quarantine"):
            worker.quarantine_rule_breakers(compiled, batch, now)
        if gate.success:
            with clock.phase("history merge"):
                merged = worker.merge_history(contract, batch, now)
            with clock.phase("quarantine resolved by redelivery"):
                resolved = worker.resolve_redelivered(contract, batch, now)
            certified, quarantined = counts.rows_candidate, counts.rows_quarantined
        else:
            with clock.phase("quarantine"):
                worker.quarantine_whole_batch(contract, batch, _gate_failures(contract, gate), now)
            merged, resolved = None, 0
            certified, quarantined = 0, counts.rows_quarantined + counts.rows_candidate
        with clock.phase("quality scores"):
            scores = worker.record_scores(compiled, label, now)
        with clock.phase("conflicts with authoritative sources"):
            conflicts = (
                worker.record_conflicts(
                    contract, contracts or bundled_contracts(), batch, now, shard
                )
                if gate.success
                else 0
            )
        _record_validations(con, contract, label, gate, now)
        report = CertificationReport(
            contract_id=contract.id,
            batch=batch,
            status="certified" if gate.success else "gate_failed",
            rows_landed=counts.rows_landed,
            rows_certified=certified,
            rows_new_versions=merged.new_versions if merged else 0,
            rows_unchanged=merged.unchanged if merged else 0,
            rows_quarantined=quarantined,
            rows_duplicate=counts.rows_duplicate,
            rows_with_warnings=counts.rows_with_warnings if gate.success else 0,
            gate=gate.to_dict(),
            gate_failures=tuple(o.rule_id for o in gate.failures),
            skipped_rules=tuple(
                f"{skip['rule_id']}: {skip['reason']}" for skip in suite.meta["skipped_rules"]
            ),
            scores=scores,
            conflicts=conflicts,
            resolved=resolved,
            seconds=time.perf_counter() - started,
            shard=shard,
        )
        if shard is None:
            record_batch(con, contract, batch, file_name, report, now)
        else:
            _record_shard(con, contract, report, now)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return report


def _gate_failures(contract: Contract, gate: GateResult) -> dict[str, str]:
    failures = {}
    for outcome in gate.failures:
        observed = (
            f"; observed {outcome.observed_value}" if outcome.observed_value is not None else ""
        )
        error = f"; {outcome.error}" if outcome.error else ""
        failures[f"gate.{outcome.rule_id}"] = (
            f"批次未通过质量闸门 / the batch failed the gate check {outcome.rule_id} "
            f"({outcome.expectation_type}){observed}{error}"
        )
    return failures or {f"gate.{contract.id}": "批次未通过质量闸门 / the batch failed the gate"}


def _record_validations(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    batch: str,
    gate: GateResult,
    now: dt.datetime,
) -> None:
    for outcome in gate.outcomes:
        con.execute(
            f"INSERT INTO {quality_table(VALIDATIONS)} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                contract.id,
                batch,
                outcome.rule_id,
                outcome.expectation_type,
                outcome.severity,
                outcome.success,
                json.dumps(outcome.observed_value, default=str, ensure_ascii=False),
                outcome.unexpected_count,
                json.dumps(outcome.examples, default=str, ensure_ascii=False),
                outcome.error,
                now,
            ],
        )


def shard_label(batch: str, shard: str) -> str:
    """What a shard's scores and gate results are recorded under."""
    return f"{batch}/{shard}"


def _outcome_columns(report: CertificationReport) -> list[object]:
    """The columns `quality.batches` and `quality.shards` share, in their order: the status,
    the row counts and whether the gate passed."""
    return [
        report.status,
        report.rows_landed,
        report.rows_certified,
        report.rows_new_versions,
        report.rows_unchanged,
        report.rows_quarantined,
        report.rows_duplicate,
        report.rows_with_warnings,
        report.status == "certified",
    ]


def _record_shard(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    report: CertificationReport,
    now: dt.datetime,
) -> None:
    con.execute(
        f"INSERT INTO {quality_table(SHARDS)} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            contract.id,
            report.batch,
            report.shard,
            *_outcome_columns(report),
            list(report.gate_failures),
            now,
            report.seconds,
        ],
    )


def record_batch(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    batch: str,
    file_name: str,
    report: CertificationReport,
    now: dt.datetime,
) -> None:
    con.execute(
        f"INSERT INTO {quality_table(BATCHES)} VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            contract.id,
            batch,
            contract.version,
            file_name,
            contract.department,
            *_outcome_columns(report),
            list(report.gate_failures),
            list(report.skipped_rules),
            now,
            report.seconds,
        ],
    )


def previous_outcome(
    con: duckdb.DuckDBPyConnection, contract: Contract, batch: str, shard: str | None = None
) -> CertificationReport | None:
    """The recorded outcome of `batch` (or of its `shard`), None when not certified yet."""
    record, where = (BATCHES, "") if shard is None else (SHARDS, " AND shard = ?")
    row = first_row(
        con,
        "SELECT rows_landed, rows_certified, rows_new_versions, rows_unchanged, "
        "rows_quarantined, rows_duplicate, rows_with_warnings, status "
        f"FROM {quality_table(record)} WHERE contract_id = ? AND batch = ?{where}",
        [contract.id, batch, *([] if shard is None else [shard])],
    )
    if row is None:
        return None
    landed, certified, new, unchanged, quarantined, duplicate, warned, status = row
    return CertificationReport(
        contract_id=contract.id,
        batch=batch,
        status=f"already {status}",
        rows_landed=landed,
        rows_certified=certified,
        rows_new_versions=new,
        rows_unchanged=unchanged,
        rows_quarantined=quarantined,
        rows_duplicate=duplicate,
        rows_with_warnings=warned,
        shard=shard,
    )


def report_dict(report: CertificationReport) -> dict[str, object]:
    data = asdict(report)
    data["accounted"] = report.accounted
    return data
