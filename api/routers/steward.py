"""Steward endpoints for the catalogue: search, show, create, edit (optimistic-locked),
history, show and restore a version, who depends on an entry, and whole-catalogue exports.

Every authenticated role may read; stewards edit their own department's entries and admins
any (the rule itself is in `directory.actors`). Resource codes contain a slash
(301001/000001), so they are path parameters of type `path`, and the routes with a suffix
after the code come before the plain one.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import JSONResponse

from api import steward_views as views
from api.auth import Editor, Reader, get_directory
from api.bounds import Offset, VersionNumber
from api.catalogue_query import CatalogueFilter
from api.errors import ERROR_RESPONSES, ErrorContractRoute
from api.models_directory import (
    CatalogueExport,
    Classification,
    DependentModel,
    EntryCreate,
    EntryHit,
    EntryPatch,
    EntryResponse,
    RestoreRequest,
    SearchResponse,
    SharingType,
    Status,
    UpdateCycle,
    VersionResponse,
    VersionSummary,
)
from directory.publish import DEFAULT_BASE_URI, as_dcat, as_json
from directory.store import Directory

router = APIRouter(
    prefix="/v1/directory",
    tags=["directory: catalogue"],
    route_class=ErrorContractRoute,
    responses=ERROR_RESPONSES,
)
Dir = Annotated[Directory, Depends(get_directory)]


@router.get(
    "/entries",
    response_model=SearchResponse,
    summary="Search or list the catalogue, narrowed by any of its filters (combined with AND)",
)
def search_entries(
    _caller: Reader,
    directory: Dir,
    wanted: CatalogueFilter,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Offset = 0,
) -> SearchResponse:
    result = directory.search.search(wanted.q, limit=limit, offset=offset, filters=wanted.filters)
    hits = [
        EntryHit(
            code=h.code,
            name=h.name,
            provider_department=h.provider_department,
            provider_name=h.provider_name,
            sharing_type=SharingType(h.sharing_type),
            status=Status(h.status),
            update_cycle=UpdateCycle(h.update_cycle),
            open_to_public=h.open_to_public,
            data_grade=Classification(h.data_grade),
            score=h.score,
            matched=list(h.matched),
        )
        for h in result.hits
    ]
    return SearchResponse(total=result.total, hits=hits)


@router.post(
    "/entries",
    response_model=EntryResponse,
    status_code=status.HTTP_201_CREATED,
    summary="Create an entry (a steward for their own department)",
)
def create_entry(body: EntryCreate, caller: Editor, directory: Dir) -> EntryResponse:
    view = directory.entries.create(body.entry.as_json(), caller.actor, body.reason)
    return views.entry(directory, view)


@router.get(
    "/export.json",
    summary="The whole catalogue as JSON, with versions and live figures",
    response_model=CatalogueExport,
)
def export_json(_caller: Reader, directory: Dir) -> CatalogueExport:
    exported = as_json(directory.entries.all(), directory.figures.all(), dt.datetime.now(dt.UTC))
    return CatalogueExport.model_validate(exported)


@router.get(
    "/export.jsonld",
    summary="The whole catalogue as DCAT JSON-LD, for the upper-level platform",
    response_class=JSONResponse,
    responses={200: {"content": {"application/ld+json": {}}}},
)
def export_dcat(
    _caller: Reader,
    directory: Dir,
    base_uri: Annotated[str, Query(description="Base of the dataset IRIs")] = DEFAULT_BASE_URI,
) -> JSONResponse:
    document = as_dcat(directory.entries.all(), dt.datetime.now(dt.UTC), base_uri)
    return JSONResponse(document, media_type="application/ld+json")


@router.get(
    "/entries/{code:path}/history",
    response_model=list[VersionSummary],
    summary="Every version of an entry, newest first, with its field-level diff",
)
def entry_history(code: str, _caller: Reader, directory: Dir) -> list[VersionSummary]:
    return [views.version_summary(v) for v in directory.entries.history(code)]


@router.get(
    "/entries/{code:path}/versions/{version}",
    response_model=VersionResponse,
    summary="An entry as it was at one version",
)
def entry_version(
    code: str, version: VersionNumber, _caller: Reader, directory: Dir
) -> VersionResponse:
    return views.version(directory.entries.version(code, version))


@router.post(
    "/entries/{code:path}/versions/{version}/restore",
    response_model=EntryResponse,
    summary="Save an earlier version as the newest one",
)
def restore_entry(
    code: str, version: VersionNumber, body: RestoreRequest, caller: Editor, directory: Dir
) -> EntryResponse:
    view = directory.entries.restore(
        code, version, body.expected_version, caller.actor, body.reason
    )
    return views.entry(directory, view)


@router.get(
    "/entries/{code:path}/dependents",
    response_model=list[DependentModel],
    summary="Service items that depend on this resource (who is hurt if it goes stale)",
)
def entry_dependents(
    code: str,
    _caller: Reader,
    directory: Dir,
    items: Annotated[list[str] | None, Query(description="Only these data items")] = None,
) -> list[DependentModel]:
    return [views.dependent(d) for d in directory.services.dependents(code, items)]


@router.get("/entries/{code:path}", response_model=EntryResponse, summary="One entry")
def show_entry(code: str, _caller: Reader, directory: Dir) -> EntryResponse:
    return views.entry(directory, directory.entries.get(code))


@router.patch(
    "/entries/{code:path}",
    response_model=EntryResponse,
    summary="Edit an entry; 409 if it changed since the version you loaded",
    description="A status change follows the lifecycle (`allowed_statuses` of the entry): "
    "draft -> in_review | published | withdrawn, in_review -> draft | published | withdrawn, "
    "published -> deprecated | withdrawn, deprecated -> withdrawn; withdrawn is final. "
    "Anything else is refused with 422 `invalid_transition`, naming the allowed next states.",
)
def edit_entry(code: str, body: EntryPatch, caller: Editor, directory: Dir) -> EntryResponse:
    view = directory.entries.patch(
        code,
        body.changes.model_dump(mode="json", exclude_unset=True),
        body.expected_version,
        caller.actor,
        body.reason,
    )
    return views.entry(directory, view)
