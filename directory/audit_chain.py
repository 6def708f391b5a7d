"""The audit log's hash chain: the canonical form of an entry, its hash, and the walk that
verifies a log against its chain and its signed heads. Pure functions over values, no database
and no files, so the rule that makes the log tamper-evident can be read (and tested) alone.

Each entry stores its canonical JSON and hash = sha256(previous hash + canonical JSON), so an
edited, deleted or reordered entry shows when the chain is recomputed. The chain's ends (the
newest entry, and the anchor `prune` leaves) are checked against the heads signed outside the
database (`directory.audit_witness`), so a cut-off tail or a chain rewritten with recomputed
hashes shows too. `directory.audit` is the log that appends, queries and prunes with it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from directory.audit_witness import SignedHeads

GENESIS = "0" * 64  # the "previous hash" of the first entry ever appended
OUTCOMES = ("served", "refused", "partial")
Head = tuple[int, str]  # (sequence, hash) of an entry: the newest one, or the anchor


class SealedEntry(Protocol):
    """An entry as stored: its place in the chain, its canonical JSON and the hash sealing it."""

    @property
    def sequence(self) -> int: ...
    @property
    def entry(self) -> str: ...
    @property
    def hash(self) -> str: ...


class StoredEntry(SealedEntry, Protocol):
    """What the walk reads of an entry: the sealed entry and the columns that repeat parts of
    its text for queries (an edit to one of them shows too)."""

    @property
    def at(self) -> dt.datetime: ...
    @property
    def user_name(self) -> str: ...
    @property
    def department(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def outcome(self) -> str: ...
    @property
    def subject_hash(self) -> str | None: ...


class ChainEnds(Protocol):
    """The chain row: the newest entry, and the anchor the last prune left."""

    @property
    def head_sequence(self) -> int: ...
    @property
    def head_hash(self) -> str: ...
    @property
    def anchor_sequence(self) -> int: ...
    @property
    def anchor_hash(self) -> str: ...


@dataclass(frozen=True)
class AuditEvent:
    """What happened: who (user, department, role), did what (action), with what outcome,
    for which service item and case, about which subject (keyed hash), returning which
    resources and items; `reason` says why something was refused."""

    at: dt.datetime
    user: str
    department: str
    role: str
    action: str
    outcome: str  # one of OUTCOMES
    service_item: str | None = None
    case_no: str | None = None
    subject_hash: str | None = None
    resources: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    reason: str = ""
    request_id: str = ""


@dataclass(frozen=True, kw_only=True)
class AuditRecord(AuditEvent):
    """An event as stored: its place in the chain and the hash that seals it."""

    sequence: int
    hash: str


@dataclass(frozen=True)
class AuditVerification:
    """What `verify` found, holding the entries to the chain and to the heads signed outside
    the database (see `directory.audit_witness`)."""

    ok: bool
    checked: int
    first_bad_sequence: int | None
    problem: str
    head_sequence: int
    head_hash: str
    signed_sequence: int = 0  # the newest head signed outside the database


def canonical_json(sequence: int, event: AuditEvent) -> str:
    """The exact text an entry's hash covers: sorted keys, no spaces, UTC microseconds."""
    document = {
        "sequence": sequence,
        "at": instant(event.at),
        "user": event.user,
        "department": event.department,
        "role": event.role,
        "action": event.action,
        "outcome": event.outcome,
        "service_item": event.service_item,
        "case_no": event.case_no,
        "subject_hash": event.subject_hash,
        "resources": list(event.resources),
        "items": list(event.items),
        "reason": event.reason,
        "request_id": event.request_id,
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def chain_hash(previous: str, text: str) -> str:
    return hashlib.sha256((previous + text).encode("utf-8")).hexdigest()


def instant(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def chained(head: Head, events: list[AuditEvent]) -> tuple[list[dict[str, object]], Head]:
    """The rows for `events` appended after `head`, and the new head."""
    sequence, previous = head
    rows: list[dict[str, object]] = []
    for event in events:
        sequence += 1
        text = canonical_json(sequence, event)
        previous = chain_hash(previous, text)
        rows.append(
            {
                "sequence": sequence,
                "at": event.at,
                "user_name": event.user,
                "department": event.department,
                "action": event.action,
                "outcome": event.outcome,
                "subject_hash": event.subject_hash,
                "entry": text,
                "hash": previous,
            }
        )
    return rows, (sequence, previous)


def record_of(row: SealedEntry) -> AuditRecord:
    """The event an entry holds, read back from its canonical JSON."""
    document = json.loads(row.entry)
    return AuditRecord(
        at=dt.datetime.fromisoformat(document["at"]),
        user=document["user"],
        department=document["department"],
        role=document["role"],
        action=document["action"],
        outcome=document["outcome"],
        service_item=document["service_item"],
        case_no=document["case_no"],
        subject_hash=document["subject_hash"],
        resources=tuple(document["resources"]),
        items=tuple(document["items"]),
        reason=document["reason"],
        request_id=document["request_id"],
        sequence=row.sequence,
        hash=row.hash,
    )


def walk(
    rows: Iterable[StoredEntry], chain: ChainEnds, signed: SignedHeads
) -> tuple[int, int | None, str]:
    """(entries that hold up, first bad sequence or None, what is wrong with it): each entry
    against the one before it, and the log against the heads signed outside the database."""
    anchor, head = chain.anchor_sequence, chain.head_sequence
    signed_anchor = signed.anchor or (0, GENESIS)
    if (anchor, chain.anchor_hash) != signed_anchor:
        if anchor > signed_anchor[0]:
            problem = (
                f"entries #{signed_anchor[0] + 1} to #{anchor} were deleted without a signed "
                f"prune: the log starts after #{anchor}, the last signed prune after "
                f"#{signed_anchor[0]}"
            )
        else:
            problem = (
                f"the log starts after entry #{anchor}, not where the last signed prune left "
                f"it (after #{signed_anchor[0]}): its start was rewritten"
            )
        return 0, min(anchor, signed_anchor[0]) + 1, problem
    expected, previous = anchor + 1, chain.anchor_hash
    vouched = anchor  # the newest entry a matching signed head vouches for
    for row in rows:
        checked = expected - anchor - 1
        if row.sequence > head:
            problem = (
                f"entry #{row.sequence} is beyond the newest entry #{head} the log recorded: "
                "it was written behind the log's back"
            )
            return checked, row.sequence, problem
        if row.sequence != expected:
            problem = f"entry #{expected} is missing: it was deleted (next is #{row.sequence})"
            return checked, expected, problem
        problem = _entry_problem(row, previous)
        if problem:
            return checked, expected, problem
        signed_hash = signed.heads.get(row.sequence)
        if signed_hash is not None:
            if signed_hash != row.hash:
                return vouched - anchor, vouched + 1, _rewritten(vouched + 1, row, signed_hash)
            vouched = row.sequence
        expected, previous = expected + 1, row.hash
    checked = expected - anchor - 1
    last_signed = signed.last_head[0] if signed.last_head else 0
    if last_signed >= expected:
        problem = (
            f"entries #{expected} to #{last_signed} are missing: the end of the log was deleted "
            f"and its head moved back to #{expected - 1}, but #{last_signed} was signed"
        )
        return checked, expected, problem
    if expected <= head:
        problem = f"entries #{expected} to #{head} are missing: the end of the log was deleted"
        return checked, expected, problem
    if previous != chain.head_hash:
        problem = f"entry #{head} is not the entry that was appended as #{head}: it was edited"
        return checked - 1, head, problem
    if signed.problem:
        return vouched - anchor, vouched + 1, signed.problem
    if head > max(last_signed, anchor):
        first = max(last_signed, anchor) + 1
        problem = (
            f"entries #{first} to #{head} are not covered by a signed head: the signed-heads "
            "file was cut, or a writer stopped between its commit and its signature (the next "
            "append signs them); compare the file with its copies"
        )
        return first - anchor - 1, first, problem
    return checked, None, ""


def _rewritten(first: int, row: StoredEntry, signed_hash: str) -> str:
    """The problem of an entry rewritten with every later hash recomputed."""
    number = row.sequence
    which = (
        f"entry #{number} was" if first == number else f"one of entries #{first} to #{number} was"
    )
    return (
        f"{which} edited after it was signed, and the hashes after it recomputed: the head "
        f"signed as #{number} is {signed_hash[:16]}, the log now gives {row.hash[:16]}"
    )


def _entry_problem(row: StoredEntry, previous: str) -> str:
    number = row.sequence
    try:
        document = json.loads(row.entry)
    except ValueError:
        return f"entry #{number} is not valid JSON any more: it was edited"
    if not isinstance(document, dict):
        return f"entry #{number} is not an object any more: it was edited"
    if document.get("sequence") != number:
        return (
            f"entry #{number} holds the entry written as #{document.get('sequence')}: "
            "entries were reordered"
        )
    columns = {
        "at": instant(row.at),
        "user": row.user_name,
        "department": row.department,
        "action": row.action,
        "outcome": row.outcome,
        "subject_hash": row.subject_hash,
    }
    edited = [name for name, value in columns.items() if document.get(name) != value]
    if edited:
        return f"entry #{number} was edited: {', '.join(edited)} changed since it was appended"
    if chain_hash(previous, row.entry) != row.hash:
        return (
            f"entry #{number} does not match its hash, or does not follow from #{number - 1}: "
            "it, or an entry before it, was edited"
        )
    return ""
