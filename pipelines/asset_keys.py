"""Names shared across the code location: asset keys, the per-resource file partitions and
the file x region partitions of certification, and the run requests of a file's shards.

Kept apart from the asset modules so that sensors, schedules and the CLI runner can target
assets without importing how they are computed.
"""

from collections.abc import Iterable, Mapping

import dagster as dg

from contracts.shards import NO_REGION, configured_level, shard_names

SNAPSHOT_KEY = dg.AssetKey(["serving", "snapshot"])
POOL_WRITER = "pool_writer"  # Dagster concurrency pool: one writer of the DuckDB file at a time


def landing_asset_key(contract_id: str) -> dg.AssetKey:
    return dg.AssetKey(["landing", contract_id])


def certified_asset_key(contract_id: str) -> dg.AssetKey:
    return dg.AssetKey(["certified", contract_id])


def files_partitions_name(contract_id: str) -> str:
    return f"{contract_id}_files"


def files_partitions(contract_id: str) -> dg.DynamicPartitionsDefinition:
    """One partition per delivered file content, shared by the landing and certified assets."""
    return dg.DynamicPartitionsDefinition(name=files_partitions_name(contract_id))


FILE, REGION = "file", "region"  # the dimensions of a certified asset's partitions
SHARDS_METADATA = "shards"  # a landing materialisation's shards, e.g. "11,41"
PHASES_METADATA = "phase_seconds"  # seconds per phase of a landing or a certification


def sharded() -> bool:
    """Whether this deployment certifies a delivery region shard by region shard
    (``ONCEONLY_SHARDS``); if not, a file lands and certifies in one run, as one shard."""
    return configured_level() != "none"


def shard_partitions(contract_id: str) -> dg.PartitionsDefinition:
    """One partition per delivered file and region shard (``contracts.shards``): a delivery's
    regions certify in runs of their own, and a failed one fails only its partition. The
    region is a static dimension (the configured level's shards, and 00 for rows without a
    region); only the shards a file holds are ever run, as its landing partition's `shards`
    metadata lists. Not sharded, the file partitions alone: the landing run certifies too."""
    if not sharded():
        return files_partitions(contract_id)
    regions = dg.StaticPartitionsDefinition(list(shard_names()))
    return dg.MultiPartitionsDefinition({FILE: files_partitions(contract_id), REGION: regions})


def shard_partition_key(file_key: str, shard: str) -> dg.MultiPartitionKey:
    return dg.MultiPartitionKey({FILE: file_key, REGION: shard})


def file_and_region(contract_id: str, partition_key: str) -> dict[str, str]:
    """A certified partition's file and region (the one shard, 00, when not sharded)."""
    partitions = shard_partitions(contract_id)
    if not isinstance(partitions, dg.MultiPartitionsDefinition):
        return {FILE: partition_key, REGION: NO_REGION}
    return dict(partitions.get_partition_key_from_str(partition_key).keys_by_dimension)


def listed_shards(metadata: Mapping[str, object]) -> list[str]:
    """The shards a landing materialisation's metadata lists (values as Dagster stores them)."""
    value = metadata.get(SHARDS_METADATA)
    text = str(getattr(value, "value", value) or "")
    return [shard for shard in text.split(",") if shard]


def certify_requests(
    contract_id: str, file_key: str, shards: Iterable[str], tags: Mapping[str, str]
) -> list[dg.RunRequest]:
    """One run per region shard of a landed file: `certified/<resource>` at (file, region).
    None when the deployment does not shard: the landing run certified the file."""
    if not sharded():
        return []
    return [
        dg.RunRequest(
            run_key=f"{contract_id}:{file_key}:{shard}",
            partition_key=shard_partition_key(file_key, shard),
            asset_selection=[certified_asset_key(contract_id)],
            tags={**tags, "onceonly/region": shard},
        )
        for shard in shards
    ]
