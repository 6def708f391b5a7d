"""Bulk prefill: a back office uploads its list of applicants, and gets one workbook back.

`POST /v1/prefill/bulk?service_item=...` takes the list (CSV or Excel) as the request body,
checks the file whole (a file that is not a list of applicants is refused, 422, before
anything is read), and answers 202 with a job: its progress route and, once done, its
workbook's. Each row is prefilled and audited exactly as `POST /v1/prefill` is
(`api.reads.bulk`). The caller is screened as a single prefill's is, up to what the whole
list shares: the clerk's role and a service item of their department; each row's key and
case number are the row's own, refused in the workbook and in the audit log.

Only the clerk who started a job sees its progress and workbook; for anyone else there is
no such job (404).
"""

from __future__ import annotations

import shutil
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse

import settings
from api.auth import Caller, current_caller
from api.deps import bulk_jobs_of
from api.errors import ERROR_RESPONSES, ErrorContractRoute
from api.exchange.bulk_input import FileProblem, check
from api.models_prefill import BulkJob
from api.reads.bulk import run_bulk
from api.reads.bulk_jobs import UPLOAD, WORKBOOK, BulkState
from api.reads.request import Exchange, error, exchange
from api.reads.screening import department_denied, find_service_item, screen_role
from directory.actors import Role

router = APIRouter(
    prefix="/v1", tags=["clerk"], route_class=ErrorContractRoute, responses=ERROR_RESPONSES
)
ACTION = "prefill.bulk"
JobId = Annotated[str, Path(min_length=32, max_length=32, pattern="^[0-9a-f]{32}$")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _view(state: BulkState) -> BulkJob:
    base = f"/v1/prefill/bulk/{state.job}"
    return BulkJob(
        job=state.job,
        service_item=state.service_item,
        status=state.status,  # type: ignore[arg-type]
        rows_total=state.rows_total,
        rows_done=state.rows_done,
        served=state.served,
        partial=state.partial,
        refused=state.refused,
        snapshot_version=state.snapshot_version,
        created_at=state.created_at,
        finished_at=state.finished_at,
        error=state.error,
        progress=base,
        workbook=f"{base}/workbook" if state.status == "done" else None,
    )


@router.post(
    "/prefill/bulk",
    response_model=BulkJob,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Prefill a list of applicants (CSV or Excel in the body): a job, then a workbook",
    description="The body is the file itself (`Content-Type: text/csv` or the .xlsx type): a "
    "header row naming a key column (证件号码 or 统一社会信用代码) and a case-number column "
    "(办件编号), then one applicant a row. Each row is prefilled and audited as "
    "`POST /v1/prefill` is; poll the job's `progress` route, then fetch its `workbook`.",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {
                    "schema": {"type": "string", "format": "binary"},
                    "example": "证件号码,办件编号\n410102198503071234,41010020261120000001\n",
                },
                XLSX: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
async def start_bulk(
    ex: Annotated[Exchange, Depends(exchange)],
    service_item: Annotated[str, Query(min_length=1, max_length=40, description="事项编码")],
) -> BulkJob:
    if denied := screen_role(ex, ACTION, service_item=service_item, case_no=None, subjects=[]):
        await ex.refuse(denied)
    item = find_service_item(ex.catalogue, service_item)
    if item.item.department != ex.caller.department:
        await ex.refuse(department_denied(ex, ACTION, [item], service_item, None, []))
    jobs = bulk_jobs_of(ex.request.app)
    job, folder = await run_in_threadpool(jobs.new)
    limit = settings.current().max_body_bytes
    try:
        size = 0
        with (folder / UPLOAD).open("wb") as sink:
            async for chunk in ex.request.stream():
                size += len(chunk)
                if size > limit:
                    raise error(
                        status.HTTP_413_CONTENT_TOO_LARGE,
                        "request_too_large",
                        f"uploads are limited to {limit} bytes; split the list",
                    )
                sink.write(chunk)
        applicants = await run_in_threadpool(check, folder / UPLOAD)
    except FileProblem as problem:
        shutil.rmtree(folder, ignore_errors=True)
        raise error(
            status.HTTP_422_UNPROCESSABLE_CONTENT, "bulk_file_invalid", problem.message
        ) from problem
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    state = BulkState(
        job=job,
        user=ex.caller.name,
        department=ex.caller.department,
        service_item=service_item,
        status="running",
        rows_total=applicants.rows,
        snapshot_version=ex.snapshot.version,
    )
    # The upload itself, before its rows: who sent which list, under which request id.
    await ex.logged(
        ex.event(
            ACTION,
            service_item=service_item,
            case_no=None,
            subject=None,
            resources=[],
            items=[],
            refused=[],
        )
    )
    await run_in_threadpool(jobs.start, state, lambda: run_bulk(ex, item, applicants, jobs, state))
    return _view(state)


def _owned(request: Request, caller: Caller, job: str) -> BulkState:
    if caller.role is not Role.clerk:
        raise error(
            status.HTTP_403_FORBIDDEN,
            "role_may_not_read",
            "bulk prefill jobs are clerks' own; sign in as the clerk who started the job",
        )
    state = bulk_jobs_of(request.app).state(job)
    if state is None or state.user != caller.name:
        raise error(
            status.HTTP_404_NOT_FOUND,
            "unknown_job",
            f"no bulk prefill job {job} of yours; jobs are kept for a day after they start",
        )
    return state


@router.get(
    "/prefill/bulk/{job}",
    response_model=BulkJob,
    summary="A bulk prefill job's progress (only the clerk who started it)",
)
def bulk_progress(
    request: Request, caller: Annotated[Caller, Depends(current_caller)], job: JobId
) -> BulkJob:
    return _view(_owned(request, caller, job))


@router.get(
    "/prefill/bulk/{job}/workbook",
    response_class=FileResponse,
    summary="A finished bulk prefill job's workbook (.xlsx; only the clerk who started it)",
    responses={200: {"content": {XLSX: {}}}},
)
def bulk_workbook(
    request: Request, caller: Annotated[Caller, Depends(current_caller)], job: JobId
) -> FileResponse:
    state = _owned(request, caller, job)
    if state.status != "done":
        raise error(
            status.HTTP_409_CONFLICT,
            "job_not_done",
            state.error
            or f"the job has done {state.rows_done} of {state.rows_total} rows; poll its "
            "progress route until its status is done",
        )
    return FileResponse(
        bulk_jobs_of(request.app).path(job) / WORKBOOK,
        media_type=XLSX,
        filename=f"prefill-{state.service_item}-{job[:8]}.xlsx",
    )
