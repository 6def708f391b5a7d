"""Engine, sessions and automatic migration for the directory database.

SQLite is the embedded default and must be safe with the API and the pipelines writing from
different processes: WAL lets readers run beside one writer, a busy timeout makes writers
queue instead of failing, and write transactions start with BEGIN IMMEDIATE so that a
read-then-write (every optimistic-locked edit) takes the write lock up front rather than
failing with SQLITE_BUSY when another writer got there in between. PostgreSQL needs none
of that.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import PoolProxiedConnection

from directory.errors import Problem, ValidationFailed

_WRITE = "onceonly_write"
_BUSY_TIMEOUT_SECONDS = 30


class Database:
    """One engine per URL, with read and write sessions; migrated to head when opened."""

    def __init__(self, url: str) -> None:
        self.url = driver_url(url)
        self.engine = _create_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        upgrade(self)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; rolled back at the end, so it can never write by accident."""
        with self._sessions() as session, _refusing_nul_text():
            try:
                yield session
            finally:
                session.rollback()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session committed on success and rolled back on any exception."""
        with self._sessions() as session, _refusing_nul_text():
            session.connection(execution_options={_WRITE: True})
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def write_connection(self) -> Iterator[Connection]:
        """A Core connection in a write transaction (migrations use it)."""
        with self.engine.connect() as connection:
            connection = connection.execution_options(**{_WRITE: True})
            with connection.begin():
                yield connection

    def driver_connection(self) -> PoolProxiedConnection:
        """A DBAPI connection to keep, for a long-lived writer that runs its own statements
        (the audit log's); begin each of its write transactions with `begin_driver_write`."""
        return self.engine.raw_connection()

    def begin_driver_write(self, cursor: Any) -> None:
        """Begin a write transaction on a DBAPI cursor as `write` does: BEGIN IMMEDIATE on
        SQLite, whose driver is left in autocommit; other drivers begin implicitly."""
        if self.engine.dialect.name == "sqlite":
            cursor.execute("BEGIN IMMEDIATE")

    def dispose(self) -> None:
        self.engine.dispose()


@contextmanager
def _refusing_nul_text() -> Iterator[None]:
    """PostgreSQL's text holds no NUL character (SQLite's does), and its driver refuses to send
    one even to compare: such a value, from a request or a file, is refused as invalid input
    (nothing was written) rather than failing as a server error."""
    try:
        yield
    except DataError as error:
        if "NUL (0x00)" not in str(error.orig):
            raise
        problem = Problem(
            "text", "holds a NUL character (U+0000)", "remove it: no code or text holds one"
        )
        raise ValidationFailed([problem], "the input") from error


def driver_url(url: str) -> URL:
    """`url` with the driver the project ships: a bare `postgresql://` means psycopg 3 (the
    one in the lock), where SQLAlchemy would otherwise look for psycopg2."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    return parsed


def _create_engine(url: str) -> Engine:
    parsed = driver_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": _BUSY_TIMEOUT_SECONDS})
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "begin", _begin_sqlite_transaction)
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control away from the sqlite3 driver (it would not BEGIN before
    # SELECT or DDL); `_begin_sqlite_transaction` emits BEGIN itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _begin_sqlite_transaction(connection: Connection) -> None:
    write = connection.get_execution_options().get(_WRITE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _alembic_config() -> Config:
    config = Config()
    # A package resource, so the migrations ship inside the installed `directory` package.
    config.set_main_option("script_location", "directory:migrations")
    return config


def upgrade(database: Database) -> None:
    """Bring the schema to the newest migration; a no-op (one SELECT) when already there."""
    config = _alembic_config()
    head = ScriptDirectory.from_config(config).get_current_head()
    with database.engine.connect() as connection:
        if MigrationContext.configure(connection).get_current_revision() == head:
            return
    # Under the write lock, so two processes opening a new file migrate it once.
    with database.write_connection() as connection:
        if MigrationContext.configure(connection).get_current_revision() == head:
            return
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def downgrade(database: Database, revision: str) -> None:
    """Take the schema back to `revision` (`base`: no table left), to undo an upgrade; the
    next open migrates to head again."""
    config = _alembic_config()
    with database.write_connection() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
