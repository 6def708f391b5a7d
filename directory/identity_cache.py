"""Authenticated tokens held in memory, dropped the moment any user or token changes.

Every API request authenticates its bearer token. Looking the token up through the ORM cost
about a tenth of a prefill's CPU, for an answer that changes a few times a day. So the users
behind tokens are kept by token hash, valid for one generation of the `identity_changes`
counter, which every identity write moves on in its own transaction, whichever process makes
it (the API, or the CLI's `onceonly token revoke` on the same database). A request reads the
counter (one primary-key SELECT on a connection kept for it, a few microseconds on SQLite;
a reader never waits for a writer in WAL mode) and, when it has moved, forgets every cached
token: a revoke or a disable takes effect on the very next request.
"""

from __future__ import annotations

import threading
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine, update

from directory.tables import IdentityChange

_GENERATION = "SELECT generation FROM identity_changes WHERE id = 1"
# Moves the counter on; run inside every transaction that writes users or tokens.
BUMP = (
    update(IdentityChange)
    .where(IdentityChange.id == 1)
    .values(generation=IdentityChange.generation + 1)
)
MAX_CACHED = 10_000  # tokens; past this the cache starts over (bounds memory, not speed)

V = TypeVar("V")


class GenerationProbe:
    """Reads the identity counter on a DBAPI connection of its own, kept open.

    Through SQLAlchemy a read costs a pool checkout, a transaction and a statement compile,
    several times the query itself; a raw cursor is the cheap way. The connection reads in
    autocommit on SQLite (the engine's connect hook hands transaction control to us) and is
    rolled back after each read elsewhere, so every read sees the newest committed counter.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Any = None
        self._lock = threading.Lock()

    def read(self) -> int:
        with self._lock:
            if self._connection is None:
                self._connection = self._engine.raw_connection()
            try:
                cursor = self._connection.cursor()
                try:
                    cursor.execute(_GENERATION)
                    rows = cursor.fetchall()
                finally:
                    cursor.close()
                self._connection.rollback()
            except Exception:
                # A broken connection (server restart) is dropped; the next read reconnects.
                self._connection.invalidate()
                self._connection = None
                raise
            return int(rows[0][0])

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


class GenerationCache(Generic[V]):
    """Values by key, valid while the identity counter stays where it was when they were read.

    `lookup` returns the generation it saw with the value; `store` keeps a value only if the
    counter has not moved since: a value read from the database after the counter was read
    cannot be older than that generation, so nothing stale survives a change.
    """

    def __init__(self, probe: GenerationProbe) -> None:
        self._probe = probe
        self._values: dict[str, V] = {}
        self._generation: int | None = None
        self._lock = threading.Lock()

    def lookup(self, key: str) -> tuple[int, V | None]:
        generation = self._probe.read()
        with self._lock:
            if generation != self._generation:
                self._values, self._generation = {}, generation
            return generation, self._values.get(key)

    def store(self, generation: int, key: str, value: V) -> None:
        with self._lock:
            if generation != self._generation:
                return
            if len(self._values) >= MAX_CACHED:
                self._values = {}
            self._values[key] = value
