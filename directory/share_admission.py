"""What a share request may ask for, checked before it is recorded.

A request names a published resource, items the resource has, none of them closed (不予共享),
and no more than the service item's once-only map draws from the resource (minimum necessary,
PIPL art. 6). These are the admission rules; `directory.sharing` keeps the request's lifecycle
(grant, answer, revoke, expire) and calls them once, inside its transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.errors import NotFound, Problem, RequestRefused, ValidationFailed
from directory.model import EntryDocument, SharingType, Status
from directory.tables import Entry, FormField, Material, MaterialSource, ServiceItem

# How strict each sharing type is: the strictest among the wanted items decides.
STRICTNESS = {SharingType.unconditional: 0, SharingType.conditional: 1, SharingType.not_shared: 2}


def published_entry(session: Session, code: str) -> Entry:
    entry = session.get(Entry, code)
    if entry is None:
        raise NotFound(f"no resource {code} in the catalogue; search the catalogue for its code")
    if entry.status == Status.deprecated.value:
        replacement = entry.document.get("replaced_by")
        raise RequestRefused(
            f"{code} is deprecated; request its replacement {replacement} instead", "deprecated"
        )
    if entry.status != Status.published.value:
        raise RequestRefused(
            f"{code} is {entry.status}, not published; only published resources can be requested",
            "not_published",
        )
    return entry


def checked_items(document: EntryDocument, items: Sequence[str] | None) -> set[str]:
    known = [i.name for i in document.data_items]
    if items is None:
        return set(known)
    problems = [
        Problem(f"items[{n}]", f"{document.code} has no item {name!r}", f"use: {', '.join(known)}")
        for n, name in enumerate(items)
        if name not in known
    ]
    if not items:
        problems.append(Problem("items", "no items", "name the items you need, or omit the list"))
    if problems:
        raise ValidationFailed(problems, "the request")
    return set(items)


def strictest_type(document: EntryDocument, wanted: set[str]) -> SharingType:
    """The strictest sharing type among the wanted items decides how the request is handled."""
    types = [document.item_sharing_type(i) for i in document.data_items if i.name in wanted]
    strictest = max(types, key=STRICTNESS.__getitem__)
    if strictest is SharingType.not_shared:
        closed = sorted(
            i.name
            for i in document.data_items
            if i.name in wanted and document.item_sharing_type(i) is SharingType.not_shared
        )
        raise RequestRefused(
            f"{document.code} ({', '.join(closed)}) is not shared (不予共享) and cannot be "
            "requested; leave those items out or ask the provider for a shareable source",
            "not_shared",
        )
    return strictest


def needed_items(session: Session, service_item_code: str, resource_code: str) -> set[str]:
    """The items of `resource_code` that `service_item_code`'s once-only map draws on: the
    sources of its materials and of its form fields."""
    from_materials = session.scalars(
        select(MaterialSource.item_name)
        .join(Material, Material.id == MaterialSource.material_id)
        .where(
            Material.service_item_code == service_item_code,
            MaterialSource.resource_code == resource_code,
        )
    )
    from_fields = session.scalars(
        select(FormField.item_name).where(
            FormField.service_item_code == service_item_code,
            FormField.resource_code == resource_code,
        )
    )
    return {*from_materials, *from_fields}


def require_necessary(
    session: Session,
    service_item: ServiceItem,
    department: str,
    document: EntryDocument,
    wanted: set[str],
    asked: Sequence[str] | None,
) -> None:
    """Refuse a request beyond what the service item needs (minimum necessary)."""
    if service_item.department != department:
        raise RequestRefused(
            f"service item {service_item.code} ({service_item.name}) is handled by "
            f"{service_item.department}, not {department}: request data only for service items "
            "your department handles",
            "service_item_not_handled",
        )
    needed = needed_items(session, service_item.code, document.code)
    if not needed:
        raise ValidationFailed(
            [
                Problem(
                    "service_item_code",
                    f"service item {service_item.code} ({service_item.name}) needs nothing of "
                    f"{document.code} ({document.name}) (minimum necessary)",
                    "map the materials or form fields the data replaces or fills to the "
                    "service item first, then request those items",
                )
            ],
            "the request",
        )
    surplus = sorted(wanted - needed)
    if not surplus:
        return
    listed = ", ".join(sorted(needed))
    if asked is None:
        problems = [
            Problem(
                "items",
                f"the whole of {document.code} is more than service item {service_item.code} "
                f"needs (minimum necessary): it does not need {', '.join(surplus)}",
                f"name the items it needs: {listed}",
            )
        ]
    else:
        problems = [
            Problem(
                f"items[{n}]",
                f"service item {service_item.code} ({service_item.name}) does not need {name} "
                "(minimum necessary)",
                f"leave it out; the service item needs: {listed}",
            )
            for n, name in enumerate(asked)
            if name in surplus
        ]
    raise ValidationFailed(problems, "the request")
