"""A sweep per department on its resources' update cycle.

The sensor lands files within seconds; the sweep is the safety net when the sensor is
stopped, and it says in the schedule's log when a department is late with its delivery.
"""

import datetime as dt

import dagster as dg

from contracts.model import Contract, UpdateCycle
from contracts.registry import bundled_contracts
from pipelines.asset_keys import certified_asset_key, files_partitions_name, landing_asset_key
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


def _fastest_cycle(contracts: list[Contract]) -> UpdateCycle:
    return min((c.update_cycle for c in contracts), key=CYCLE_DAYS.__getitem__)


def build_department_sweep(department: str, contracts: list[Contract]) -> dg.ScheduleDefinition:
    cycle = _fastest_cycle(contracts)

    @dg.schedule(
        name=f"{department}_landing_sweep",
        cron_schedule=CRON_BY_CYCLE[cycle],
        target=dg.AssetSelection.assets(
            *(landing_asset_key(c.id) for c in contracts),
            *(certified_asset_key(c.id) for c in contracts),
        ),
        execution_timezone="Asia/Shanghai",
        description=f"Lands any file of department {department} the sensor has not "
        f"(update cycle {cycle.value}), and reports late deliveries.",
    )
    def sweep(
        context: dg.ScheduleEvaluationContext, landing_zone: LandingZoneResource
    ) -> list[dg.RunRequest] | dg.SkipReason:
        pending, _ = settled_files(
            landing_zone.root_path,
            {c.id: c for c in contracts},
            landing_zone.settle_seconds,
            {},
            department=department,
        )
        newest = max((p.file.path.stat().st_mtime for p in pending), default=None)
        if newest is not None:
            age = dt.timedelta(seconds=dt.datetime.now().timestamp() - newest)
            if age > dt.timedelta(days=CYCLE_DAYS[cycle]):
                context.log.warning(f"{department}: newest delivery is {age.days} days old")
        for item in pending:
            name = files_partitions_name(item.file.contract_id)
            if not context.instance.has_dynamic_partition(name, item.partition_key):
                context.instance.add_dynamic_partitions(name, [item.partition_key])
        if not pending:
            return dg.SkipReason(f"no delivery from {department} in the landing zone")
        return [item.run_request() for item in pending]

    return sweep


def department_sweeps() -> list[dg.ScheduleDefinition]:
    by_department: dict[str, list[Contract]] = {}
    for contract in bundled_contracts().values():
        by_department.setdefault(contract.department, []).append(contract)
    return [build_department_sweep(d, cs) for d, cs in sorted(by_department.items())]
