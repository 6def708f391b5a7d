"""Stewards' view of quality: quarantined rows with the rules they broke, counts over time,
gate results per batch. Read from the published snapshot; a steward sees their own
department's resources (an admin or auditor sees all, for oversight)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status
from pydantic import BaseModel, Field

from api.auth import QualityReader
from api.bounds import Offset
from api.deps import current_snapshot
from api.errors import ERROR_RESPONSES, ErrorContractRoute
from api.resource_access import check_resource
from contracts.registry import bundled_contracts
from contracts.returns import returned_file
from snapshot.quality import (
    BATCHES_WITH_SCORES,
    OPEN_BY_RULE,
    OPEN_COUNT,
    OPEN_ROWS,
    QUARANTINED_PAGE,
    VALIDATIONS_OF_BATCH,
)
from snapshot.reader import Snapshot

router = APIRouter(
    prefix="/v1/quality",
    tags=["quality"],
    route_class=ErrorContractRoute,
    responses=ERROR_RESPONSES,
)


class BatchFigures(BaseModel):
    batch: str
    file_name: str
    status: str = Field(examples=["certified"])
    certified_at: dt.datetime
    rows_landed: int
    rows_certified: int
    rows_quarantined: int
    rows_duplicate: int
    gate_failures: list[str]
    scores: dict[str, float] = Field(examples=[{"validity": 0.995, "completeness": 1.0}])


class QuarantinedRow(BaseModel):
    batch: str
    file_name: str
    row_number: int
    record_key: str | None
    rule_ids: list[str] = Field(examples=[["id_number.key_valid"]])
    reasons: list[str]
    delivered: dict[str, Any] = Field(description="The row as the department delivered it")
    status: str = Field(examples=["open"])


class QuarantineSummary(BaseModel):
    resource: str = Field(examples=["ps_population"])
    open_rows: int = Field(examples=[150])
    by_rule: dict[str, int] = Field(
        examples=[{"id_number.key_valid": 61, "birth_date.type": 20}],
        description="Open rows per rule they broke, most frequent first (a row can break several)",
    )


class Validation(BaseModel):
    rule_id: str
    expectation: str
    severity: str
    success: bool
    observed: Any
    unexpected_count: int | None
    examples: Any


@router.get(
    "/{resource}/batches",
    response_model=list[BatchFigures],
    summary="Certification outcome and quality scores of each batch, newest first",
)
def batches(
    resource: str, caller: QualityReader, snapshot: Annotated[Snapshot, Depends(current_snapshot)]
) -> list[BatchFigures]:
    check_resource(caller, resource)
    rows = snapshot.query_records(BATCHES_WITH_SCORES, [resource])
    return [
        BatchFigures(
            batch=r["batch"],
            file_name=r["file_name"],
            status=r["status"],
            certified_at=r["certified_at"],
            rows_landed=r["rows_landed"],
            rows_certified=r["rows_certified"],
            rows_quarantined=r["rows_quarantined"],
            rows_duplicate=r["rows_duplicate"],
            gate_failures=list(r["gate_failures"] or []),
            scores=dict(r["scores"] or {}),
        )
        for r in rows
    ]


@router.get(
    "/{resource}/quarantine",
    response_model=list[QuarantinedRow],
    summary="Quarantined rows with the rules they broke (fix them at the source)",
)
def quarantine(
    resource: str,
    caller: QualityReader,
    snapshot: Annotated[Snapshot, Depends(current_snapshot)],
    state: Annotated[str, Query(pattern="^(open|resolved|all)$")] = "open",
    rule: Annotated[str | None, Query(description="Only rows breaking this rule id")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> list[QuarantinedRow]:
    check_resource(caller, resource)
    rows = snapshot.query_records(
        QUARANTINED_PAGE,
        [resource, state, state, rule, rule, limit, offset],
    )
    return [
        QuarantinedRow(
            batch=r["batch"],
            file_name=r["file_name"],
            row_number=r["row_number"],
            record_key=r["record_key"],
            rule_ids=list(r["rule_ids"]),
            reasons=list(r["reasons"]),
            delivered=json.loads(r["raw"]) if r["raw"] else {},
            status=r["status"],
        )
        for r in rows
    ]


@router.get(
    "/{resource}/quarantine/summary",
    response_model=QuarantineSummary,
    summary="How many quarantined rows are open, and how many broke each rule",
)
def quarantine_summary(
    resource: str, caller: QualityReader, snapshot: Annotated[Snapshot, Depends(current_snapshot)]
) -> QuarantineSummary:
    check_resource(caller, resource)
    rows = snapshot.query_records(OPEN_BY_RULE, [resource])
    total = snapshot.query_records(OPEN_COUNT, [resource])
    return QuarantineSummary(
        resource=resource,
        open_rows=total[0]["n"],
        by_rule={r["rule"]: r["n"] for r in rows},
    )


@router.get(
    "/{resource}/quarantine/export",
    response_class=Response,
    summary="The open quarantined rows as a file in the department's own format, to send back",
    responses={
        200: {
            "description": "CSV (in the department's encoding), Excel, JSON lines or Parquet, "
            "as the department delivers; the delivered headers plus 问题规则, 问题说明, 原文件 "
            "and 原行号"
        }
    },
)
def quarantine_export(
    resource: str, caller: QualityReader, snapshot: Annotated[Snapshot, Depends(current_snapshot)]
) -> Response:
    check_resource(caller, resource)
    rows = snapshot.query_records(OPEN_ROWS, [resource])
    if not rows:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            detail={
                "code": "nothing_quarantined",
                "message": f"{resource} has no open quarantined rows: nothing to send back",
            },
        )
    returned = returned_file(
        bundled_contracts()[resource],
        [(r["raw"], r["rule_ids"], r["reasons"], r["file_name"], r["row_number"]) for r in rows],
    )
    return Response(
        returned.content,
        media_type=returned.media_type,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(returned.name)}"},
    )


@router.get(
    "/{resource}/validations/{batch}",
    response_model=list[Validation],
    summary="What the Great Expectations gate checked on a batch, and what it observed",
)
def validations(
    resource: str,
    batch: str,
    caller: QualityReader,
    snapshot: Annotated[Snapshot, Depends(current_snapshot)],
) -> list[Validation]:
    check_resource(caller, resource)
    rows = snapshot.query_records(VALIDATIONS_OF_BATCH, [resource, batch])
    return [
        Validation(
            rule_id=r["rule_id"],
            expectation=r["expectation"],
            severity=r["severity"],
            success=r["success"],
            observed=json.loads(r["observed"] or "null"),
            unexpected_count=r["unexpected_count"],
            examples=json.loads(r["examples"] or "null"),
        )
        for r in rows
    ]
