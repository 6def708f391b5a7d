"""The statements that append to the audit chain, run through Core or straight on the driver.

An append moves the chain's head (conditionally, from where this process left it, or after
reading it under lock) and inserts the entries. `prune` does that inside its own Core
transaction (`CoreAppender`). The writer thread does it for every read the exchange answers,
and there SQLAlchemy's per-execution work (about 140 us of CPU per group commit, three times
SQLite's own) was the largest single cost of a prefill; so the same Core statements are
compiled once for the engine's dialect, SQL, parameter style and type conversions included,
and run on the writer's DBAPI cursor (`DriverAppender`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, cast

from sqlalchemy import ClauseElement, Connection, Dialect, bindparam, insert, select, update
from sqlalchemy.sql.compiler import SQLCompiler

from directory.tables import AuditChain, AuditEntry

CHAIN = 1  # id of the one chain row
CHAIN_ROW = select(
    AuditChain.head_sequence,
    AuditChain.head_hash,
    AuditChain.anchor_sequence,
    AuditChain.anchor_hash,
).where(AuditChain.id == CHAIN)
HEAD = CHAIN_ROW.with_for_update()  # the write lock on PostgreSQL; SQLite ignores it
MOVE_HEAD = update(AuditChain).where(AuditChain.id == CHAIN)
# Moves the head only from where this process last left it: a match proves no other process
# appended in between (and takes the row lock on PostgreSQL), so the head need not be read.
MOVE_HEAD_FROM = MOVE_HEAD.where(
    AuditChain.head_sequence == bindparam("old_sequence"),
    AuditChain.head_hash == bindparam("old_hash"),
)
INSERT = insert(AuditEntry)
ENTRY_COLUMNS = [c.key for c in AuditEntry.__table__.columns]
HEAD_COLUMNS = ["head_sequence", "head_hash"]

Head = tuple[int, str]  # (sequence, hash) of the newest entry


class Appender(Protocol):
    """The four steps of an append, inside a write transaction the caller holds."""

    def move_head_from(self, old: Head, new: Head) -> bool: ...

    def head(self) -> Head: ...

    def move_head(self, new: Head) -> None: ...

    def insert(self, rows: list[dict[str, object]]) -> None: ...


def _moves(old: Head, new: Head) -> dict[str, object]:
    return {
        "old_sequence": old[0],
        "old_hash": old[1],
        "head_sequence": new[0],
        "head_hash": new[1],
    }


class CoreAppender:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def move_head_from(self, old: Head, new: Head) -> bool:
        return bool(self._connection.execute(MOVE_HEAD_FROM, _moves(old, new)).rowcount)

    def head(self) -> Head:
        current = self._connection.execute(HEAD).one()
        return current.head_sequence, current.head_hash

    def move_head(self, new: Head) -> None:
        self._connection.execute(MOVE_HEAD, {"head_sequence": new[0], "head_hash": new[1]})

    def insert(self, rows: list[dict[str, object]]) -> None:
        self._connection.execute(INSERT, rows)


class DriverStatement:
    """A Core statement compiled for one dialect, with its parameters converted as Core would
    (bind processors, e.g. aware timestamps to SQLite's UTC text) and laid out in the driver's
    parameter style."""

    def __init__(
        self, statement: ClauseElement, dialect: Dialect, column_keys: list[str] | None = None
    ) -> None:
        compiled = cast(SQLCompiler, statement.compile(dialect=dialect, column_keys=column_keys))
        self.sql = compiled.string
        self._compiled = compiled
        self._processors = {
            name: process
            for name, bind in compiled.binds.items()
            if (process := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
        }
        self._order = compiled.positiontup if compiled.positional else None

    def parameters(self, values: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        bound = dict(self._compiled.construct_params(dict(values)) or {})
        for name, process in self._processors.items():
            bound[name] = process(bound[name])
        return [bound[name] for name in self._order] if self._order is not None else bound


class DriverStatements:
    """The append's statements for one dialect, compiled once per writer."""

    def __init__(self, dialect: Dialect) -> None:
        self.move_head_from = DriverStatement(MOVE_HEAD_FROM, dialect, HEAD_COLUMNS)
        self.head = DriverStatement(HEAD, dialect)
        self.move_head = DriverStatement(MOVE_HEAD, dialect, HEAD_COLUMNS)
        self.insert = DriverStatement(INSERT, dialect, ENTRY_COLUMNS)


class DriverAppender:
    def __init__(self, cursor: Any, statements: DriverStatements) -> None:
        self._cursor = cursor
        self._statements = statements

    def move_head_from(self, old: Head, new: Head) -> bool:
        statement = self._statements.move_head_from
        self._cursor.execute(statement.sql, statement.parameters(_moves(old, new)))
        return bool(self._cursor.rowcount)

    def head(self) -> Head:
        statement = self._statements.head
        self._cursor.execute(statement.sql, statement.parameters({}))
        row = self._cursor.fetchall()[0]
        return int(row[0]), str(row[1])

    def move_head(self, new: Head) -> None:
        statement = self._statements.move_head
        values = {"head_sequence": new[0], "head_hash": new[1]}
        self._cursor.execute(statement.sql, statement.parameters(values))

    def insert(self, rows: list[dict[str, object]]) -> None:
        statement = self._statements.insert
        self._cursor.executemany(statement.sql, [statement.parameters(r) for r in rows])
