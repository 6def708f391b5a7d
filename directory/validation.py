"""The catalogue's rules for an entry, checked on every edit, import, restore and seed.

Completeness (legal basis, sharing methods, steward...) is only demanded once an entry leaves
draft: entries seeded from contracts start as drafts that stewards complete, while formats
(codes, types, item names) are enforced from the first save.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from directory import codes
from directory.departments import departments, known_codes
from directory.errors import Problem, ValidationFailed
from directory.model import (
    Classification,
    DataItem,
    EntryDocument,
    ItemType,
    SharingType,
    Status,
)
from directory.problems import from_validation_error

ITEM_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
SEMVER = re.compile(r"^\d+\.\d+\.\d+$")
MAX_LENGTH = 4000
_UNSIZED = {ItemType.date, ItemType.timestamp, ItemType.boolean, ItemType.binary}
_NEEDS_PUBLISH_DATE = {Status.published, Status.deprecated}

CodeExists = Callable[[str], bool]


def parse_entry(raw: Mapping[str, Any]) -> EntryDocument:
    try:
        return EntryDocument.model_validate(dict(raw))
    except ValidationError as error:
        raise ValidationFailed(from_validation_error(error), "the entry") from error


def validate_entry(raw: Mapping[str, Any], exists: CodeExists) -> EntryDocument:
    """Parse and check `raw`; raise ValidationFailed listing every problem."""
    document = parse_entry(raw)
    problems = check_entry(document, exists)
    if problems:
        raise ValidationFailed(problems, f"entry {document.code}")
    return document


def check_entry(document: EntryDocument, exists: CodeExists) -> list[Problem]:
    """Every rule the entry breaks; `exists` tells whether another resource code is known."""
    return [
        *_identity(document),
        *_items(document),
        *_sharing(document),
        *_openness(document),
        *_lifecycle(document, exists),
        *_links(document, exists),
    ]


def _identity(d: EntryDocument) -> list[Problem]:
    out = []
    prefix = d.classification.prefix
    if not codes.is_valid(d.code):
        out.append(
            Problem(
                "code",
                f"{d.code!r} is not a resource code",
                f"write the classification digits, a slash and a sequence number, "
                f"e.g. {codes.example(prefix)}",
            )
        )
    elif codes.prefix_of(d.code) != prefix:
        out.append(
            Problem(
                "code",
                f"{d.code} does not start with its classification {prefix}",
                f"use a code under {prefix}/ or correct the classification",
            )
        )
    c = d.classification
    for field, value, pattern, fix in (
        ("category", c.category, r"^[1-3]$", "use 1 (basic), 2 (thematic) or 3 (department)"),
        ("subcategory", c.subcategory, r"^\d{2}$", "use two digits, e.g. 01"),
        ("group", c.group, r"^\d{3}$", "use three digits, e.g. 001"),
        ("subgroup", c.subgroup, r"^\d{0,6}$", "use up to six digits, or leave it empty"),
    ):
        if not re.match(pattern, value):
            out.append(Problem(f"classification.{field}", f"{value!r} is not valid", fix))
    if not d.name.strip():
        out.append(Problem("name", "the resource name is empty", "give the resource's name"))
    department = departments().get(d.provider_department)
    if department is None:
        out.append(
            Problem(
                "provider_department",
                f"unknown department {d.provider_department!r}",
                f"use one of: {known_codes()}",
            )
        )
    elif d.provider_name != department.name:
        out.append(
            Problem(
                "provider_name",
                f"{d.provider_name!r} is not the registered name of {department.code}",
                f"use {department.name}",
            )
        )
    return out


def _items(d: EntryDocument) -> list[Problem]:
    out: list[Problem] = []
    if not d.data_items:
        out.append(Problem("data_items", "no data items", "list at least one data item"))
    seen: set[str] = set()
    for index, item in enumerate(d.data_items):
        out.extend(_item(d, index, item, seen))
    return out


def _item(d: EntryDocument, index: int, item: DataItem, seen: set[str]) -> list[Problem]:
    field = f"data_items[{index}]"
    out = []
    if not ITEM_NAME.match(item.name):
        out.append(
            Problem(
                f"{field}.name",
                f"{item.name!r} is not an item identifier",
                "use lower-case letters, digits and underscores, starting with a letter",
            )
        )
    if item.name in seen:
        out.append(
            Problem(f"{field}.name", f"{item.name!r} appears twice", "give each item its own name")
        )
    seen.add(item.name)
    if not item.label.strip():
        out.append(Problem(f"{field}.label", "the item has no name", "give its Chinese name"))
    if item.length is not None:
        if item.type in _UNSIZED:
            out.append(
                Problem(
                    f"{field}.length",
                    f"a {item.type.value} item has no length",
                    "leave the length empty",
                )
            )
        elif not 1 <= item.length <= MAX_LENGTH:
            out.append(
                Problem(
                    f"{field}.length",
                    f"length {item.length} is out of range",
                    f"use a length from 1 to {MAX_LENGTH}",
                )
            )
    item_sharing = d.item_sharing_type(item)
    if item.classification is Classification.sensitive and (
        item_sharing is SharingType.unconditional
    ):
        out.append(
            Problem(
                f"{field}.sharing_type",
                f"sensitive item {item.name} would be shared unconditionally",
                "set the item's sharing type to conditional or not_shared",
            )
        )
    if d.sharing_type is SharingType.not_shared and item_sharing is not SharingType.not_shared:
        out.append(
            Problem(
                f"{field}.sharing_type",
                f"item {item.name} is shared but the resource is not",
                "leave the item's sharing type empty or set it to not_shared",
            )
        )
    return out


def _sharing(d: EntryDocument) -> list[Problem]:
    out = []
    if d.sharing_type is SharingType.not_shared and d.sharing_methods:
        out.append(
            Problem(
                "sharing_methods",
                "a resource that is not shared has sharing methods",
                "remove the sharing methods or change the sharing type",
            )
        )
    if d.status is Status.draft:
        return out
    if d.sharing_type is SharingType.conditional and not d.sharing_condition.strip():
        out.append(
            Problem(
                "sharing_condition",
                "a conditional resource must state its sharing condition",
                "say who may use it and for what, e.g. 仅限办理不动产类政务服务事项",
            )
        )
    if d.sharing_type is not SharingType.unconditional and not d.legal_basis.strip():
        out.append(
            Problem(
                "legal_basis",
                f"a {d.sharing_type.value} resource must cite its legal basis",
                "cite the law or regulation that restricts sharing, "
                "e.g. 《中华人民共和国居民身份证法》",
            )
        )
    if d.sharing_type is not SharingType.not_shared and not d.sharing_methods:
        out.append(
            Problem(
                "sharing_methods",
                "a shared resource must say how it is shared",
                "list one or more of: api, file, database",
            )
        )
    if not d.abstract.strip():
        out.append(Problem("abstract", "the abstract is empty", "summarise what the data covers"))
    if not d.steward.strip():
        out.append(Problem("steward", "no steward", "name the steward who maintains the entry"))
    return out


def _openness(d: EntryDocument) -> list[Problem]:
    if not d.open_to_public:
        return []
    out = []
    if d.sharing_type is SharingType.not_shared:
        out.append(
            Problem(
                "open_to_public",
                "a resource that is not shared cannot be opened to the public",
                "set open_to_public to false",
            )
        )
    personal = [i.name for i in d.data_items if i.classification is not Classification.public]
    if personal:
        out.append(
            Problem(
                "open_to_public",
                f"personal or sensitive items ({', '.join(personal)}) cannot be opened",
                "set open_to_public to false, or publish a separate resource of public items",
            )
        )
    if not d.open_condition.strip():
        out.append(
            Problem(
                "open_condition",
                "an open resource must state on what condition",
                "describe the condition, e.g. 无条件开放",
            )
        )
    return out


def _lifecycle(d: EntryDocument, exists: CodeExists) -> list[Problem]:
    out = []
    if d.status in _NEEDS_PUBLISH_DATE and d.publish_date is None:
        out.append(
            Problem(
                "publish_date",
                f"a {d.status.value} entry must have a publish date",
                "set the date it was published (YYYY-MM-DD)",
            )
        )
    if d.status is Status.deprecated:
        if not d.replaced_by:
            out.append(
                Problem(
                    "replaced_by",
                    "a deprecated entry must name its replacement",
                    "give the code of the resource that replaces it",
                )
            )
        elif d.replaced_by == d.code or not exists(d.replaced_by):
            out.append(
                Problem(
                    "replaced_by",
                    f"{d.replaced_by} is not another resource in the catalogue",
                    "give the code of an existing resource",
                )
            )
    elif d.replaced_by:
        out.append(
            Problem(
                "replaced_by",
                f"only deprecated entries name a replacement (this one is {d.status.value})",
                "clear replaced_by, or set the status to deprecated",
            )
        )
    if d.contract_id and not (d.contract_version and SEMVER.match(d.contract_version)):
        out.append(
            Problem(
                "contract_version",
                f"{d.contract_version!r} is not a contract version",
                "give the linked contract's version, e.g. 1.0.0",
            )
        )
    return out


def _links(d: EntryDocument, exists: CodeExists) -> list[Problem]:
    out = []
    seen: set[str] = set()
    for index, code in enumerate(d.related_codes):
        field = f"related_codes[{index}]"
        if not codes.is_valid(code):
            out.append(
                Problem(
                    field, f"{code!r} is not a resource code", "use a code such as 301001/000001"
                )
            )
        elif code == d.code:
            out.append(Problem(field, "an entry cannot relate to itself", "remove it"))
        elif code in seen:
            out.append(Problem(field, f"{code} is listed twice", "remove the duplicate"))
        elif not exists(code):
            out.append(
                Problem(field, f"no resource {code} in the catalogue", "correct or remove the code")
            )
        seen.add(code)
    return out
