"""Directory objects -> the steward endpoints' response models."""

from __future__ import annotations

import dataclasses
import datetime as dt

from api.models_directory import (
    ChangeModel,
    DependentModel,
    EntryResponse,
    EventModel,
    FiguresModel,
    ItemFigureModel,
    MaterialFigureModel,
    ShareRequestResponse,
    TokenResponse,
    UserResponse,
    VersionResponse,
    VersionSummary,
)
from directory.diff import FieldChange
from directory.entries import EntryView, VersionView
from directory.figures import freshness
from directory.identity import TokenView, UserView
from directory.lifecycle import allowed_next
from directory.model import EntryDocument
from directory.onceonly import ItemFigure
from directory.service_model import Dependent
from directory.sharing import RequestView
from directory.store import Directory


def changes(items: list[FieldChange]) -> list[ChangeModel]:
    return [ChangeModel(field=c.field, before=c.before, after=c.after) for c in items]


def entry(directory: Directory, view: EntryView) -> EntryResponse:
    figures = directory.figures.get(view.code)
    return EntryResponse(
        code=view.code,
        version=view.version,
        updated_at=view.updated_at,
        updated_by=view.updated_by,
        entry=view.document,
        figures=FiguresModel(**dataclasses.asdict(figures)) if figures else None,
        freshness=freshness(
            view.document.update_cycle,
            figures.certified_at if figures else None,
            dt.datetime.now(dt.UTC),
        ).value,
        dependent_service_items=len(directory.services.dependents(view.code)),
        allowed_statuses=list(allowed_next(view.document.status)),
    )


def version_summary(view: VersionView) -> VersionSummary:
    return VersionSummary(
        version=view.version,
        kind=view.kind.value,
        author=view.author,
        reason=view.reason,
        created_at=view.created_at,
        changes=changes(view.changes),
    )


def version(view: VersionView) -> VersionResponse:
    return VersionResponse(
        **version_summary(view).model_dump(),
        entry=EntryDocument.model_validate(view.document),
    )


def dependent(item: Dependent) -> DependentModel:
    return DependentModel(**dataclasses.asdict(item))


def item_figure(figure: ItemFigure) -> ItemFigureModel:
    return ItemFigureModel(
        code=figure.code,
        name=figure.name,
        materials_total=figure.materials_total,
        materials_replaced=figure.materials_replaced,
        form_fields=figure.form_fields,
        form_fields_prefilled=figure.form_fields_prefilled,
        materials=[
            MaterialFigureModel(name=m.name, state=m.state.value, reason=m.reason)
            for m in figure.materials
        ],
        data_items=figure.data_items,
    )


def share_request(view: RequestView) -> ShareRequestResponse:
    fields = dataclasses.asdict(view)
    fields["status"] = view.status.value
    fields["events"] = [
        EventModel(at=e.at, actor=e.actor, action=e.action.value, note=e.note) for e in view.events
    ]
    return ShareRequestResponse(**fields)


def user(view: UserView) -> UserResponse:
    return UserResponse(**dataclasses.asdict(view))


def token(view: TokenView) -> TokenResponse:
    return TokenResponse(**dataclasses.asdict(view))
