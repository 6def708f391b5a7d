"""Names shared across the code location: asset keys and the per-resource file partitions.

Kept apart from the asset modules so that sensors, schedules and the CLI runner can target
assets without importing how they are computed.
"""

import dagster as dg

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
