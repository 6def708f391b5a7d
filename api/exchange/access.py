"""Deny by default: whether a caller may read which items of a resource, for a service item.

The rules of 国发〔2016〕51号 as the catalogue states them: a resource not shared is read by
its provider only; a conditional one needs the caller's department to hold a grant covering
the items for the service item; every read is limited to the items the service item's form
and materials need (minimum necessary); items classified sensitive are masked unless the grant
names them. Stewards see their own department's data, for maintenance, and nothing else.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from directory.actors import Role
from directory.grants import GrantIndex
from directory.model import Classification, EntryDocument, SharingType, Status

SERVED = {Status.published, Status.deprecated}


class RefusalCode(StrEnum):
    role = "role_may_not_read"
    not_in_catalogue = "not_in_catalogue"
    not_shared = "not_shared"
    no_grant = "no_grant"
    not_needed = "not_needed_for_service_item"


@dataclass(frozen=True)
class AccessDecision:
    allowed: frozenset[str]  # items that may be returned
    masked: frozenset[str]  # of those, items returned masked
    refused: dict[str, tuple[RefusalCode, str]]  # item -> why not

    @property
    def any_allowed(self) -> bool:
        return bool(self.allowed)


def decide(
    *,
    role: Role,
    department: str,
    entry: EntryDocument | None,
    wanted: frozenset[str],
    needed: frozenset[str],
    service_item: str,
    grants: GrantIndex,
    on: dt.date,
) -> AccessDecision:
    """Which of the `wanted` items of `entry` the caller may read for `service_item`."""

    def refuse(items: frozenset[str], code: RefusalCode, why: str) -> AccessDecision:
        return AccessDecision(frozenset(), frozenset(), {item: (code, why) for item in items})

    if entry is None or entry.status not in SERVED:
        return refuse(wanted, RefusalCode.not_in_catalogue, "the resource is not in service")
    own = entry.provider_department == department
    if role is Role.steward:
        if own:
            return AccessDecision(wanted, frozenset(), {})
        return refuse(wanted, RefusalCode.role, "stewards read their own department's data only")
    if role is not Role.clerk:
        return refuse(wanted, RefusalCode.role, f"the {role.value} role does not read subject data")
    refused: dict[str, tuple[RefusalCode, str]] = {}
    for item in wanted - needed:
        refused[item] = (
            RefusalCode.not_needed,
            f"service item {service_item} does not need {item} (minimum necessary)",
        )
    candidates = wanted & needed
    if own:
        return AccessDecision(frozenset(candidates), frozenset(), refused)
    if entry.sharing_type is SharingType.not_shared:
        return AccessDecision(
            frozenset(),
            frozenset(),
            refused
            | {
                i: (RefusalCode.not_shared, f"{entry.name} 不予共享 / is not shared")
                for i in candidates
            },
        )
    readable: set[str] = set()
    conditional: set[str] = set()
    for name in candidates:
        data_item = entry.item(name)
        sharing = entry.item_sharing_type(data_item) if data_item else entry.sharing_type
        if sharing is SharingType.not_shared:
            refused[name] = (RefusalCode.not_shared, f"{name} of {entry.name} is not shared")
        elif sharing is SharingType.conditional:
            conditional.add(name)
        else:
            readable.add(name)
    granted_items: frozenset[str] | None = None
    if conditional:
        decision = grants.check(department, entry.code, frozenset(conditional), service_item, on)
        if decision.allowed:
            readable |= conditional
            granted_items = decision.items
        else:
            for name in conditional:
                refused[name] = (RefusalCode.no_grant, decision.reason)
    masked = frozenset(
        name
        for name in readable
        if (data_item := entry.item(name)) is not None
        and data_item.classification is Classification.sensitive
        and not (granted_items is not None and name in granted_items)
    )
    return AccessDecision(frozenset(readable), masked, refused)
