"""Steward endpoints for the once-only map: service items, their materials and form fields,
theme bundles (一件事), and the once-only figure."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api import steward_views as views
from api.auth import Editor, Reader, get_directory
from api.bounds import DAY_RANGE, CalendarDay
from api.errors import ERROR_RESPONSES, ErrorContractRoute
from api.models_directory import (
    BundleDoc,
    BundleResponse,
    OnceOnlyResponse,
    ServiceItemDoc,
    ServiceItemResponse,
    ServiceMapping,
)
from directory.errors import Problem, ValidationFailed
from directory.service_model import ServiceItemView
from directory.store import Directory

router = APIRouter(
    prefix="/v1/directory",
    tags=["directory: service items"],
    route_class=ErrorContractRoute,
    responses=ERROR_RESPONSES,
)
Dir = Annotated[Directory, Depends(get_directory)]
OnDay = Annotated[CalendarDay, Query(description=f"Default: today in China; {DAY_RANGE}")]


def _item(directory: Directory, view: ServiceItemView, on: dt.date | None) -> ServiceItemResponse:
    figure = directory.once_only(on, [view.item.code]).items[0]
    return ServiceItemResponse(
        item=view.item,
        mapping=view.mapping,
        figure=views.item_figure(figure),
        updated_at=view.updated_at,
        updated_by=view.updated_by,
    )


def _same_code(path: str, body: str) -> None:
    if path != body:
        raise ValidationFailed(
            [Problem("code", f"the body's code {body} differs from {path}", "send the same code")]
        )


@router.get(
    "/service-items",
    response_model=list[ServiceItemResponse],
    summary="Service items with their mapping and once-only figure",
)
def list_items(
    _caller: Reader,
    directory: Dir,
    department: Annotated[str | None, Query(examples=["mr"])] = None,
    on: OnDay = None,
) -> list[ServiceItemResponse]:
    items = directory.services.items(department)
    figures = {f.code: f for f in directory.once_only(on, [v.item.code for v in items]).items}
    return [
        ServiceItemResponse(
            item=v.item,
            mapping=v.mapping,
            figure=views.item_figure(figures[v.item.code]),
            updated_at=v.updated_at,
            updated_by=v.updated_by,
        )
        for v in items
    ]


@router.get("/service-items/{code}", response_model=ServiceItemResponse, summary="One item")
def show_item(code: str, _caller: Reader, directory: Dir, on: OnDay = None) -> ServiceItemResponse:
    return _item(directory, directory.services.get(code), on)


@router.put(
    "/service-items/{code}",
    response_model=ServiceItemResponse,
    summary="Create or update a service item (its mapping is kept)",
)
def put_item(
    code: str, body: ServiceItemDoc, caller: Editor, directory: Dir
) -> ServiceItemResponse:
    _same_code(code, body.code)
    return _item(directory, directory.services.put_item(body.model_dump(), caller.actor), None)


@router.put(
    "/service-items/{code}/mapping",
    response_model=ServiceItemResponse,
    summary="Replace the item's materials and form fields; every data item must exist",
)
def put_mapping(
    code: str, body: ServiceMapping, caller: Editor, directory: Dir
) -> ServiceItemResponse:
    view = directory.services.set_mapping(code, body.model_dump(), caller.actor)
    return _item(directory, view, None)


def _bundle(directory: Directory, bundle: BundleDoc, on: dt.date | None) -> BundleResponse:
    figure = directory.once_only(on, bundle.service_items)
    prefill = sorted({d for item in figure.items for d in item.data_items})
    return BundleResponse(
        bundle=bundle, items=[views.item_figure(i) for i in figure.items], prefill=prefill
    )


@router.get("/bundles", response_model=list[BundleResponse], summary="Theme bundles (一件事)")
def list_bundles(_caller: Reader, directory: Dir, on: OnDay = None) -> list[BundleResponse]:
    return [_bundle(directory, b, on) for b in directory.services.bundles()]


@router.get(
    "/bundles/{code}",
    response_model=BundleResponse,
    summary="A bundle, with what the clerk can prefill for all its items at once",
)
def show_bundle(code: str, _caller: Reader, directory: Dir, on: OnDay = None) -> BundleResponse:
    return _bundle(directory, directory.services.bundle(code), on)


@router.put(
    "/bundles/{code}",
    response_model=BundleResponse,
    summary="Create or replace a bundle (the centre's stewards)",
)
def put_bundle(code: str, body: BundleDoc, caller: Editor, directory: Dir) -> BundleResponse:
    _same_code(code, body.code)
    return _bundle(directory, directory.services.put_bundle(body.model_dump(), caller.actor), None)


@router.get(
    "/once-only",
    response_model=OnceOnlyResponse,
    summary="The once-only figure: materials applicants no longer bring, overall and per item",
)
def once_only(_caller: Reader, directory: Dir, on: OnDay = None) -> OnceOnlyResponse:
    figure = directory.once_only(on)
    return OnceOnlyResponse(
        on=figure.on,
        materials_total=figure.materials_total,
        materials_replaced=figure.materials_replaced,
        share=round(figure.share, 4),
        demand_weighted_share=round(figure.demand_weighted_share, 4),
        form_fields=figure.form_fields,
        form_fields_prefilled=figure.form_fields_prefilled,
        items=[views.item_figure(i) for i in figure.items],
    )
