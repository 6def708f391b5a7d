"""What the pool holds, per department resource (catalogue-level figures, no subject data)."""

from __future__ import annotations

from typing import Annotated

import duckdb
from fastapi import APIRouter, Depends

from api.models import ResourceSummary
from api.pool import read_pool
from contracts.registry import bundled_contracts

router = APIRouter(prefix="/v1/resources", tags=["resources"])

FIGURES_SQL = """
SELECT contract_id, count(*), sum(rows_landed), sum(rows_rejected),
       sum(rows_with_key_problems), max(loaded_at)
FROM landing.files GROUP BY contract_id
"""


@router.get("", response_model=list[ResourceSummary], summary="Resources in the pool")
def list_resources(
    con: Annotated[duckdb.DuckDBPyConnection, Depends(read_pool)],
) -> list[ResourceSummary]:
    has_files = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'landing' AND table_name = 'files'"
    ).fetchall()[0]
    figures = (
        {row[0]: row[1:] for row in con.execute(FIGURES_SQL).fetchall()}
        if has_files and has_files[0]
        else {}
    )
    summaries = []
    for contract in bundled_contracts().values():
        files, landed, rejected, problems, last = figures.get(contract.id, (0, 0, 0, 0, None))
        summaries.append(
            ResourceSummary(
                id=contract.id,
                name=contract.name,
                department=contract.department,
                department_name=contract.owner.department_name,
                sharing_type=contract.sharing.type.value,
                files_landed=files,
                rows_landed=landed or 0,
                rows_rejected=rejected or 0,
                rows_with_key_problems=problems or 0,
                last_delivery_at=last,
            )
        )
    return summaries
