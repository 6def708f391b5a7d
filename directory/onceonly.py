"""The once-only figure: how many materials applicants no longer bring, per service item and
overall, and which shared data items that rests on.

A material counts as no longer needed only when every data item standing in for it can really
be read today: the resource is published (or deprecated but still served), the item is shared,
and the service item's department holds a grant for it, or provides it itself. A mapping
waiting on a share request is reported as blocked, with the reason, so the figure is what a
clerk experiences, not what the map promises.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from directory.entries import EntryStore
from directory.errors import NotFound
from directory.grants import GrantIndex
from directory.model import EntryDocument, SharingType, Status
from directory.service_model import ServiceItemView, SourceRef
from directory.services import ServiceMap
from directory.sharing import RequestStatus, RequestView

_SERVED = {Status.published, Status.deprecated}


class MaterialState(StrEnum):
    replaced = "replaced"  # the clerk reads the data instead
    blocked = "blocked"  # mapped, but the data cannot be read yet (reason given)
    applicant = "applicant"  # not mapped: the applicant still brings it


@dataclass(frozen=True)
class MaterialFigure:
    name: str
    state: MaterialState
    sources: list[SourceRef]
    reason: str


@dataclass(frozen=True)
class ItemFigure:
    code: str
    name: str
    department: str
    base_daily_volume: float
    materials: list[MaterialFigure]
    form_fields: int
    form_fields_prefilled: int
    data_items: list[str]  # "code:item" this item's once-only service relies on

    @property
    def materials_total(self) -> int:
        return len(self.materials)

    @property
    def materials_replaced(self) -> int:
        return sum(m.state is MaterialState.replaced for m in self.materials)


@dataclass(frozen=True)
class OnceOnlyFigure:
    on: dt.date
    items: list[ItemFigure]

    @property
    def materials_total(self) -> int:
        return sum(i.materials_total for i in self.items)

    @property
    def materials_replaced(self) -> int:
        return sum(i.materials_replaced for i in self.items)

    @property
    def share(self) -> float:
        """Materials no longer needed, as a share of all materials the items ask for."""
        return self.materials_replaced / self.materials_total if self.materials_total else 0.0

    @property
    def demand_weighted_share(self) -> float:
        """The same share weighted by each item's demand: submissions avoided at the windows."""
        total = sum(i.materials_total * i.base_daily_volume for i in self.items)
        saved = sum(i.materials_replaced * i.base_daily_volume for i in self.items)
        return saved / total if total else 0.0

    @property
    def form_fields(self) -> int:
        return sum(i.form_fields for i in self.items)

    @property
    def form_fields_prefilled(self) -> int:
        return sum(i.form_fields_prefilled for i in self.items)


class _Reader:
    """Whether a department can read a data item for a service item today, and if not, why."""

    def __init__(
        self,
        entries: EntryStore,
        grants: GrantIndex,
        requests: Sequence[RequestView],
        on: dt.date,
    ) -> None:
        self._entries = entries
        self._grants = grants
        self._on = on
        self._documents: dict[str, EntryDocument | None] = {}
        # The latest request per (department, resource, service item), to say what a blocked
        # mapping is waiting for rather than only that no grant exists.
        self._latest = {
            (r.requester_department, r.resource_code, r.service_item_code): r for r in requests
        }

    def _document(self, code: str) -> EntryDocument | None:
        if code not in self._documents:
            try:
                self._documents[code] = self._entries.get(code).document
            except NotFound:
                self._documents[code] = None
        return self._documents[code]

    def obstacle(self, department: str, service_item: str, refs: list[SourceRef]) -> str:
        """Empty when every ref can be read; otherwise the first reason it cannot."""
        by_resource: dict[str, set[str]] = {}
        for ref in refs:
            by_resource.setdefault(ref.resource, set()).add(ref.item)
        for code, items in by_resource.items():
            document = self._document(code)
            if document is None:
                return f"{code} is not in the catalogue"
            if document.status not in _SERVED:
                return f"{code} {document.name} is {document.status.value}"
            for name in sorted(items):
                item = document.item(name)
                if item is None:
                    return f"{code} {document.name} no longer has item {name}"
                if (
                    document.item_sharing_type(item) is SharingType.not_shared
                    and document.provider_department != department
                ):
                    return f"{code} item {name} is not shared"
            decision = self._grants.check(
                department, code, frozenset(items), service_item, self._on
            )
            if not decision.allowed:
                waiting = self._waiting_for(department, code, service_item)
                return f"{document.name}: {waiting or decision.reason}"
        return ""

    def _waiting_for(self, department: str, code: str, service_item: str) -> str:
        request = self._latest.get((department, code, service_item))
        if request is None:
            return ""
        detail = {
            RequestStatus.pending: f"{request.age_working_days} working days old"
            + (", overdue" if request.overdue else ""),
            RequestStatus.rejected: request.note,
            RequestStatus.revoked: request.note,
            RequestStatus.expired: f"ended {request.valid_until}",
            RequestStatus.granted: "granted, but not for these items or this day",
        }[request.status]
        return f"share request #{request.id} is {request.status.value} ({detail})"


def _item_figure(view: ServiceItemView, reader: _Reader) -> ItemFigure:
    item = view.item
    materials = []
    relied: set[str] = set()
    for material in view.mapping.materials:
        if not material.replaced_by:
            materials.append(MaterialFigure(material.name, MaterialState.applicant, [], ""))
            continue
        reason = reader.obstacle(item.department, item.code, material.replaced_by)
        state = MaterialState.blocked if reason else MaterialState.replaced
        if not reason:
            relied.update(f"{r.resource}:{r.item}" for r in material.replaced_by)
        materials.append(MaterialFigure(material.name, state, material.replaced_by, reason))
    prefilled = 0
    for form_field in view.mapping.form_fields:
        if not reader.obstacle(item.department, item.code, [form_field.source]):
            prefilled += 1
            relied.add(f"{form_field.source.resource}:{form_field.source.item}")
    return ItemFigure(
        item.code,
        item.name,
        item.department,
        item.base_daily_volume,
        materials,
        len(view.mapping.form_fields),
        prefilled,
        sorted(relied),
    )


def once_only_figure(
    services: ServiceMap,
    entries: EntryStore,
    grants: GrantIndex,
    requests: Sequence[RequestView],
    on: dt.date,
    codes: Iterable[str] | None = None,
) -> OnceOnlyFigure:
    """The figure on day `on` for the given service items (default: every mapped item)."""
    reader = _Reader(entries, grants, requests, on)
    if codes is None:
        views = [v for v in services.items() if v.mapping.materials or v.mapping.form_fields]
    else:
        views = [services.get(code) for code in codes]
    return OnceOnlyFigure(on, [_item_figure(v, reader) for v in views])
