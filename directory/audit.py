"""The audit log: every read of subject data and every refusal, appended, queried and pruned.

The chain that makes it tamper-evident (canonical form, hash, the walk `verify` does) is
`directory.audit_chain`, pure functions this module feeds from the database. Why the log is
built this way:
- Subjects appear only as a keyed hash (HMAC-SHA256 of the normalised key), so the log can
  answer "who read my data" without holding raw ID numbers; a leaked log cannot be reversed
  by hashing all 18-digit numbers without the key. The key comes from ONCEONLY_AUDIT_KEY or
  is generated once under $ONCEONLY_HOME/keys/; every process writing one log must use the
  same key, so set the variable when the API runs on more than one host.
- One chain row records the newest entry (cutting off the end of the log shows) and the
  anchor `prune` leaves (retention deletes old entries without breaking the chain).
- Fast enough to sit on every read: appends are queued to one writer thread per process,
  which commits everything queued meanwhile in one short Core transaction (group commit, see
  `directory.audit_writer`); the caller waits until its events are committed, asynchronously
  if it likes (`submit`). Processes queue on the database (BEGIN IMMEDIATE on SQLite, the
  locked chain row on PostgreSQL), which is also what keeps the sequence and the chain
  without gaps.
- Nothing edits or deletes an entry except `prune`, which refuses to run on a log that does
  not verify (it would erase the evidence) or inside the retention period.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import threading
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, delete, func, select
from sqlalchemy.pool import PoolProxiedConnection

import settings
from contracts.keys import check_subject_key
from contracts.keys.id_number import clean_key
from directory.actors import SYSTEM, Actor
from directory.audit_chain import (
    OUTCOMES,
    AuditEvent,
    AuditRecord,
    AuditVerification,
    chained,
    record_of,
    walk,
)
from directory.audit_statements import (
    CHAIN_ROW,
    HEAD,
    MOVE_HEAD,
    Appender,
    CoreAppender,
    DriverAppender,
    DriverStatements,
)
from directory.audit_witness import ANCHOR, Witness
from directory.audit_witness import HEAD as SIGNED_HEAD
from directory.audit_writer import GroupWriter
from directory.db import Database
from directory.entries import now
from directory.errors import InvalidState, Problem, ValidationFailed
from directory.key_files import keys_dir, stored_secret
from directory.tables import AuditEntry

__all__ = [  # the events are the chain's; callers take them from the log they append to
    "AuditEvent",
    "AuditLog",
    "AuditRecord",
    "AuditVerification",
    "actor_event",
    "audit_key",
    "counting_appends",
    "retention_days",
]

_RECORD = select(AuditEntry.sequence, AuditEntry.entry, AuditEntry.hash)


@dataclass
class AppendTally:
    """How many events were submitted while `counting_appends` was active."""

    count: int = 0


_tally: ContextVar[AppendTally | None] = ContextVar("onceonly_audit_tally", default=None)


@contextlib.contextmanager
def counting_appends() -> Iterator[AppendTally]:
    """Count the events submitted in this context (and the threads and tasks it starts), so
    that whoever handles a request can tell whether anything in it was logged: the API's
    refusal layer logs a refusal only when the route did not."""
    tally = AppendTally()
    token = _tally.set(tally)
    try:
        yield tally
    finally:
        _tally.reset(token)


def actor_event(
    actor: Actor,
    action: str,
    outcome: str,
    *,
    at: dt.datetime | None = None,
    subject_hash: str | None = None,
    resources: Sequence[str] = (),
    items: Sequence[str] = (),
    reason: str = "",
    request_id: str = "",
) -> AuditEvent:
    """An event by `actor`, now, for actions that are not tied to a service item and case."""
    return AuditEvent(
        at=at or now(),
        user=actor.name,
        department=actor.department,
        role=actor.role.value,
        action=action,
        outcome=outcome,
        subject_hash=subject_hash,
        resources=tuple(resources),
        items=tuple(items),
        reason=reason,
        request_id=request_id,
    )


def retention_days() -> int:
    """ONCEONLY_AUDIT_RETENTION_DAYS (default 1825): entries younger than this are never pruned."""
    try:
        return settings.current().audit_retention_days
    except settings.SettingError as error:
        problem = Problem(error.variable, error.problem, error.fix)
        raise ValidationFailed([problem], "the audit settings") from error


def audit_key() -> bytes:
    """The HMAC key for subject hashes: ONCEONLY_AUDIT_KEY, else `$ONCEONLY_HOME/keys/audit.key`."""
    configured = settings.current().audit_key
    if configured:
        return configured.encode("utf-8")
    return stored_secret(keys_dir() / "audit.key")


class AuditLog:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._lock = threading.Lock()
        self._key: bytes | None = None
        self._head: tuple[int, str] | None = None  # (sequence, hash) after our last append
        self._writer = GroupWriter(db, self._commit)
        self._witness = Witness()
        self._statements: DriverStatements | None = None

    def subject_hash(self, key: str) -> str:
        """The keyed hash of a subject key, normalised first so that every spelling of one
        person or organisation (15-digit ID, lower-case x, full-width digits) hashes alike."""
        checked = check_subject_key(key)
        return self.normal_subject_hash(
            checked.value if checked.value is not None else clean_key(key)
        )

    def normal_subject_hash(self, normal: str) -> str:
        """`subject_hash` of a key `check_subject_key` has already normalised, without checking
        it again (the API normalises every key it is given before reading, and the check cost
        more than the hash)."""
        if self._key is None:
            self._key = audit_key()
        return hmac.new(self._key, normal.encode("utf-8"), hashlib.sha256).hexdigest()

    def append(self, event: AuditEvent) -> int:
        """Append one event; returns its sequence number."""
        return self.append_many([event])[0]

    def append_many(self, events: Iterable[AuditEvent]) -> list[int]:
        """Append events atomically, all or none (concurrent callers may share a transaction);
        returns their sequence numbers, which are consecutive."""
        return self.submit(events).result()

    def submit(self, events: Iterable[AuditEvent]) -> Future[list[int]]:
        """Queue events for the writer thread: the future resolves to their sequence numbers
        once they are committed, or fails with the error that kept them out of the log. An
        async caller awaits it with `asyncio.wrap_future`, holding no thread while it waits."""
        batch = list(events)
        problems = [p for n, e in enumerate(batch) for p in _problems(e, n, len(batch))]
        if problems:
            raise ValidationFailed(problems, "the audit event")
        tally = _tally.get()
        if tally is not None:
            tally.count += len(batch)
        if not batch:
            done: Future[list[int]] = Future()
            done.set_result([])
            return done
        return self._writer.submit(batch)

    def close(self) -> None:
        """Commit what is queued and stop the writer thread."""
        self._writer.close()

    def entries(
        self,
        *,
        user: str | None = None,
        department: str | None = None,
        subject_hash: str | None = None,
        action: str | None = None,
        outcome: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        limit: int | None = 100,
        offset: int = 0,
    ) -> list[AuditRecord]:
        """Entries matching every filter given, newest first; `since` inclusive, `until` not."""
        conditions: list[ColumnElement[bool]] = []
        for column, value in (
            (AuditEntry.user_name, user),
            (AuditEntry.department, department),
            (AuditEntry.subject_hash, subject_hash),
            (AuditEntry.action, action),
            (AuditEntry.outcome, outcome),
        ):
            if value is not None:
                conditions.append(column == value)
        if since is not None:
            conditions.append(AuditEntry.at >= since)
        if until is not None:
            conditions.append(AuditEntry.at < until)
        query = _RECORD.where(*conditions).order_by(AuditEntry.sequence.desc())
        with self._db.read() as session:
            rows = session.execute(query.limit(limit).offset(offset)).all()
        return [record_of(row) for row in rows]

    def reads_of(self, subject_hash: str) -> list[AuditRecord]:
        """Who read this subject's data, newest first: served or partly served entries that
        returned items (refusals and item-less actions read nothing)."""
        query = _RECORD.where(
            AuditEntry.subject_hash == subject_hash, AuditEntry.outcome != "refused"
        ).order_by(AuditEntry.sequence.desc())
        with self._db.read() as session:
            records = [record_of(row) for row in session.execute(query)]
        return [r for r in records if r.items]

    def verify(self) -> AuditVerification:
        """Recompute the chain from the anchor to the head; the first entry that does not
        hold up is reported with what is wrong with it."""
        with self._snapshot() as connection:
            with self._witness.shared():  # every head committed by now is signed by now
                chain = connection.execute(CHAIN_ROW).one()
                signed = self._witness.read()
            rows = connection.execute(
                select(
                    AuditEntry.sequence,
                    AuditEntry.entry,
                    AuditEntry.hash,
                    AuditEntry.at,
                    AuditEntry.user_name,
                    AuditEntry.department,
                    AuditEntry.action,
                    AuditEntry.outcome,
                    AuditEntry.subject_hash,
                )
                .where(AuditEntry.sequence > chain.anchor_sequence)
                .order_by(AuditEntry.sequence)
                .execution_options(yield_per=2000)
            )
            checked, bad, problem = walk(rows, chain, signed)
        last_signed = signed.last_head[0] if signed.last_head else 0
        return AuditVerification(
            bad is None,
            checked,
            bad,
            problem,
            chain.head_sequence,
            chain.head_hash,
            last_signed,
        )

    def prune(
        self, before: dt.datetime, actor: Actor = SYSTEM, at: dt.datetime | None = None
    ) -> int:
        """Delete the oldest entries, those before `before` (retention), and keep the chain
        verifiable by recording the last deleted entry's sequence and hash as the anchor.
        The prune itself is logged. Returns how many entries were deleted."""
        at = at or now()
        days = retention_days()
        cutoff = at - dt.timedelta(days=days)
        if before.tzinfo is None or before > cutoff:
            raise ValidationFailed(
                [
                    Problem(
                        "before",
                        f"{before:%Y-%m-%d} is inside the retention period of {days} days",
                        f"give a day on or before {cutoff:%Y-%m-%d}, "
                        f"or lower {settings.AUDIT_RETENTION_ENV}",
                    )
                ],
                "the prune",
            )
        check = self.verify()
        if not check.ok:
            raise InvalidState(
                f"the audit log does not verify ({check.problem}); investigate before pruning, "
                "which would delete the evidence",
                "audit_broken",
            )
        with self._lock, self._witness.exclusive():
            pruned = self._prune(before, actor, at)
        return pruned

    def _prune(self, before: dt.datetime, actor: Actor, at: dt.datetime) -> int:
        """`prune`'s transaction, then its signatures: the new start of the log (a recorded,
        signed truncation of its oldest end, which `verify` accepts) and the new head."""
        anchor: tuple[int, str] | None = None
        with self._db.write_connection() as connection:
            chain = connection.execute(HEAD).one()
            first_kept = connection.scalar(
                select(func.min(AuditEntry.sequence)).where(
                    AuditEntry.sequence > chain.anchor_sequence, AuditEntry.at >= before
                )
            )
            last = chain.head_sequence if first_kept is None else first_kept - 1
            pruned = last - chain.anchor_sequence
            reason = f"retention: nothing before {before:%Y-%m-%d}"
            if pruned > 0:
                anchor_hash = connection.scalar(
                    select(AuditEntry.hash).where(AuditEntry.sequence == last)
                )
                connection.execute(delete(AuditEntry).where(AuditEntry.sequence <= last))
                connection.execute(
                    MOVE_HEAD,
                    {"anchor_sequence": last, "anchor_hash": anchor_hash, "anchored_at": at},
                )
                reason = (
                    f"retention: pruned {pruned} entries before {before:%Y-%m-%d}; "
                    f"anchor #{last} {anchor_hash}"
                )
                anchor = (last, str(anchor_hash))
            self._write(
                CoreAppender(connection),
                [actor_event(actor, "audit.prune", "served", at=at, reason=reason)],
            )
        if anchor is not None:
            self._witness.sign(ANCHOR, anchor)
        assert self._head is not None
        self._witness.sign(SIGNED_HEAD, self._head)
        return pruned

    def _commit(self, connection: PoolProxiedConnection, events: list[AuditEvent]) -> list[int]:
        """One group of the writer thread, in one transaction on its DBAPI connection (see
        `directory.audit_statements`); the lock keeps `prune` from moving the head meanwhile."""
        if self._statements is None:
            self._statements = DriverStatements(self._db.engine.dialect)
        with self._lock, self._witness.exclusive():
            cursor = connection.cursor()
            try:
                self._db.begin_driver_write(cursor)
                sequences = self._write(DriverAppender(cursor, self._statements), events)
                connection.commit()
            except BaseException:
                connection.rollback()
                raise
            finally:
                cursor.close()
            assert self._head is not None
            self._witness.sign(SIGNED_HEAD, self._head)  # see directory.audit_witness
        return sequences

    def _write(self, appender: Appender, events: list[AuditEvent]) -> list[int]:
        """Chain `events` after the head, insert them and move the head, in the caller's
        write transaction. The head this process left is tried first (one statement fewer on
        the hot path); when another process appended since, the head is read under lock."""
        moved = False
        if self._head is not None:
            rows, head = chained(self._head, events)
            moved = appender.move_head_from(self._head, head)
        if not moved:
            rows, head = chained(appender.head(), events)
            appender.move_head(head)
        appender.insert(rows)
        # Only a guess for the next append: if this transaction rolls back, the conditional
        # move above simply fails to match and the head is read.
        self._head = head
        return list(range(head[0] - len(rows) + 1, head[0] + 1))

    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[Connection]:
        """One consistent view of the log for `verify`: a read transaction already is one in
        SQLite's WAL mode; PostgreSQL needs REPEATABLE READ (by default each statement of a
        transaction sees the appends committed before it started)."""
        with self._db.engine.connect() as connection:
            if connection.dialect.name != "sqlite":
                connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                yield connection


def _problems(event: AuditEvent, index: int, count: int) -> list[Problem]:
    where = f"events[{index}]." if count > 1 else ""
    problems = []
    if event.at.tzinfo is None:
        problems.append(
            Problem(f"{where}at", "the time has no time zone", "pass an aware datetime")
        )
    if event.outcome not in OUTCOMES:
        problems.append(
            Problem(
                f"{where}outcome",
                f"unknown outcome {event.outcome!r}",
                f"use {', '.join(OUTCOMES)}",
            )
        )
    for name in ("user", "department", "role", "action"):
        if not getattr(event, name):
            problems.append(Problem(f"{where}{name}", f"no {name}", "say who did what"))
    return problems
