"""Dagster assets of certification: the certified history per resource, and the snapshot.

`certified/<resource>` is partitioned by delivered file and region shard
(``pipelines.asset_keys.shard_partitions``): once a file has landed, each region its rows
fall into is certified by a run of its own (`pipelines.certify.sensors`, or the runner of
`onceonly ingest`), and the run that certifies a delivery's last shard records the delivery.
A deployment that does not shard (``ONCEONLY_SHARDS=none``, the embedded default) partitions
it by file alone, like `landing/<resource>`, and the run that lands a file certifies it.
Its asset checks surface the Great Expectations gate: `quality_gate` is blocking, so a shard
that fails it fails its own partition's run, and the other shards and the previous snapshot
keep serving.
"""

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import dagster as dg

from contracts.model import Contract
from contracts.registry import bundled_contracts
from pipelines.asset_keys import (
    FILE,
    PHASES_METADATA,
    POOL_WRITER,
    REGION,
    SNAPSHOT_KEY,
    certified_asset_key,
    file_and_region,
    landing_asset_key,
    shard_partitions,
)
from pipelines.certify.certifier import CertificationReport
from pipelines.certify.engine_resource import EngineResource
from pipelines.certify.publish import publish_changes
from pipelines.certify.schema import history_table
from pipelines.certify.sharded import (
    CERTIFIED,
    IN_PROGRESS,
    PARTLY,
    DeliveryReport,
    certify_delivery,
)
from pipelines.duckdb_sql import scalar
from pipelines.resources import DirectoryResource, PoolResource
from snapshot.manifest import current_version

QUALITY_GATE = "quality_gate"
ROWS_ACCOUNTED = "rows_accounted"


def build_certified_asset(contract: Contract) -> dg.AssetsDefinition:
    key = certified_asset_key(contract.id)

    @dg.asset(
        key=key,
        # Dagster maps a (file, region) partition to the landing partition of its file: the
        # file dimension's definition is the landing asset's own.
        deps=[landing_asset_key(contract.id)],
        partitions_def=shard_partitions(contract.id),
        group_name=contract.department,
        owners=[f"team:{contract.department}"],
        kinds={"duckdb", "great_expectations"},
        pool=POOL_WRITER,
        description=f"Certified history of {contract.name} under contract {contract.id} "
        f"v{contract.version}: rows that meet the contract; the rest are quarantined.",
        check_specs=[
            dg.AssetCheckSpec(
                QUALITY_GATE,
                asset=key,
                blocking=True,
                description="Great Expectations suite built from the contract: batch-level "
                "expectations and the error rules re-asserted on the certified rows.",
            ),
            dg.AssetCheckSpec(
                ROWS_ACCOUNTED,
                asset=key,
                blocking=True,
                description="Rows landed = certified + quarantined + duplicates, in the "
                "region shard (and the delivery's shards add up to its total).",
            ),
        ],
    )
    def certified(
        context: dg.AssetExecutionContext,
        pool: PoolResource,
        directory: DirectoryResource,
        engine: EngineResource,
    ) -> dg.MaterializeResult:
        keys = _partition(contract, context)
        factory = engine.factory()
        with pool.connect() as con:
            batch = scalar(
                con,
                "SELECT file_hash FROM landing.files WHERE partition_key = ? AND contract_id = ?",
                [keys[FILE], contract.id],
            )
            if batch is None:
                raise LookupError(
                    f"partition {keys[FILE]} of {contract.id} has not landed; "
                    "materialise its landing asset first"
                )
            delivery = certify_delivery(
                con, contract, batch, now=dt.datetime.now(), engine=factory, shards=[keys[REGION]]
            )
            current_rows = int(
                scalar(
                    con, f"SELECT count(*) FROM {history_table(contract)} WHERE _valid_to IS NULL"
                )
            )
        report = next((s for s in delivery.shards if s.shard == keys[REGION]), None)
        if report is None:  # a region the file holds no row of: nothing to certify
            report = CertificationReport(contract.id, batch, "empty", 0, 0, 0, 0, 0, 0, 0)
            report = replace(report, shard=keys[REGION])
        context.log.info(_summary(report))
        if delivery.total.status in (CERTIFIED, PARTLY):  # this run completed the delivery
            _post_figures(context, directory, delivery.total, current_rows)
        return dg.MaterializeResult(
            metadata={**_metadata(report), **_delivery(delivery)},
            check_results=[_gate_check(report), _accounting_check(report)],
        )

    return certified


def _partition(contract: Contract, context: dg.AssetExecutionContext) -> dict[str, str]:
    """The run's file and region."""
    return file_and_region(contract.id, context.partition_key)


def _delivery(delivery: DeliveryReport) -> dict[str, Any]:
    """The delivery's own figures, once its last shard is certified."""
    total = delivery.total
    if total.status == IN_PROGRESS:
        return {"delivery_status": IN_PROGRESS}
    return {
        "delivery_status": total.status,
        "delivery_rows_landed": total.rows_landed,
        "delivery_rows_certified": total.rows_certified,
        "delivery_accounted": delivery.accounted,
    }


def _post_figures(
    context: dg.AssetExecutionContext,
    directory: DirectoryResource,
    report: CertificationReport,
    current_rows: int,
) -> None:
    """Give the catalogue entry its live figures: last batch, quality score, certified rows."""
    with directory.open() as catalogue:
        entry = catalogue.entries.by_contract(report.contract_id)
        if entry is None:
            context.log.warning(
                f"no catalogue entry for {report.contract_id}; run `onceonly catalogue sync`"
            )
            return
        landed = report.rows_landed - report.rows_duplicate
        catalogue.figures.record(
            entry.code,
            report.batch,
            dt.datetime.now().astimezone(),
            report.rows_certified / landed if landed else 1.0,
            current_rows,
        )


def _summary(report: CertificationReport) -> str:
    return (
        f"{report.contract_id} region {report.shard} {report.status}: landed "
        f"{report.rows_landed}, certified {report.rows_certified} "
        f"({report.rows_new_versions} new versions), quarantined {report.rows_quarantined}, "
        f"duplicates {report.rows_duplicate}"
    )


def _metadata(report: CertificationReport) -> dict[str, Any]:
    return {
        "status": report.status,
        "shard": report.shard or "",
        "rows_landed": report.rows_landed,
        "rows_certified": report.rows_certified,
        "rows_new_versions": report.rows_new_versions,
        "rows_unchanged": report.rows_unchanged,
        "rows_quarantined": report.rows_quarantined,
        "rows_duplicate": report.rows_duplicate,
        "rows_with_warnings": report.rows_with_warnings,
        "conflicts": report.conflicts,
        "quarantine_resolved": report.resolved,
        "skipped_rules": "; ".join(report.skipped_rules),
        **{f"score_{k}": round(v, 4) for k, v in report.scores.items()},
        "seconds": round(report.seconds, 3),
        PHASES_METADATA: dg.MetadataValue.json(report.phases),
    }


def _gate_check(report: CertificationReport) -> dg.AssetCheckResult:
    outcomes = report.gate.get("outcomes", [])
    assert isinstance(outcomes, list)
    failed = [o for o in outcomes if not o["success"]]
    return dg.AssetCheckResult(
        check_name=QUALITY_GATE,
        passed=report.status != "gate_failed",
        metadata={
            "expectations": len(outcomes),
            "failed": len(failed),
            "failures": "\n".join(
                f"{o['rule_id']} ({o['severity']}): observed {o['observed_value']}"
                + (f"; {o['error']}" if o.get("error") else "")
                for o in failed
            ),
        },
    )


def _accounting_check(report: CertificationReport) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=ROWS_ACCOUNTED,
        passed=report.accounted,
        metadata={
            "rows_landed": report.rows_landed,
            "certified_quarantined_duplicate": report.rows_certified
            + report.rows_quarantined
            + report.rows_duplicate,
        },
    )


@dg.asset(
    key=SNAPSHOT_KEY,
    deps=[certified_asset_key(c) for c in bundled_contracts()],
    group_name="serving",
    kinds={"duckdb"},
    pool=POOL_WRITER,
    automation_condition=dg.AutomationCondition.eager(),
    output_required=False,  # no new batch, no new version: nothing is materialised
    description="Immutable, versioned snapshot of the certified pool that the API reads, "
    "switched atomically; a failed batch never gets here, and a run that certified nothing "
    "publishes nothing.",
)
def serving_snapshot(
    context: dg.AssetExecutionContext, pool: PoolResource, engine: EngineResource
) -> Iterator[dg.MaterializeResult]:
    with pool.connect() as con:
        snapshot = publish_changes(
            con, Path(pool.certified_path), Path(pool.serving_path), lake=engine.lake_tables()
        )
    if snapshot is None:
        current = current_version(Path(pool.serving_path))
        context.log.info(
            f"nothing new certified; snapshot v{current.version} keeps serving"
            if current
            else "nothing certified yet; no snapshot published"
        )
        return
    context.log.info(f"published snapshot v{snapshot.version} ({snapshot.size_bytes:,} bytes)")
    yield dg.MaterializeResult(
        metadata={
            "version": snapshot.version,
            "file": snapshot.path.name,
            "size_bytes": snapshot.size_bytes,
        }
    )


def certified_assets() -> list[dg.AssetsDefinition]:
    return [build_certified_asset(c) for c in bundled_contracts().values()]
