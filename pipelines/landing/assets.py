"""One Dagster asset per department resource: its landed table, partitioned by delivered file.

Each delivered file is one partition, keyed by its content hash, so Dagster shows per file
when it landed, how many rows, and what was rejected; re-delivering the same bytes is a no-op.
Its `shards` metadata lists the region shards the file's rows fall into: certification runs
one partition (file × region) per shard listed.
"""

from pathlib import Path

import dagster as dg

from contracts.model import Contract
from contracts.registry import bundled_contracts
from pipelines.asset_keys import (
    PHASES_METADATA,
    POOL_WRITER,
    SHARDS_METADATA,
    files_partitions,
    landing_asset_key,
)
from pipelines.landing.errors import LandingError
from pipelines.landing.files import LandingFile, content_hash, partition_key
from pipelines.landing.loader import land_file
from pipelines.landing.schema import landed_shards
from pipelines.resources import LandingZoneResource, PoolResource

ROWS_ACCOUNTED = "rows_accounted"


class LandingFileConfig(dg.Config):
    """The delivered file a run lands; set by the sensor, the schedules and the CLI."""

    path: str


def build_landing_asset(contract: Contract) -> dg.AssetsDefinition:
    key = landing_asset_key(contract.id)

    @dg.asset(
        key=key,
        partitions_def=files_partitions(contract.id),
        group_name=contract.department,
        owners=[f"team:{contract.department}"],
        kinds={"duckdb", contract.source.format.value},
        pool=POOL_WRITER,
        description=f"{contract.name} ({contract.name_en}) as delivered by "
        f"{contract.owner.department_name}: raw values, normalised keys and lineage.",
        metadata={"contract": f"{contract.id} v{contract.version}"},
        check_specs=[
            dg.AssetCheckSpec(
                ROWS_ACCOUNTED,
                asset=key,
                description="Every row read is landed or rejected with a reason.",
            )
        ],
    )
    def landed(
        context: dg.AssetExecutionContext,
        config: LandingFileConfig,
        pool: PoolResource,
        landing_zone: LandingZoneResource,
    ) -> dg.MaterializeResult:
        path = Path(config.path)
        if not path.is_file():
            raise LandingError(
                path,
                "the file is no longer in the landing zone",
                "Deliver it again; nothing was landed",
            )
        file_hash = content_hash(path)
        if partition_key(file_hash) != context.partition_key:
            raise LandingError(
                path,
                f"its content changed after it was detected (partition {context.partition_key})",
                "Nothing was landed; the changed file is picked up as a new partition",
            )
        with pool.connect() as con:
            report = land_file(
                con,
                LandingFile(path, contract.id, contract.department),
                contract,
                landing_zone.scratch_path,
                file_hash=file_hash,
                run_id=context.run_id,
            )
            shards = landed_shards(con, contract, file_hash)
        context.log.info(
            f"{report.file_name}: read {report.rows_read}, landed {report.rows_landed}, "
            f"rejected {report.rows_rejected}"
            + (" (already landed, nothing to do)" if report.already_landed else "")
        )
        return dg.MaterializeResult(
            metadata={
                "file": report.file_name,
                "file_hash": report.file_hash,
                "already_landed": report.already_landed,
                "rows_read": report.rows_read,
                "rows_landed": report.rows_landed,
                "rows_rejected": report.rows_rejected,
                "rows_with_key_problems": report.rows_with_key_problems,
                "encoding": report.encoding or "",
                "notes": "; ".join(report.notes),
                "seconds": round(report.seconds, 3),
                PHASES_METADATA: dg.MetadataValue.json(report.phases),
                # Which region shards certification is run for (``contracts.shards``).
                SHARDS_METADATA: ",".join(shards),
            },
            check_results=[
                dg.AssetCheckResult(
                    check_name=ROWS_ACCOUNTED,
                    passed=report.rows_read == report.rows_landed + report.rows_rejected,
                    metadata={
                        "rows_read": report.rows_read,
                        "rows_landed_plus_rejected": report.rows_landed + report.rows_rejected,
                    },
                )
            ],
        )

    return landed


def landing_assets() -> list[dg.AssetsDefinition]:
    return [build_landing_asset(c) for c in bundled_contracts().values()]
