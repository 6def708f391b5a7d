"""Bulk editing of the catalogue over HTTP: the (filtered) catalogue as a sheet, and a sheet
imported back, first as a dry run that lists what would be created, changed or refused and
why, then for real.

The sheet is the one `onceonly catalogue export` writes and `onceonly catalogue import` reads
(`directory.tabular`, `directory.tabular_import`): one format, so an export imported again
changes nothing. An import checks every cell first and writes all of it or nothing, each
entry as a new version under the caller's name and reason; stewards import their own
department's entries, admins any.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Query, Response, UploadFile
from pydantic import BaseModel, Field

from api.auth import Editor, Reader, get_directory
from api.catalogue_query import CatalogueFilter, CatalogueQuery
from api.errors import ERROR_RESPONSES, ErrorContractRoute
from api.models_directory import ChangeModel
from api.steward_views import changes
from directory.errors import Problem, ValidationFailed
from directory.store import Directory
from directory.tabular import MEDIA_TYPES, TableFormat, table_bytes
from directory.tabular_import import ImportReport, import_upload

router = APIRouter(
    prefix="/v1/directory",
    tags=["directory: catalogue"],
    route_class=ErrorContractRoute,
    responses=ERROR_RESPONSES,
)
Dir = Annotated[Directory, Depends(get_directory)]
EVERYTHING = 1_000_000  # a page size no catalogue reaches: an export is never cut short


class PlannedChangeModel(BaseModel):
    code: str = Field(examples=["302001/000001"])
    action: str = Field(examples=["update"], description="create or update")
    row: int = Field(examples=[12], description="The entry's first row in the sheet")
    changes: list[ChangeModel]


class CellErrorModel(BaseModel):
    row: int = Field(examples=[12], description="As the spreadsheet numbers it (header: 1)")
    column: str = Field(examples=["状态"])
    reason: str = Field(
        examples=[
            "a published entry cannot become draft (allowed next states: deprecated, "
            "withdrawn); set the status to one of: deprecated, withdrawn"
        ]
    )


class ImportReportModel(BaseModel):
    dry_run: bool
    applied: bool = Field(description="Whether anything was written")
    changes: list[PlannedChangeModel] = Field(description="Entries to create or update")
    unchanged: int = Field(examples=[8], description="Entries the sheet leaves as they are")
    errors: list[CellErrorModel] = Field(description="Why the sheet is refused, cell by cell")


def _report(report: ImportReport, dry_run: bool) -> ImportReportModel:
    return ImportReportModel(
        dry_run=dry_run,
        applied=report.applied,
        changes=[
            PlannedChangeModel(code=c.code, action=c.action, row=c.row, changes=changes(c.changes))
            for c in report.changes
        ],
        unchanged=report.unchanged,
        errors=[CellErrorModel(row=e.row, column=e.column, reason=e.reason) for e in report.errors],
    )


def _sheet(directory: Directory, wanted: CatalogueQuery, fmt: TableFormat) -> Response:
    found = directory.search.search(wanted.q, limit=EVERYTHING, filters=wanted.filters)
    codes = sorted(h.code for h in found.hits)
    data, _rows = table_bytes(directory.entries.many(codes), fmt)
    name = f"资源目录_{dt.date.today():%Y%m%d}.{fmt.value}"
    return Response(
        data,
        media_type=MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f"attachment; filename=catalogue.{fmt.value}; "
            f"filename*=UTF-8''{quote(name)}",
            "X-Entry-Count": str(len(codes)),
        },
    )


def _sheet_responses(fmt: TableFormat) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "content": {MEDIA_TYPES[fmt].split(";")[0]: {}},
            "description": "One row per data item; the entry's columns repeat on each row",
        }
    }


@router.get(
    "/export.csv",
    summary="The catalogue (narrowed by the search's filters) as the CSV sheet the import reads",
    response_class=Response,
    responses=_sheet_responses(TableFormat.csv),
)
def export_csv(_caller: Reader, directory: Dir, wanted: CatalogueFilter) -> Response:
    return _sheet(directory, wanted, TableFormat.csv)


@router.get(
    "/export.xlsx",
    summary="The catalogue (narrowed by the search's filters) as the Excel workbook the "
    "import reads",
    response_class=Response,
    responses=_sheet_responses(TableFormat.xlsx),
)
def export_xlsx(_caller: Reader, directory: Dir, wanted: CatalogueFilter) -> Response:
    return _sheet(directory, wanted, TableFormat.xlsx)


@router.post(
    "/import",
    response_model=ImportReportModel,
    summary="Import a catalogue sheet: a dry run lists every change and every refusal; "
    "otherwise all of it is written, or nothing if any cell is refused",
    description="Send the file as multipart form data (`file`, `reason`). With "
    "`dry_run=true` (the default) nothing is written; with `dry_run=false` the sheet is "
    "checked again and written in one transaction, or refused (422, `problems` naming each "
    "row and column) with nothing written.",
)
async def import_sheet(
    caller: Editor,
    directory: Dir,
    file: Annotated[UploadFile, File(description="A CSV or Excel sheet made by the export")],
    reason: Annotated[str, Form(examples=["批量更新更新周期"])] = "",
    dry_run: Annotated[bool, Query(description="List the changes, write nothing")] = True,
) -> ImportReportModel:
    data = await file.read()
    report = import_upload(
        directory.db, file.filename or "sheet", data, caller.actor, reason, dry_run
    )
    if report.errors and not dry_run:
        # A refusal, answered (and audited at the edge) as one: nothing was written.
        raise ValidationFailed(
            [
                Problem(f"row {e.row}, {e.column}", e.reason, "correct it and run a dry run")
                for e in report.errors
            ],
            f"the sheet {file.filename or ''}".strip(),
        )
    return _report(report, dry_run)
