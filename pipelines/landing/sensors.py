"""The landing-zone sensor: every settled new file becomes one run of its resource's landing
asset (its region shards are then certified by ``pipelines.certify.sensors``)."""

import json

import dagster as dg

from contracts.registry import bundled_contracts
from pipelines.landing.requests import HashCache, new_partitions, settled_files
from pipelines.resources import LandingZoneResource
from pipelines.run_liveness import recover_dead_runs

SENSOR_INTERVAL_SECONDS = 15


@dg.sensor(
    name="landing_zone_sensor",
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    # An asset selection, not a target: Dagster then launches each request in the base asset
    # job, which takes assets of different partitions definitions (one per resource). A
    # target would build one job over every resource, which Dagster refuses.
    asset_selection=dg.AssetSelection.key_prefixes(["landing"], ["certified"]),
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Watches the landing zone; one run per new file content (its hash).",
)
def landing_zone_sensor(
    context: dg.SensorEvaluationContext, landing_zone: LandingZoneResource
) -> dg.SensorResult:
    # A run killed while it held the pool_writer slot would block every run this launches.
    for dead in recover_dead_runs(context.instance):
        context.log.warning(dead.message)
    # The cursor remembers each file's hash by size and mtime, so a 1 GB extract is hashed once.
    cache: HashCache = {k: tuple(v) for k, v in json.loads(context.cursor or "{}").items()}  # type: ignore[misc]
    pending, unrecognised = settled_files(
        landing_zone.root_path, bundled_contracts(), landing_zone.settle_seconds, cache
    )
    for item in unrecognised:
        context.log.warning(f"not landed: {item.path}: {item.reason}")
    additions = new_partitions(context.instance, pending)
    present = {str(item.file.path) for item in pending}
    cache = {k: v for k, v in cache.items() if k in present or not k}
    return dg.SensorResult(
        run_requests=[item.run_request() for item in pending],
        dynamic_partitions_requests=[
            dg.AddDynamicPartitionsRequest(name, keys) for name, keys in additions.items()
        ],
        cursor=json.dumps(cache, sort_keys=True),
    )
