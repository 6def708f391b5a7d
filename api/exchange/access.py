"""Deny by default: whether a caller may read which items of a resource, for a service item.

The rules of 国发〔2016〕51号 as the catalogue states them: a resource not shared is read by
its provider only; a conditional one needs the caller's department to hold a grant covering
the items for the service item; every read is limited to the items the service item's form
and materials need (minimum necessary); items classified sensitive are masked unless the grant
names them.

Subject data goes to clerks only, and only for a service item their own department handles:
a steward maintains data and looks at a record through their department's quarantine and
objection routes, not through the clerk's reads; and being the provider is no bypass of
minimum necessary, since "own data" read under another department's service item still serves
a case that is not the caller's.
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
    not_handled = "service_item_not_handled"


@dataclass(frozen=True)
class AccessDecision:
    allowed: frozenset[str]  # items that may be returned
    masked: frozenset[str]  # of those, items returned masked
    refused: dict[str, tuple[RefusalCode, str]]  # item -> why not
    mask_reason: str = ""  # why the masked items are masked, shown beside each of them

    @property
    def any_allowed(self) -> bool:
        return bool(self.allowed)


def role_refusal(role: Role) -> tuple[RefusalCode, str] | None:
    """Why `role` may not read subject data at all, or None (clerks)."""
    if role is Role.clerk:
        return None
    return (
        RefusalCode.role,
        f"the {role.value} role does not read subject data: prefill, lookup, verification and "
        "extracts are for clerks handling a case; stewards look at their own department's "
        "records through its quarantine and objection routes",
    )


def department_refusal(
    *, department: str, service_item: str, handled_by: str
) -> tuple[RefusalCode, str] | None:
    """Why a clerk of `department` may not read for `service_item` (handled by `handled_by`)."""
    if handled_by == department:
        return None
    return (
        RefusalCode.not_handled,
        f"service item {service_item} is handled by {handled_by}, not {department}: read only "
        "for service items your department handles, under their own case numbers",
    )


def subject_access(
    *, role: Role, department: str, service_item: str, handled_by: str
) -> tuple[RefusalCode, str] | None:
    """Why the caller may not read subject data for `service_item` at all, or None.

    Checked before anything is read, by every route that returns or confirms subject data,
    so that every role without subject access gets the same refusal."""
    return role_refusal(role) or department_refusal(
        department=department, service_item=service_item, handled_by=handled_by
    )


def decide(
    *,
    role: Role,
    department: str,
    handled_by: str,
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

    barred = subject_access(
        role=role, department=department, service_item=service_item, handled_by=handled_by
    )
    if barred is not None:
        return refuse(wanted, *barred)
    if entry is None or entry.status not in SERVED:
        return refuse(wanted, RefusalCode.not_in_catalogue, "the resource is not in service")
    own = entry.provider_department == department
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
    grant_id: int | None = None
    if conditional:
        decision = grants.check(department, entry.code, frozenset(conditional), service_item, on)
        if decision.allowed:
            readable |= conditional
            granted_items, grant_id = decision.items, decision.request_id
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
    return AccessDecision(frozenset(readable), masked, refused, mask_reason(entry, grant_id))


def mask_reason(entry: EntryDocument, grant_id: int | None) -> str:
    """Why a sensitive item of `entry` is shown masked: told beside the value, so a clerk
    knows the value exists and what would show it in full."""
    grant = f"grant #{grant_id}" if grant_id is not None else "no grant"
    return (
        f"sensitive item (GB/T 43697-2024) of {entry.name}: {grant} does not name it, so it "
        "is shown masked; a share request naming the item shows it in full"
    )
