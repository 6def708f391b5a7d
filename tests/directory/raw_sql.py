"""SQL run on the directory's database behind the code's back, as someone with access to it
could: on SQLite and PostgreSQL alike, with `?` placeholders, committed at the end."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import CursorResult, create_engine
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from directory.store import Directory
from directory.tables import Base


class RawConnection:
    """`execute` as sqlite3's, on any backend."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._format = connection.dialect.paramstyle in ("format", "pyformat")

    def execute(self, statement: str, parameters: Sequence[Any] = ()) -> CursorResult[Any]:
        if self._format:
            statement = statement.replace("%", "%%").replace("?", "%s")
        if not parameters:
            return self._connection.exec_driver_sql(statement.replace("%%", "%"))
        return self._connection.exec_driver_sql(statement, tuple(parameters))


@contextmanager
def connect(directory: Directory) -> Iterator[RawConnection]:
    """A connection of its own to `directory`'s database, in one transaction."""
    engine = create_engine(directory.db.url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            yield RawConnection(connection)
    finally:
        engine.dispose()


def stores(directory: Directory, text: str) -> bool:
    """Whether `text` is anywhere in `directory`'s database: in the SQLite file's bytes, or
    in any row of any table on PostgreSQL."""
    if directory.db.url.get_backend_name() == "sqlite":
        path = directory.db.url.database
        assert path is not None
        return text.encode() in Path(path).read_bytes()
    with connect(directory) as connection:
        return any(
            connection.execute(
                f"SELECT count(*) FROM {table.name} t WHERE t::text LIKE ?", (f"%{text}%",)
            ).scalar()
            for table in Base.metadata.sorted_tables
        )
