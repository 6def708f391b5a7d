"""The onceonly Dagster code location: one Definitions object, loaded by workspace.yaml."""

from __future__ import annotations

import dagster as dg

import settings
from directory import log_privacy
from pipelines.analytics.assets import ANALYTICS_KEYS, analytics_assets
from pipelines.asset_keys import SNAPSHOT_KEY, sharded
from pipelines.certify.assets import certified_assets, serving_snapshot
from pipelines.certify.engine_resource import EngineResource
from pipelines.certify.sensors import certify_shards_sensor
from pipelines.landing.assets import landing_assets
from pipelines.landing.schedules import resource_sweeps
from pipelines.landing.sensors import landing_zone_sensor
from pipelines.resources import DirectoryResource, LandingZoneResource, PoolResource

# Publishing and the analytics follow certification on their own under the daemon: both are
# eager, and this sensor evaluates their conditions from the start. Dagster's default
# automation sensor is created stopped, waiting for a click in the UI, so a daemon left
# alone never published the analytics of a new snapshot.
FOLLOW_PUBLISH_SENSOR = "publish_and_analytics_sensor"


def follow_publish_sensor() -> dg.AutomationConditionSensorDefinition:
    return dg.AutomationConditionSensorDefinition(
        FOLLOW_PUBLISH_SENSOR,
        target=[SNAPSHOT_KEY, *ANALYTICS_KEYS],
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Publishes a snapshot after certification and rebuilds the analytics "
        "after every publish.",
    )


def build_definitions() -> dg.Definitions:
    # Every Dagster process loads the code location through here: its run and sensor logs
    # mask ID numbers and credit codes like the API's and the command line's.
    log_privacy.install()
    return dg.Definitions(
        assets=[*landing_assets(), *certified_assets(), serving_snapshot, *analytics_assets()],
        # Sharded (ONCEONLY_SHARDS), a landed file's region shards certify in runs of their own.
        sensors=[
            landing_zone_sensor,
            follow_publish_sensor(),
            *([certify_shards_sensor] if sharded() else []),
        ],
        schedules=resource_sweeps(),
        resources={
            "pool": PoolResource(
                path=str(settings.current().pool),
                certified_path=str(settings.current().certified),
                serving_path=str(settings.current().serving),
            ),
            "directory": DirectoryResource(),
            # ONCEONLY_ENGINE=spark certifies on Spark; unset, the embedded DuckDB engine.
            "engine": EngineResource.from_settings(),
            "landing_zone": LandingZoneResource(
                root=str(settings.current().landing), scratch=str(settings.current().scratch)
            ),
        },
        # Each run lands one file in one step: the multiprocess executor would only add
        # ~2 s of process start-up per step, so steps run inside the run's process.
        executor=dg.in_process_executor,
    )


defs = build_definitions()
