"""Changed since prefill: the clerk's notices of values a source corrected after a prefill.

`GET /v1/prefill/changes` lists, for the caller's own department only, the open cases whose
form holds a value that a later certified and published batch corrected: which field, the
value the prefill gave and the one the source gives now, and both batches. Clerks only; each
notice is logged as a read of the applicant's data (`api.reads.changes`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool

from api.errors import ERROR_RESPONSES, ErrorContractRoute
from api.models_prefill import ChangeNotices
from api.reads.changes import ACTION, change_notices
from api.reads.request import Exchange, exchange
from api.reads.screening import screen_role

router = APIRouter(
    prefix="/v1", tags=["clerk"], route_class=ErrorContractRoute, responses=ERROR_RESPONSES
)


@router.get(
    "/prefill/changes",
    response_model=ChangeNotices,
    summary="Values corrected at the source since they were prefilled into my department's "
    "open cases",
)
async def prefill_changes(ex: Annotated[Exchange, Depends(exchange)]) -> ChangeNotices:
    if denied := screen_role(ex, ACTION, service_item=None, case_no=None, subjects=[]):
        await ex.refuse(denied)
    # A department's open cases, each read again where a source moved: a worker thread's.
    notices, events = await run_in_threadpool(change_notices, ex)
    if events:
        await ex.logged(*events)
    return ChangeNotices(
        department=ex.caller.department,
        snapshot_version=ex.snapshot.version,
        notices=notices,
    )
