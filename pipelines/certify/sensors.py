"""The certification sensor: every landed file's region shards become runs of their own.

A landing run lists, in its materialisation's `shards` metadata, the region shards its rows
fall into (``contracts.shards``); this sensor asks for one run of `certified/<resource>` per
(file, region). Run keys name the file and the region, so a shard is requested once however
often its file is landed again; the cursor keeps, per resource, the last landing event read.
"""

from __future__ import annotations

import json

import dagster as dg

from contracts.registry import bundled_contracts
from pipelines.asset_keys import certify_requests, landing_asset_key, listed_shards

SENSOR_INTERVAL_SECONDS = 15
EVENTS_PER_TICK = 200


@dg.sensor(
    name="certify_shards_sensor",
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    # An asset selection, not a target: each request runs in the base asset job (see the
    # landing-zone sensor).
    asset_selection=dg.AssetSelection.key_prefixes(["certified"]),
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Certifies each region shard of every landed file in a run of its own.",
)
def certify_shards_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    cursor: dict[str, int] = json.loads(context.cursor or "{}")
    requests: list[dg.RunRequest] = []
    for contract_id in sorted(bundled_contracts()):
        records = context.instance.fetch_materializations(
            dg.AssetRecordsFilter(
                asset_key=landing_asset_key(contract_id),
                after_storage_id=cursor.get(contract_id),
            ),
            limit=EVENTS_PER_TICK,
            ascending=True,
        ).records
        for record in records:
            materialization = record.asset_materialization
            if materialization is None or materialization.partition is None:
                continue
            run = context.instance.get_run_by_id(record.run_id)
            tags = {
                key: value
                for key, value in (run.tags if run is not None else {}).items()
                if key.startswith("onceonly/")
            }
            requests += certify_requests(
                contract_id,
                materialization.partition,
                listed_shards(materialization.metadata),
                tags,
            )
            cursor[contract_id] = record.storage_id
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(cursor, sort_keys=True))
