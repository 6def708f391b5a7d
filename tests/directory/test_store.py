"""The store: a real SQLite file in WAL mode or a PostgreSQL database, migrated by Alembic on
open, down and up again."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text

import settings
from directory import migrations
from directory.db import Database, downgrade, upgrade
from directory.errors import ValidationFailed
from directory.store import Directory, open_directory
from directory.tables import Base, Entry


@pytest.mark.sqlite_only
def test_default_url_is_a_file_under_onceonly_home(onceonly_home: Path) -> None:
    assert settings.current().directory_url == f"sqlite:///{onceonly_home / 'directory.sqlite'}"


@pytest.mark.sqlite_only
def test_url_from_the_environment(onceonly_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = onceonly_home / "other" / "dir.sqlite"
    monkeypatch.setenv("ONCEONLY_DIRECTORY_URL", f"sqlite:///{elsewhere}")
    opened = open_directory()
    assert elsewhere.exists()
    opened.close()


@pytest.mark.sqlite_only
def test_the_file_is_in_wal_mode(directory: Directory, onceonly_home: Path) -> None:
    assert (onceonly_home / "directory.sqlite").exists()
    with directory.db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_opening_migrates_to_head(directory: Directory) -> None:
    with directory.db.engine.connect() as connection:
        newest = sorted((Path(migrations.__file__).parent / "versions").glob("0*.py"))[-1]
        assert MigrationContext.configure(connection).get_current_revision() == newest.name[:4]
        tables = set(inspect(connection).get_table_names())
    assert {
        "catalogue_entries",
        "entry_versions",
        "share_requests",
        "users",
        "api_tokens",
    } <= tables


def test_the_migrations_build_exactly_the_models(directory: Directory) -> None:
    # A model changed without a migration (or the reverse) shows up here as a diff.
    with directory.db.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_the_migrations_go_down_to_nothing_and_up_again(onceonly_home: Path) -> None:
    database = Database(settings.current().directory_url)  # at head
    try:
        for _ in range(2):
            downgrade(database, "base")
            with database.engine.connect() as connection:
                assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
                assert MigrationContext.configure(connection).get_current_revision() is None
            upgrade(database)
            with database.engine.connect() as connection:
                context = MigrationContext.configure(connection)
                assert compare_metadata(context, Base.metadata) == []
    finally:
        database.dispose()


def test_reopening_and_a_second_process_share_the_file(directory: Directory) -> None:
    directory.sync_contracts()
    other = open_directory()
    try:
        assert [e.code for e in other.entries.all()] == [e.code for e in directory.entries.all()]
    finally:
        other.close()


def test_the_migrations_compile_for_postgresql() -> None:
    # No PostgreSQL server here: render the migration as PostgreSQL DDL (Alembic's offline
    # mode) to show that the same history builds the production schema.
    config = Config()
    config.set_main_option("script_location", "directory:migrations")
    output = io.StringIO()
    context = MigrationContext.configure(
        dialect_name="postgresql", opts={"as_sql": True, "output_buffer": output}
    )
    with Operations.context(context):
        history = ScriptDirectory.from_config(config).walk_revisions("base", "heads")
        for script in reversed(list(history)):  # oldest first
            script.module.upgrade()
    ddl = output.getvalue()
    assert "document JSONB NOT NULL" in ddl
    assert "requested_at TIMESTAMP WITH TIME ZONE NOT NULL" in ddl
    assert ddl.count("CREATE TABLE") == len(Base.metadata.tables)


@pytest.mark.postgresql
def test_a_nul_character_is_invalid_input_on_postgresql(directory: Directory) -> None:
    # PostgreSQL's text cannot hold U+0000 (SQLite's can): a code or text holding one, from
    # a request or a file, is refused as input, not a server error.
    with pytest.raises(ValidationFailed, match="NUL character"), directory.db.read() as session:
        session.execute(select(Entry).where(Entry.code == "\x00"))
    with pytest.raises(ValidationFailed, match="NUL character"), directory.db.write() as session:
        session.execute(select(Entry).where(Entry.code == "301001/\x00"))
