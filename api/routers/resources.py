"""What the pool holds, per department resource: certification figures, no subject data."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.auth import Caller, current_caller
from api.deps import current_snapshot
from api.errors import ErrorContractRoute
from api.models import ResourceSummary
from contracts.registry import bundled_contracts
from snapshot.quality import RESOURCE_FIGURES
from snapshot.reader import Snapshot

router = APIRouter(prefix="/v1/resources", tags=["resources"], route_class=ErrorContractRoute)


@router.get("", response_model=list[ResourceSummary], summary="Resources in the certified pool")
def list_resources(
    caller: Annotated[Caller, Depends(current_caller)],
    snapshot: Annotated[Snapshot, Depends(current_snapshot)],
) -> list[ResourceSummary]:
    figures = {row[0]: row[1:] for row in snapshot.query(RESOURCE_FIGURES, [])}
    summaries = []
    for contract in bundled_contracts().values():
        batches, landed, certified, quarantined, duplicates, last, failing = figures.get(
            contract.id, (0, 0, 0, 0, 0, None, False)
        )
        summaries.append(
            ResourceSummary(
                id=contract.id,
                name=contract.name,
                department=contract.department,
                department_name=contract.owner.department_name,
                sharing_type=contract.sharing.type.value,
                batches=batches,
                rows_landed=landed or 0,
                rows_certified=certified or 0,
                rows_quarantined=quarantined or 0,
                rows_duplicate=duplicates or 0,
                last_certified_at=last,
                last_batch_failed_gate=bool(failing),
            )
        )
    return summaries
