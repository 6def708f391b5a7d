"""Catalogue entries with their full history: every save is a version with a field-level
diff, an author and a reason, and saving is optimistic-locked on the version number.

The lock is a conditional UPDATE (`WHERE version = :expected`), so it holds across processes
and on PostgreSQL under READ COMMITTED, not only inside one Python process.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from directory.actors import Actor
from directory.db import Database
from directory.diff import FieldChange, diff
from directory.errors import EditConflict, NotFound, Problem, ValidationFailed
from directory.lifecycle import check_transition
from directory.model import EntryDocument, Status
from directory.tables import Entry, EntryVersion
from directory.validation import validate_entry


class VersionKind(StrEnum):
    created = "created"
    edited = "edited"
    restored = "restored"
    contract = "contract"
    imported = "imported"


@dataclass(frozen=True)
class EntryView:
    document: EntryDocument
    version: int
    updated_at: dt.datetime
    updated_by: str

    @property
    def code(self) -> str:
        return self.document.code


@dataclass(frozen=True)
class VersionView:
    code: str
    version: int
    kind: VersionKind
    author: str
    reason: str
    created_at: dt.datetime
    changes: list[FieldChange]
    document: dict[str, Any]


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _view(row: Entry) -> EntryView:
    return EntryView(
        EntryDocument.model_validate(row.document), row.version, row.updated_at, row.updated_by
    )


def _version_view(row: EntryVersion) -> VersionView:
    return VersionView(
        row.code,
        row.version,
        VersionKind(row.kind),
        row.author,
        row.reason,
        row.created_at,
        [FieldChange.from_json(c) for c in row.changes],
        row.document,
    )


def _require_reason(reason: str) -> None:
    if not reason.strip():
        raise ValidationFailed(
            [Problem("reason", "no reason given", "say why you make this change")], "the edit"
        )


def _exists_in(session: Session) -> Any:
    return lambda code: session.get(Entry, code) is not None


def write_new(
    session: Session, raw: Mapping[str, Any], author: str, reason: str, kind: VersionKind
) -> EntryView:
    """Insert a new entry as version 1 inside the caller's transaction."""
    document = validate_entry(raw, _exists_in(session))
    if session.get(Entry, document.code) is not None:
        raise ValidationFailed(
            [
                Problem(
                    "code",
                    f"{document.code} is already in the catalogue",
                    "edit that entry, or choose a free sequence number",
                )
            ],
            f"entry {document.code}",
        )
    data = document.as_json()
    at = now()
    row = Entry(
        code=document.code,
        name=document.name,
        provider_department=document.provider_department,
        sharing_type=document.sharing_type.value,
        status=document.status.value,
        contract_id=document.contract_id,
        version=1,
        document=data,
        updated_at=at,
        updated_by=author,
    )
    session.add(row)
    session.add(
        EntryVersion(
            code=document.code,
            version=1,
            kind=kind.value,
            document=data,
            changes=[c.as_json() for c in diff(None, data)],
            reason=reason,
            author=author,
            created_at=at,
        )
    )
    session.flush()
    return _view(row)


def write_version(
    session: Session,
    code: str,
    raw: Mapping[str, Any],
    expected_version: int,
    author: str,
    reason: str,
    kind: VersionKind,
) -> EntryView:
    """Save `raw` as the next version of `code` if it is still at `expected_version`."""
    row = _current(session, code)
    if row.version != expected_version:
        raise _conflict(session, code, expected_version, row.version)
    document = validate_entry(raw, _exists_in(session))
    if document.code != code:
        raise ValidationFailed(
            [
                Problem(
                    "code",
                    f"the code cannot change ({code} -> {document.code})",
                    "create a new entry and deprecate this one instead",
                )
            ],
            f"entry {code}",
        )
    check_transition(code, Status(row.status), document.status)
    data = document.as_json()
    changes = diff(row.document, data)
    if not changes:
        return _view(row)
    at = now()
    result = session.execute(
        update(Entry)
        .where(Entry.code == code, Entry.version == expected_version)
        .values(
            name=document.name,
            provider_department=document.provider_department,
            sharing_type=document.sharing_type.value,
            status=document.status.value,
            contract_id=document.contract_id,
            version=expected_version + 1,
            document=data,
            updated_at=at,
            updated_by=author,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise _conflict(session, code, expected_version, expected_version + 1)
    session.add(
        EntryVersion(
            code=code,
            version=expected_version + 1,
            kind=kind.value,
            document=data,
            changes=[c.as_json() for c in changes],
            reason=reason,
            author=author,
            created_at=at,
        )
    )
    session.flush()
    session.expire(row)
    return _view(_current(session, code))


def _current(session: Session, code: str) -> Entry:
    row = session.get(Entry, code)
    if row is None:
        raise NotFound(f"no entry {code} in the catalogue; search for it by name first")
    return row


def _conflict(session: Session, code: str, yours: int, current: int) -> EditConflict:
    newer = session.scalars(
        select(EntryVersion)
        .where(EntryVersion.code == code, EntryVersion.version > yours)
        .order_by(EntryVersion.version)
    ).all()
    fields = list(dict.fromkeys(c["field"] for v in newer for c in v.changes))
    authors = ", ".join(dict.fromkeys(v.author for v in newer)) or "someone"
    return EditConflict(code, yours, current, authors, fields)


class EntryStore:
    """Reads and optimistic-locked writes of catalogue entries."""

    def __init__(self, db: Database, on_change: Callable[[], None] = lambda: None) -> None:
        self._db = db
        self._on_change = on_change

    def get(self, code: str) -> EntryView:
        with self._db.read() as session:
            return _view(_current(session, code))

    def exists(self, code: str) -> bool:
        with self._db.read() as session:
            return session.get(Entry, code) is not None

    def all(self) -> list[EntryView]:
        with self._db.read() as session:
            return [_view(r) for r in session.scalars(select(Entry).order_by(Entry.code))]

    def many(self, codes: Sequence[str]) -> list[EntryView]:
        """The entries of `codes` that exist, in code order (one query, for exports)."""
        with self._db.read() as session:
            rows = session.scalars(select(Entry).where(Entry.code.in_(codes)).order_by(Entry.code))
            return [_view(r) for r in rows]

    def by_contract(self, contract_id: str) -> EntryView | None:
        with self._db.read() as session:
            row = session.scalars(select(Entry).where(Entry.contract_id == contract_id)).first()
            return _view(row) if row else None

    def create(self, raw: Mapping[str, Any], actor: Actor, reason: str) -> EntryView:
        _require_reason(reason)
        actor.require(str(raw.get("provider_department", "")), "create this department's entries")
        with self._db.write() as session:
            view = write_new(session, raw, actor.name, reason, VersionKind.created)
        self._on_change()
        return view

    def save(
        self,
        code: str,
        raw: Mapping[str, Any],
        expected_version: int,
        actor: Actor,
        reason: str,
        kind: VersionKind = VersionKind.edited,
    ) -> EntryView:
        """Replace the whole document; `expected_version` is the version the editor loaded."""
        _require_reason(reason)
        with self._db.write() as session:
            current = _view(_current(session, code))
            actor.require(current.document.provider_department, f"edit entry {code}")
            actor.require(str(raw.get("provider_department", "")), "hand an entry to them")
            view = write_version(session, code, raw, expected_version, actor.name, reason, kind)
        self._on_change()
        return view

    def patch(
        self,
        code: str,
        fields: Mapping[str, Any],
        expected_version: int,
        actor: Actor,
        reason: str,
    ) -> EntryView:
        """Change only the given top-level fields (a whole `data_items` list counts as one)."""
        current = self.get(code)
        merged = {**current.document.as_json(), **fields}
        return self.save(code, merged, expected_version, actor, reason)

    def history(self, code: str) -> list[VersionView]:
        with self._db.read() as session:
            _current(session, code)
            rows = session.scalars(
                select(EntryVersion)
                .where(EntryVersion.code == code)
                .order_by(EntryVersion.version.desc())
            )
            return [_version_view(r) for r in rows]

    def version(self, code: str, version: int) -> VersionView:
        with self._db.read() as session:
            row = session.scalars(
                select(EntryVersion).where(
                    EntryVersion.code == code, EntryVersion.version == version
                )
            ).first()
            if row is None:
                latest = _current(session, code).version
                raise NotFound(f"entry {code} has versions 1 to {latest}; there is no {version}")
            return _version_view(row)

    def restore(
        self, code: str, version: int, expected_version: int, actor: Actor, reason: str
    ) -> EntryView:
        """Save an earlier version's document as the newest version (history is never lost)."""
        old = self.version(code, version)
        return self.save(
            code,
            old.document,
            expected_version,
            actor,
            f"restore version {version}: {reason}" if reason.strip() else "",
            VersionKind.restored,
        )
