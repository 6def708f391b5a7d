"""Catalogue entries carry every field of the 2017 cataloguing guide, and every edit is
validated with errors that name the field and the fix."""

from __future__ import annotations

from typing import Any

import pytest

from directory.errors import PermissionDenied, Problem, ValidationFailed
from directory.store import Directory
from tests.directory.fixtures import ADMIN, entry, steward

GUIDE_FIELDS = {
    "classification",  # 类/项/目/细目
    "name",
    "code",
    "provider_department",
    "provider_name",
    "abstract",
    "format",
    "data_items",
    "sharing_type",
    "sharing_condition",
    "legal_basis",
    "sharing_methods",
    "open_to_public",
    "open_condition",
    "update_cycle",
    "publish_date",
    "related_codes",
}
OPERATIONS_FIELDS = {"status", "replaced_by", "steward", "contract_id", "contract_version"}


def problems(directory: Directory, document: dict[str, Any]) -> dict[str, Problem]:
    with pytest.raises(ValidationFailed) as failed:
        directory.entries.create(document, ADMIN, "test")
    return {p.field: p for p in failed.value.problems}


def test_an_entry_keeps_every_guide_and_operations_field(directory: Directory) -> None:
    document = entry(
        related_codes=[],
        open_to_public=False,
        contract_id="mr_food",
        contract_version="1.2.0",
    )
    created = directory.entries.create(document, steward("mr"), "新编目")
    stored = directory.entries.get(created.code).document.as_json()
    assert stored.keys() >= GUIDE_FIELDS | OPERATIONS_FIELDS
    assert stored == document
    item = stored["data_items"][2]
    assert {"name", "label", "type", "length", "description", "classification", "sharing_type"} <= (
        item.keys()
    )
    assert created.version == 1


def test_conditional_and_not_shared_need_their_legal_basis(directory: Directory) -> None:
    found = problems(directory, entry(legal_basis="", sharing_condition=""))
    assert set(found) == {"legal_basis", "sharing_condition"}
    assert "cite the law" in found["legal_basis"].fix
    closed = problems(directory, entry(sharing_type="not_shared", legal_basis=""))
    assert "legal_basis" in closed
    assert "remove the sharing methods" in closed["sharing_methods"].fix


def test_drafts_may_be_incomplete_but_not_malformed(directory: Directory) -> None:
    draft = entry(status="draft", legal_basis="", sharing_condition="", publish_date=None)
    assert directory.entries.create(draft, ADMIN, "草稿").document.status.value == "draft"
    malformed = entry(status="draft")
    malformed["code"] = "3020/1"
    found = problems(directory, malformed)
    assert "e.g. 302009/000001" in found["code"].fix


def test_codes_must_match_their_classification(directory: Directory) -> None:
    elsewhere = entry()
    elsewhere["code"] = "303001/000001"
    found = problems(directory, elsewhere)
    assert found["code"].message == "303001/000001 does not start with its classification 302009"
    bad_class = entry(classification={"category": "7", "subcategory": "2", "group": "009"})
    found = problems(directory, bad_class)
    assert "use 1 (basic)" in found["classification.category"].fix
    assert "two digits" in found["classification.subcategory"].fix


def test_item_types_and_values_must_be_known(directory: Directory) -> None:
    document = entry()
    document["data_items"][1]["type"] = "varchar"
    document["data_items"][0]["colour"] = "red"
    found = problems(directory, document)
    assert "use one of: 'string', 'integer'" in found["data_items[1].type"].fix
    assert "not a catalogue field" in found["data_items[0].colour"].fix


def test_item_rules(directory: Directory) -> None:
    document = entry()
    items = document["data_items"]
    items[0]["classification"] = "sensitive"
    items[0]["sharing_type"] = "unconditional"
    items[1]["type"] = "date"  # keeps its length 20
    items[2]["name"] = "Legal Rep"
    items.append(dict(items[1], name="licence_no", type="string"))
    found = problems(directory, document)
    assert "conditional or not_shared" in found["data_items[0].sharing_type"].fix
    assert found["data_items[1].length"].fix == "leave the length empty"
    assert "lower-case letters" in found["data_items[2].name"].fix
    assert found["data_items[3].name"].message == "'licence_no' appears twice"
    assert "list at least one" in problems(directory, entry(data_items=[]))["data_items"].fix


def test_openness_rules(directory: Directory) -> None:
    found = problems(directory, entry(open_to_public=True))
    assert "legal_rep_name" in found["open_to_public"].message
    assert "无条件开放" in found["open_condition"].fix


def test_lifecycle_and_links(directory: Directory) -> None:
    found = problems(
        directory, entry(status="deprecated", publish_date=None, related_codes=["301001/000009"])
    )
    assert "name its replacement" in found["replaced_by"].message
    assert "publish date" in found["publish_date"].message
    assert found["related_codes[0]"].message == "no resource 301001/000009 in the catalogue"
    found = problems(directory, entry(replaced_by="301001/000001"))
    assert "only deprecated entries" in found["replaced_by"].message


def test_provider_must_be_a_known_department_with_its_name(directory: Directory) -> None:
    found = problems(directory, entry(provider_department="xx"))
    assert "use one of: ps, mr" in found["provider_department"].fix
    found = problems(directory, entry(provider_name="工商局"))
    assert found["provider_name"].fix == "use 市场监督管理局"


def test_stewards_edit_only_their_own_department(directory: Directory) -> None:
    with pytest.raises(PermissionDenied, match="only a steward of mr or an admin"):
        directory.entries.create(entry(), steward("ps"), "not mine")
    created = directory.entries.create(entry(), steward("mr"), "mine")
    with pytest.raises(PermissionDenied):
        directory.entries.patch(created.code, {"abstract": "x"}, 1, steward("ps"), "not mine")
    with pytest.raises(PermissionDenied, match="hand an entry"):
        directory.entries.patch(
            created.code,
            {"provider_department": "ps", "provider_name": "公安局"},
            1,
            steward("mr"),
            "give away",
        )
