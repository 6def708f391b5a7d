"""The quality overview: per resource, its score, open quarantine, open conflicts with an
authoritative source, and whether its delivery is late against the catalogue's update cycle.

One read of the published snapshot and the directory: what a steward looks at first each day
(their own department's resources; an admin or an auditor sees all, for oversight).
"""

from __future__ import annotations

import datetime as dt
from itertools import groupby
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from api.auth import QualityReader, get_directory
from api.deps import current_snapshot
from api.errors import ERROR_RESPONSES, ErrorContractRoute
from api.resource_access import check_resource
from contracts.registry import bundled_contracts
from directory import lateness
from directory.actors import Role
from directory.figures import Freshness
from directory.model import UpdateCycle
from directory.store import Directory
from snapshot.conflicts import CONFLICT_COUNTS
from snapshot.quality import (
    BATCH_TOTALS,
    LAST_CERTIFIED,
    LATEST_SCORE,
    OPEN_QUARANTINE,
    SCORE_HISTORY,
)
from snapshot.reader import Snapshot
from snapshot.tables import BATCHES

router = APIRouter(
    prefix="/v1/quality",
    tags=["quality"],
    route_class=ErrorContractRoute,
    responses=ERROR_RESPONSES,
)


class ResourceQuality(BaseModel):
    resource: str = Field(examples=["ps_population"])
    code: str | None = Field(examples=["301001/000001"], description="Catalogue code")
    name: str = Field(examples=["人口基本信息"])
    department: str = Field(examples=["ps"])
    update_cycle: UpdateCycle
    last_certified_at: dt.datetime | None = Field(description="When its last batch certified")
    due_by: dt.datetime | None = Field(description="When the next batch was due, at the latest")
    freshness: Freshness
    late: bool = Field(description="The last certified batch is older than the cycle allows")
    batches: int
    score: float | None = Field(description="Mean quality score of the latest batch")
    open_quarantine: int
    open_conflicts: int = Field(description="Conflicts with an authoritative source not settled")


def _by_resource(snapshot: Snapshot, sql: str, column: str) -> dict[str, Any]:
    return {r[next(iter(r))]: r[column] for r in snapshot.query_records(sql, [])}


def _utc(at: dt.datetime | None) -> dt.datetime | None:
    """The certifier stamps batches in the machine's local time without a zone (as
    `datetime.now()` gives it); the clock's time carries one."""
    return at.astimezone(dt.UTC) if at is not None else None


@router.get(
    "/overview",
    response_model=list[ResourceQuality],
    summary="Per resource: score, quarantine, conflicts, and late deliveries (late first)",
)
def overview(
    caller: QualityReader,
    directory: Annotated[Directory, Depends(get_directory)],
    snapshot: Annotated[Snapshot, Depends(current_snapshot)],
) -> list[ResourceQuality]:
    contracts = [
        c
        for c in bundled_contracts().values()
        if caller.role is not Role.steward or c.department == caller.department
    ]
    exists, params = BATCHES.exists_query()
    figures = bool(snapshot.query(exists, params)[0][0])
    last = {
        resource: _utc(at)
        for resource, at in (
            _by_resource(snapshot, LAST_CERTIFIED, "last_certified_at") if figures else {}
        ).items()
    }
    batches = _by_resource(snapshot, BATCH_TOTALS, "batches") if figures else {}
    scores = _by_resource(snapshot, LATEST_SCORE, "quality_score") if figures else {}
    quarantine = _by_resource(snapshot, OPEN_QUARANTINE, "open_quarantine") if figures else {}
    conflicts = _by_resource(snapshot, CONFLICT_COUNTS, "n") if figures else {}
    settled = directory.conflicts.settled_by_resource()
    found = [
        ResourceQuality(
            resource=d.resource,
            code=d.code,
            name=d.name,
            department=d.department,
            update_cycle=d.update_cycle,
            last_certified_at=d.last_certified_at,
            due_by=d.due_by,
            freshness=d.freshness,
            late=d.late,
            batches=int(batches.get(d.resource, 0)),
            score=scores.get(d.resource),
            open_quarantine=int(quarantine.get(d.resource, 0)),
            open_conflicts=int(conflicts.get(d.resource, 0)) - settled.get(d.resource, 0),
        )
        for d in lateness.deliveries(directory.entries, contracts, last)
    ]
    return sorted(found, key=lambda r: (not r.late, r.department, r.resource))


CERTIFIED = ("certified", "partly_certified")  # statuses whose batch serves data


class BatchPoint(BaseModel):
    batch: str
    file_name: str = Field(examples=["人口基本信息_20261120.csv"])
    status: str = Field(examples=["certified"])
    certified_at: dt.datetime
    rows_landed: int
    rows_certified: int
    rows_quarantined: int
    score: float | None = Field(
        examples=[0.987], description="Mean quality score of the batch (none if not scored)"
    )
    age_hours: float | None = Field(
        examples=[26.5],
        description="How old the data served until this batch was when it arrived (none for "
        "the first batch)",
    )
    freshness: Freshness = Field(
        description="That age against the update cycle: fresh, late, stale (unknown for the "
        "first batch)"
    )


class ResourceHistory(BaseModel):
    resource: str = Field(examples=["ps_population"])
    code: str | None = Field(examples=["301001/000001"])
    name: str = Field(examples=["人口基本信息"])
    department: str = Field(examples=["ps"])
    update_cycle: UpdateCycle
    freshness: Freshness = Field(description="Now, against the update cycle")
    batches: list[BatchPoint] = Field(description="Oldest first")


@router.get(
    "/history",
    response_model=list[ResourceHistory],
    summary="Quality over time: per resource, each batch's score and how fresh the data was "
    "when it arrived",
)
def history(
    caller: QualityReader,
    directory: Annotated[Directory, Depends(get_directory)],
    snapshot: Annotated[Snapshot, Depends(current_snapshot)],
    resource: Annotated[
        str | None, Query(description="Only this resource", examples=["ps_population"])
    ] = None,
) -> list[ResourceHistory]:
    if resource is not None:
        check_resource(caller, resource)
    contracts = [
        c
        for c in bundled_contracts().values()
        if (caller.role is not Role.steward or c.department == caller.department)
        and (resource is None or c.id == resource)
    ]
    exists, params = BATCHES.exists_query()
    rows = snapshot.query_records(SCORE_HISTORY, []) if snapshot.query(exists, params)[0][0] else []
    by_resource = {
        key: list(group)
        for key, group in groupby(
            (r for r in rows if r["certified_at"] is not None),
            key=lambda r: str(r["contract_id"]),
        )
    }
    last = {
        key: max(
            (r["certified_at"].astimezone(dt.UTC) for r in group if r["status"] in CERTIFIED),
            default=None,
        )
        for key, group in by_resource.items()
    }
    found = []
    for d in lateness.deliveries(directory.entries, contracts, last):
        batches = by_resource.get(d.resource, [])
        arrived = lateness.arrivals(
            d.update_cycle,
            [(r["certified_at"].astimezone(dt.UTC), r["status"] in CERTIFIED) for r in batches],
        )
        points = [
            BatchPoint(
                batch=r["batch"],
                file_name=r["file_name"],
                status=r["status"],
                certified_at=a.at,
                rows_landed=r["rows_landed"],
                rows_certified=r["rows_certified"],
                rows_quarantined=r["rows_quarantined"],
                score=r["quality_score"],
                age_hours=round(a.age.total_seconds() / 3600, 2) if a.age is not None else None,
                freshness=a.freshness,
            )
            for r, a in zip(batches, arrived, strict=True)
        ]
        found.append(
            ResourceHistory(
                resource=d.resource,
                code=d.code,
                name=d.name,
                department=d.department,
                update_cycle=d.update_cycle,
                freshness=d.freshness,
                batches=points,
            )
        )
    return sorted(found, key=lambda r: (r.department, r.resource))
