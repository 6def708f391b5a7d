"""A steward's inbox: everything that waits on one department, oldest first, in one list.

A steward otherwise visits five queues to learn what waits: share requests to answer (and
those past the 10-working-day limit), open objections to the department's data, open
conflicts with an authoritative source, batches the gate failed, and quarantined rows to
return. Two of them live in the directory, three in the published snapshot; the inbox reads
both, so the API, the command line, the console and the outbound webhooks
(`directory.webhooks`) show the same items with the same ids.

An item carries ids, counts, times and links, never a subject's key or a value: it says where
the work is, and the queue it links to shows (and audits) the subject data. Conflicts and
quarantined rows are grouped per resource and batch (a delivery can bring hundreds), the rest
are one item each.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from contracts.registry import bundled_contracts
from directory.conflict_resolutions import ConflictRef
from directory.objections import ObjectionStatus
from directory.sharing import RequestStatus
from directory.store import Directory
from snapshot.conflicts import CONFLICT_REFS
from snapshot.quality import GATE_FAILURES_WAITING, QUARANTINE_WAITING
from snapshot.tables import BATCHES, CONFLICTS, QUARANTINE, Table

# Runs SQL on a published snapshot and returns records (`Snapshot.query_records`).
Query = Callable[[str, list[object]], list[dict[str, Any]]]
_SHORT = 12  # a batch id's characters in a summary, as the console shows batches


class InboxKind(StrEnum):
    share_request = "share_request"
    objection = "objection"
    conflict = "conflict"
    gate_failure = "gate_failure"
    quarantine = "quarantine"


@dataclass(frozen=True)
class InboxItem:
    """One thing waiting on the department, and where it is handled."""

    kind: InboxKind
    ref: str  # the request or objection number, or `resource/batch` for a group
    resource: str  # contract id (catalogue code for a share request's resource)
    since: dt.datetime  # when it started waiting (UTC)
    count: int  # 1, or the conflicts / quarantined rows of the group
    overdue: bool  # a share request past its answer limit
    summary: str  # what it is, without subject data
    console_link: str
    api_link: str

    @property
    def key(self) -> str:
        """Names the item and its state: a request that becomes overdue is a new item (and a
        new webhook event), the same request before it is not."""
        return f"{self.kind.value}:{self.ref}" + (":overdue" if self.overdue else "")

    @property
    def event_type(self) -> str:
        return f"inbox.{self.kind.value}" + (".overdue" if self.overdue else "")


@dataclass(frozen=True)
class Inbox:
    department: str
    items: list[InboxItem]
    published: bool  # False: nothing published yet, so no conflicts, gates or quarantine
    counts: dict[InboxKind, int] = field(default_factory=dict)

    @property
    def overdue(self) -> int:
        return sum(1 for i in self.items if i.overdue)


def department_resources(department: str) -> list[str]:
    """The contract ids of the resources `department` provides."""
    return sorted(c.id for c in bundled_contracts().values() if c.department == department)


def inbox_of(directory: Directory, department: str, query: Query | None) -> Inbox:
    """What waits on `department`; `query` reads the published snapshot (None: nothing is
    published, and only the directory's queues are shown)."""
    items = _share_requests(directory, department) + _objections(directory, department)
    if query is not None:
        resources = department_resources(department)
        items += _conflicts(directory, query, resources)
        items += _gate_failures(directory, query, resources)
        items += _quarantine(query, resources)
    items.sort(key=lambda i: (i.since, i.kind.value, i.ref))
    counts = Counter(i.kind for i in items)
    return Inbox(
        department,
        items,
        published=query is not None,
        counts={kind: counts.get(kind, 0) for kind in InboxKind},
    )


def _utc(at: dt.datetime) -> dt.datetime:
    """The certifier stamps the snapshot in the machine's local time without a zone; the
    directory's times carry one."""
    return at.astimezone(dt.UTC)


def _share_requests(directory: Directory, department: str) -> list[InboxItem]:
    waiting = directory.requests.list(department, "incoming", RequestStatus.pending)
    return [
        InboxItem(
            kind=InboxKind.share_request,
            ref=str(r.id),
            resource=r.resource_code,
            since=_utc(r.requested_at),
            count=1,
            overdue=r.overdue,
            summary=f"share request #{r.id}: {r.requester_department} asks for "
            f"{r.resource_code} for service item {r.service_item_code}, answer due "
            f"{r.answer_due:%Y-%m-%d}",
            console_link=f"/console/share-requests#request-{r.id}",
            api_link=f"/v1/directory/share-requests/{r.id}",
        )
        for r in waiting
    ]


def _objections(directory: Directory, department: str) -> list[InboxItem]:
    return [
        InboxItem(
            kind=InboxKind.objection,
            ref=str(o.id),
            resource=o.resource,
            since=_utc(o.filed_at),
            count=1,
            overdue=False,
            summary=f"objection #{o.id} to {o.resource}.{o.item}, filed by {o.filed_department}",
            console_link=f"/console/objections#objection-{o.id}",
            api_link=f"/v1/objections/{o.id}",
        )
        for o in directory.objections.queue(department, ObjectionStatus.open)
    ]


def _exists(query: Query, table: Table) -> bool:
    sql, params = table.exists_query()
    return bool(next(iter(query(sql, params)[0].values())))


def _conflicts(directory: Directory, query: Query, resources: list[str]) -> list[InboxItem]:
    """Open conflicts per disagreeing resource and the batch that found them."""
    if not _exists(query, CONFLICTS):
        return []
    contracts = bundled_contracts()
    found = query(CONFLICT_REFS, [resources])
    refs = [
        ConflictRef(
            item=r["item"],
            subject_hash=directory.audit.subject_hash(r["subject_key"]),
            authoritative_resource=r["authoritative_resource"],
            other_resource=r["other_resource"],
            department=contracts[r["other_resource"]].department,
            batch=r["batch"],
        )
        for r in found
    ]
    settled = directory.conflicts.of(ref.conflict_id for ref in refs)
    groups: dict[tuple[str, str], list[dt.datetime]] = {}
    for record, ref in zip(found, refs, strict=True):
        if ref.conflict_id not in settled:
            groups.setdefault((ref.other_resource, ref.batch), []).append(record["detected_at"])
    return [
        InboxItem(
            kind=InboxKind.conflict,
            ref=f"{resource}/{batch}",
            resource=resource,
            since=_utc(min(times)),
            count=len(times),
            overdue=False,
            summary=f"{len(times)} open conflicts of {resource} with an authoritative source, "
            f"found in batch {batch[:_SHORT]}",
            console_link="/console/conflicts",
            api_link="/v1/directory/conflicts",
        )
        for (resource, batch), times in groups.items()
    ]


def _gate_failures(directory: Directory, query: Query, resources: list[str]) -> list[InboxItem]:
    if not _exists(query, BATCHES):
        return []
    items = []
    for r in query(GATE_FAILURES_WAITING, [resources]):
        entry = directory.entries.by_contract(r["contract_id"])
        failures = list(r["gate_failures"] or [])
        items.append(
            InboxItem(
                kind=InboxKind.gate_failure,
                ref=f"{r['contract_id']}/{r['batch']}",
                resource=r["contract_id"],
                since=_utc(r["certified_at"]),
                count=max(len(failures), 1),
                overdue=False,
                summary=f"batch {r['batch'][:_SHORT]} of {r['contract_id']} {r['status']}: "
                f"{', '.join(failures) or 'the gate failed'}",
                console_link=f"/console/entries/{entry.code}#live" if entry else "/console/quality",
                api_link=f"/v1/quality/{r['contract_id']}/validations/{r['batch']}",
            )
        )
    return items


def _quarantine(query: Query, resources: list[str]) -> list[InboxItem]:
    if not _exists(query, QUARANTINE):
        return []
    return [
        InboxItem(
            kind=InboxKind.quarantine,
            ref=f"{r['contract_id']}/{r['batch']}",
            resource=r["contract_id"],
            since=_utc(r["since"]),
            count=int(r["n"]),
            overdue=False,
            summary=f"{r['n']} quarantined rows of {r['contract_id']} from batch "
            f"{r['batch'][:_SHORT]} "
            "to return to the department",
            console_link=f"/console/quarantine?resource={r['contract_id']}",
            api_link=f"/v1/quality/{r['contract_id']}/quarantine/export",
        )
        for r in query(QUARANTINE_WAITING, [resources])
    ]


def by_key(items: Iterable[InboxItem]) -> dict[str, InboxItem]:
    return {i.key: i for i in items}
