"""A sweep per department resource, on that resource's update cycle.

The sensor lands files within seconds; the sweep is the safety net when the sensor is
stopped, and it says in the schedule's log when a delivery is late.

One schedule per resource, not per department: a schedule runs one job, a job's assets must
share one partitions definition, and every resource has its own (one partition per delivered
file). A department sweep over two resources is a job Dagster cannot build, which kept the
whole code location from loading in the UI and the daemon.
"""

import datetime as dt

import dagster as dg

from contracts.model import Contract, UpdateCycle
from contracts.registry import bundled_contracts
from pipelines.asset_keys import (
    certified_asset_key,
    files_partitions_name,
    landing_asset_key,
    sharded,
)
from pipelines.landing.requests import settled_files
from pipelines.resources import LandingZoneResource

CRON_BY_CYCLE = {
    UpdateCycle.realtime: "*/15 * * * *",
    UpdateCycle.daily: "0 2 * * *",
    UpdateCycle.weekly: "0 2 * * 1",
    UpdateCycle.monthly: "0 2 1 * *",
    UpdateCycle.quarterly: "0 2 1 1,4,7,10 *",
    UpdateCycle.yearly: "0 2 1 1 *",
    UpdateCycle.irregular: "0 2 * * *",  # no promise to keep: sweep daily, never "late"
}
CYCLE_DAYS = {
    UpdateCycle.realtime: 1,
    UpdateCycle.daily: 1,
    UpdateCycle.weekly: 7,
    UpdateCycle.monthly: 31,
    UpdateCycle.quarterly: 92,
    UpdateCycle.yearly: 366,
    UpdateCycle.irregular: 3660,
}


def sweep_name(contract: Contract) -> str:
    return f"{contract.id}_landing_sweep"


def build_resource_sweep(contract: Contract) -> dg.ScheduleDefinition:
    cycle = contract.update_cycle

    @dg.schedule(
        name=sweep_name(contract),
        cron_schedule=CRON_BY_CYCLE[cycle],
        # Sharded, landing only: the certification sensor then certifies each region shard.
        target=dg.AssetSelection.assets(
            landing_asset_key(contract.id),
            *([] if sharded() else [certified_asset_key(contract.id)]),
        ),
        execution_timezone="Asia/Shanghai",
        description=f"Lands any file of {contract.id} ({contract.department}) the sensor has "
        f"not (update cycle {cycle.value}), and reports a late delivery.",
    )
    def sweep(
        context: dg.ScheduleEvaluationContext, landing_zone: LandingZoneResource
    ) -> list[dg.RunRequest] | dg.SkipReason:
        pending, _ = settled_files(
            landing_zone.root_path,
            {contract.id: contract},
            landing_zone.settle_seconds,
            {},
            department=contract.department,
        )
        newest = max((p.file.path.stat().st_mtime for p in pending), default=None)
        if newest is not None:
            age = dt.timedelta(seconds=dt.datetime.now().timestamp() - newest)
            if age > dt.timedelta(days=CYCLE_DAYS[cycle]):
                context.log.warning(f"{contract.id}: newest delivery is {age.days} days old")
        name = files_partitions_name(contract.id)
        for item in pending:
            if not context.instance.has_dynamic_partition(name, item.partition_key):
                context.instance.add_dynamic_partitions(name, [item.partition_key])
        if not pending:
            return dg.SkipReason(f"no delivery of {contract.id} in the landing zone")
        return [item.run_request() for item in pending]

    return sweep


def resource_sweeps() -> list[dg.ScheduleDefinition]:
    contracts = bundled_contracts()
    return [build_resource_sweep(contracts[c]) for c in sorted(contracts)]
