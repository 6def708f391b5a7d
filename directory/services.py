"""Service items, the materials they ask for, and the map from materials and form fields to
the shared data items that replace or fill them (the once-only map); theme bundles (一件事);
and the reverse question, which service items depend on a resource.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from directory.actors import Actor
from directory.db import Database
from directory.departments import departments, known_codes
from directory.entries import now
from directory.errors import NotFound, Problem, ValidationFailed
from directory.model import EntryDocument, Status
from directory.problems import from_validation_error
from directory.service_model import (
    BundleDoc,
    Dependent,
    FormFieldDoc,
    ItemKind,
    MaterialDoc,
    ServiceItemDoc,
    ServiceItemView,
    ServiceMapping,
    SourceRef,
    Subject,
)
from directory.tables import (
    Bundle,
    BundleItem,
    Entry,
    FormField,
    Material,
    MaterialSource,
    ServiceItem,
)

SERVICE_ITEM_CODE = re.compile(r"^[0-9A-Za-z-]{4,40}$")


def _parse(model: type[BaseModel], raw: Mapping[str, Any], subject: str) -> Any:
    try:
        return model.model_validate(dict(raw))
    except ValidationError as error:
        raise ValidationFailed(from_validation_error(error), subject) from error


def _check_item(doc: ServiceItemDoc) -> list[Problem]:
    out = []
    if not SERVICE_ITEM_CODE.match(doc.code):
        out.append(
            Problem("code", f"{doc.code!r} is not a service item code", "use 4-40 letters/digits")
        )
    if doc.department not in departments():
        out.append(
            Problem(
                "department",
                f"unknown department {doc.department!r}",
                f"use one of: {known_codes()}",
            )
        )
    if doc.kind is ItemKind.promised and doc.promised_working_days < 1:
        out.append(
            Problem(
                "promised_working_days",
                "a promised item (承诺件) needs its promised working days",
                "give the number of working days, at least 1",
            )
        )
    if doc.kind is ItemKind.on_the_spot and doc.promised_working_days:
        out.append(
            Problem(
                "promised_working_days",
                "an on-the-spot item (即办件) has no promised days",
                "set promised_working_days to 0 or make the item promised",
            )
        )
    return out


def _check_source(session: Session, ref: SourceRef, field: str) -> list[Problem]:
    entry = session.get(Entry, ref.resource)
    if entry is None:
        return [
            Problem(
                f"{field}.resource",
                f"no resource {ref.resource} in the catalogue",
                "use the code of a catalogue entry",
            )
        ]
    document = EntryDocument.model_validate(entry.document)
    if document.status is Status.withdrawn:
        return [
            Problem(
                f"{field}.resource",
                f"{ref.resource} has been withdrawn",
                "map to the resource that replaced it",
            )
        ]
    if document.item(ref.item) is None:
        names = ", ".join(i.name for i in document.data_items)
        return [
            Problem(
                f"{field}.item",
                f"{ref.resource} ({document.name}) has no data item {ref.item!r}",
                f"use one of: {names}",
            )
        ]
    return []


def _check_mapping(session: Session, mapping: ServiceMapping) -> list[Problem]:
    out: list[Problem] = []
    seen: set[str] = set()
    for m, material in enumerate(mapping.materials):
        if material.name in seen:
            out.append(
                Problem(f"materials[{m}].name", f"{material.name} is listed twice", "merge them")
            )
        seen.add(material.name)
        for s, ref in enumerate(material.replaced_by):
            out.extend(_check_source(session, ref, f"materials[{m}].replaced_by[{s}]"))
    seen = set()
    for f, form_field in enumerate(mapping.form_fields):
        if form_field.name in seen:
            out.append(
                Problem(
                    f"form_fields[{f}].name", f"{form_field.name} is listed twice", "merge them"
                )
            )
        seen.add(form_field.name)
        out.extend(_check_source(session, form_field.source, f"form_fields[{f}].source"))
    return out


def _item_doc(row: ServiceItem) -> ServiceItemDoc:
    return ServiceItemDoc(
        code=row.code,
        name=row.name,
        department=row.department,
        window=row.window,
        kind=ItemKind(row.kind),
        promised_working_days=row.promised_working_days,
        subject=Subject(row.subject),
        base_daily_volume=row.base_daily_volume,
    )


def _mapping(session: Session, code: str) -> ServiceMapping:
    materials = []
    for material in session.scalars(
        select(Material).where(Material.service_item_code == code).order_by(Material.position)
    ):
        sources = session.scalars(
            select(MaterialSource)
            .where(MaterialSource.material_id == material.id)
            .order_by(MaterialSource.id)
        )
        materials.append(
            MaterialDoc(
                name=material.name,
                required=material.required,
                replaced_by=[
                    SourceRef(resource=s.resource_code, item=s.item_name) for s in sources
                ],
            )
        )
    fields = [
        FormFieldDoc(name=f.name, source=SourceRef(resource=f.resource_code, item=f.item_name))
        for f in session.scalars(
            select(FormField)
            .where(FormField.service_item_code == code)
            .order_by(FormField.position)
        )
    ]
    return ServiceMapping(materials=materials, form_fields=fields)


class ServiceMap:
    def __init__(self, db: Database) -> None:
        self._db = db

    def put_item(self, raw: Mapping[str, Any], actor: Actor) -> ServiceItemView:
        """Create or update a service item (its mapping is kept)."""
        doc: ServiceItemDoc = _parse(ServiceItemDoc, raw, "the service item")
        problems = _check_item(doc)
        if problems:
            raise ValidationFailed(problems, f"service item {doc.code}")
        actor.require(doc.department, f"maintain {doc.department}'s service items")
        with self._db.write() as session:
            row = session.get(ServiceItem, doc.code)
            if row is not None:
                actor.require(row.department, f"maintain service item {doc.code}")
            else:
                row = ServiceItem(code=doc.code)
                session.add(row)
            for field, value in doc.model_dump(mode="json").items():
                setattr(row, field, value)
            row.updated_at, row.updated_by = now(), actor.name
            session.flush()
            return ServiceItemView(
                _item_doc(row), _mapping(session, doc.code), row.updated_at, row.updated_by
            )

    def set_mapping(self, code: str, raw: Mapping[str, Any], actor: Actor) -> ServiceItemView:
        """Replace the item's materials and form fields, checking every reference."""
        mapping: ServiceMapping = _parse(ServiceMapping, raw, f"the mapping of {code}")
        with self._db.write() as session:
            row = self._item(session, code)
            actor.require(row.department, f"map service item {code}")
            problems = _check_mapping(session, mapping)
            if problems:
                raise ValidationFailed(problems, f"the mapping of {code}")
            session.execute(delete(Material).where(Material.service_item_code == code))
            session.execute(delete(FormField).where(FormField.service_item_code == code))
            for position, material in enumerate(mapping.materials):
                stored = Material(
                    service_item_code=code,
                    position=position,
                    name=material.name,
                    required=material.required,
                )
                session.add(stored)
                session.flush()
                for ref in material.replaced_by:
                    session.add(
                        MaterialSource(
                            material_id=stored.id, resource_code=ref.resource, item_name=ref.item
                        )
                    )
            for position, form_field in enumerate(mapping.form_fields):
                session.add(
                    FormField(
                        service_item_code=code,
                        position=position,
                        name=form_field.name,
                        resource_code=form_field.source.resource,
                        item_name=form_field.source.item,
                    )
                )
            row.updated_at, row.updated_by = now(), actor.name
            session.flush()
            return ServiceItemView(
                _item_doc(row), _mapping(session, code), row.updated_at, row.updated_by
            )

    def get(self, code: str) -> ServiceItemView:
        with self._db.read() as session:
            row = self._item(session, code)
            return ServiceItemView(
                _item_doc(row), _mapping(session, code), row.updated_at, row.updated_by
            )

    def items(self, department: str | None = None) -> list[ServiceItemView]:
        with self._db.read() as session:
            query = select(ServiceItem).order_by(ServiceItem.code)
            if department is not None:
                query = query.where(ServiceItem.department == department)
            return [
                ServiceItemView(_item_doc(r), _mapping(session, r.code), r.updated_at, r.updated_by)
                for r in session.scalars(query)
            ]

    def put_bundle(self, raw: Mapping[str, Any], actor: Actor) -> BundleDoc:
        """Bundles span departments, so the centre (gsc) stewards them."""
        doc: BundleDoc = _parse(BundleDoc, raw, "the bundle")
        actor.require("gsc", "maintain theme bundles")
        with self._db.write() as session:
            problems = [
                Problem(
                    f"service_items[{n}]",
                    f"no service item {code}",
                    "use the code of an existing service item",
                )
                for n, code in enumerate(doc.service_items)
                if session.get(ServiceItem, code) is None
            ]
            if len(set(doc.service_items)) != len(doc.service_items):
                problems.append(
                    Problem("service_items", "an item is listed twice", "list each item once")
                )
            if problems:
                raise ValidationFailed(problems, f"bundle {doc.code}")
            session.merge(Bundle(code=doc.code, name=doc.name, description=doc.description))
            session.execute(delete(BundleItem).where(BundleItem.bundle_code == doc.code))
            session.flush()
            for position, code in enumerate(doc.service_items):
                session.add(
                    BundleItem(bundle_code=doc.code, service_item_code=code, position=position)
                )
        return doc

    def bundles(self) -> list[BundleDoc]:
        with self._db.read() as session:
            return [
                self._bundle(session, b)
                for b in session.scalars(select(Bundle).order_by(Bundle.code))
            ]

    def bundle(self, code: str) -> BundleDoc:
        with self._db.read() as session:
            row = session.get(Bundle, code)
            if row is None:
                raise NotFound(f"no theme bundle {code}; list the bundles to find its code")
            return self._bundle(session, row)

    def dependents(self, resource: str, items: Iterable[str] | None = None) -> list[Dependent]:
        """Service items relying on `resource` (or on some of its items), busiest first."""
        only = set(items) if items is not None else None
        with self._db.read() as session:
            if session.get(Entry, resource) is None:
                raise NotFound(f"no resource {resource} in the catalogue")
            found: dict[str, Dependent] = {}
            material_rows = session.execute(
                select(Material.service_item_code, Material.name, MaterialSource.item_name)
                .join(MaterialSource, MaterialSource.material_id == Material.id)
                .where(MaterialSource.resource_code == resource)
                .order_by(Material.service_item_code, Material.position, MaterialSource.id)
            ).tuples()
            for code, material, item in material_rows:
                if only is None or item in only:
                    self._dependent(session, found, code).materials.setdefault(material, []).append(
                        item
                    )
            field_rows = session.execute(
                select(FormField.service_item_code, FormField.name, FormField.item_name)
                .where(FormField.resource_code == resource)
                .order_by(FormField.service_item_code, FormField.position)
            ).tuples()
            for code, field, item in field_rows:
                if only is None or item in only:
                    self._dependent(session, found, code).form_fields[field] = item
        return sorted(found.values(), key=lambda d: (-d.base_daily_volume, d.code))

    @staticmethod
    def _dependent(session: Session, found: dict[str, Dependent], code: str) -> Dependent:
        if code not in found:
            row = session.get(ServiceItem, code)
            assert row is not None  # foreign key
            found[code] = Dependent(code, row.name, row.department, row.base_daily_volume, {}, {})
        return found[code]

    @staticmethod
    def _bundle(session: Session, row: Bundle) -> BundleDoc:
        codes = session.scalars(
            select(BundleItem.service_item_code)
            .where(BundleItem.bundle_code == row.code)
            .order_by(BundleItem.position)
        )
        return BundleDoc(
            code=row.code, name=row.name, description=row.description, service_items=list(codes)
        )

    @staticmethod
    def _item(session: Session, code: str) -> ServiceItem:
        row = session.get(ServiceItem, code)
        if row is None:
            raise NotFound(f"no service item {code}; list the service items to find its code")
        return row
