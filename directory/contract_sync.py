"""Entries seeded from the data contracts, and kept in step when a contract changes.

The contract owns the schema (data items, their types and classification), the sharing type
and the update cycle; stewards own the rest (legal basis, methods, lengths, lifecycle...).
A contract change rewrites only the contract-owned fields, as a version whose diff is what
stewards review. A change that would leave the entry invalid (a resource turned conditional
with no legal basis yet) is not applied but reported, to be applied once the steward has
completed the entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from contracts.model import Column, Contract, LogicalType, SharingType
from contracts.model import Status as ContractStatus
from contracts.model import UpdateCycle as ContractCycle
from directory import codes
from directory.db import Database
from directory.departments import departments, known_codes
from directory.diff import FieldChange, diff
from directory.entries import VersionKind, write_new, write_version
from directory.errors import Problem, ValidationFailed
from directory.model import ItemType, ResourceFormat, Status, UpdateCycle
from directory.tables import Entry

SEED_GROUP = "001"  # 目 001: a department's business data resources
_KEY_LENGTH = 18  # ID numbers and unified social credit codes


@dataclass(frozen=True)
class ContractSync:
    """What one contract did to its entry: created it, changed it, or could not."""

    contract_id: str
    code: str
    action: str  # created | updated | unchanged | blocked
    changes: list[FieldChange] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _item(column: Column, existing: Mapping[str, Any] | None) -> dict[str, Any]:
    kept = existing or {}
    length = kept.get("length")
    if length is None and column.key_role is not None and column.type is LogicalType.string:
        length = _KEY_LENGTH
    return {
        "name": column.name,
        "label": column.aliases[0] if column.aliases else column.name,
        "type": ItemType(column.type.value).value,
        "length": length,
        "description": column.description,
        "classification": column.classification.value,
        # The contract may make an item stricter than its resource; otherwise the steward's
        # item-level choice stands.
        "sharing_type": column.sharing.value if column.sharing else kept.get("sharing_type"),
    }


def _contract_fields(contract: Contract, current: Mapping[str, Any]) -> dict[str, Any]:
    existing = {i["name"]: i for i in current.get("data_items", [])}
    sharing = contract.sharing
    return {
        "data_items": [_item(c, existing.get(c.name)) for c in contract.columns],
        "sharing_type": sharing.type.value,
        "sharing_condition": sharing.condition or current.get("sharing_condition", ""),
        "update_cycle": UpdateCycle(ContractCycle(contract.update_cycle).value).value,
        "contract_id": contract.id,
        "contract_version": contract.version,
    }


def _new_document(contract: Contract, code: str) -> dict[str, Any]:
    department = departments()[contract.department]
    methods = [] if contract.sharing.type is SharingType.not_shared else ["api"]
    return {
        "code": code,
        "name": contract.name,
        "classification": {
            "category": codes.DEPARTMENT_CATEGORY,
            "subcategory": department.number,
            "group": SEED_GROUP,
            "subgroup": "",
        },
        "provider_department": department.code,
        "provider_name": department.name,
        "abstract": " ".join(contract.description.split()),
        "format": ResourceFormat.database.value,
        "sharing_methods": methods,
        "status": (
            Status.withdrawn if contract.status is ContractStatus.retired else Status.draft
        ).value,
        "steward": contract.owner.steward,
        **_contract_fields(contract, {}),
    }


def sync_contracts(db: Database, contracts: Mapping[str, Contract]) -> list[ContractSync]:
    """Create or update the entry of every contract, in one transaction per contract."""
    results = []
    for contract in contracts.values():
        if contract.department not in departments():
            results.append(
                ContractSync(
                    contract.id,
                    "",
                    "blocked",
                    problems=[
                        Problem(
                            "owner.department",
                            f"department {contract.department} is not in the directory",
                            f"add it to directory/departments.yaml (known: {known_codes()})",
                        )
                    ],
                )
            )
            continue
        results.append(_sync_one(db, contract))
    return results


def _sync_one(db: Database, contract: Contract) -> ContractSync:
    author = f"contract:{contract.id}"
    with db.write() as session:
        row = session.scalars(select(Entry).where(Entry.contract_id == contract.id)).first()
        if row is None:
            department = departments()[contract.department]
            prefix = f"{codes.DEPARTMENT_CATEGORY}{department.number}{SEED_GROUP}"
            taken = session.scalars(select(Entry.code).where(Entry.code.like(f"{prefix}/%")))
            document = _new_document(contract, codes.next_code(prefix, taken))
            reason = f"seeded from contract {contract.id} {contract.version}"
            try:
                write_new(session, document, author, reason, VersionKind.created)
            except ValidationFailed as failed:
                return ContractSync(contract.id, document["code"], "blocked", [], failed.problems)
            return ContractSync(contract.id, document["code"], "created", diff(None, document))
        merged = {**row.document, **_contract_fields(contract, row.document)}
        changes = diff(row.document, merged)
        if not changes:
            return ContractSync(contract.id, row.code, "unchanged")
        reason = (
            f"contract {contract.id} {row.document.get('contract_version')} -> {contract.version}"
        )
        try:
            write_version(
                session, row.code, merged, row.version, author, reason, VersionKind.contract
            )
        except ValidationFailed as failed:
            return ContractSync(contract.id, row.code, "blocked", changes, failed.problems)
        return ContractSync(contract.id, row.code, "updated", changes)
