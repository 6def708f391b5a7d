"""Whose record waits in open quarantine: publishing stores each quarantined row's subject key
normalised, and the reader indexes that key as it is, never normalising it again."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from pipelines.certify.publish import publish, publish_changes
from snapshot.manifest import current_version
from snapshot.reader import open_snapshot
from tests.pipelines.certify.support import Pool, people, person

T1 = dt.datetime(2026, 11, 20, 9, 0)
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
RULE = "ps_population.gender_matches_id"


@pytest.fixture
def pool(tmp_path: Path) -> Pool:
    return Pool(tmp_path)


def _delivered_untidily(pool: Pool) -> str:
    """Deliver a resident whose row breaks a rule, the ID number written in full-width digits
    with spaces around it; returns the number as the pipelines normalise it."""
    wrong_gender = person(sequence="203", gender="女")
    key = wrong_gender[0]
    wrong_gender[0] = f" {key.translate(FULL_WIDTH)} "
    report = pool.deliver([*people(2), wrong_gender], now=T1)
    assert report.rows_quarantined == 1
    return key


def _published_subject_keys(serving: Path) -> list[tuple[object, ...]]:
    published = current_version(serving)
    assert published is not None
    with duckdb.connect(str(published.path), read_only=True) as con:
        return con.execute(
            "SELECT raw ->> 'id_number', subject_key FROM quality.quarantine"
        ).fetchall()


def test_the_published_quarantine_key_is_normalised(pool: Pool, tmp_path: Path) -> None:
    key = _delivered_untidily(pool)
    serving = tmp_path / "serving"
    with pool.connect() as con:
        publish(con, Path(pool.resource.certified_path), serving)

    ((delivered, subject_key),) = _published_subject_keys(serving)
    assert delivered != key and subject_key == key
    snapshot = open_snapshot(serving)
    rules = snapshot.quarantine_rules("ps_population", key)
    assert rules is not None and rules.startswith(RULE)
    assert snapshot.quarantine_rules("ps_population", str(delivered)) is None


def test_a_database_certified_before_subject_keys_gets_them_when_published(
    pool: Pool, tmp_path: Path
) -> None:
    key = _delivered_untidily(pool)
    with pool.connect() as con:  # as an older version wrote it
        con.execute("ALTER TABLE certified.quality.quarantine DROP COLUMN subject_key")
    serving = tmp_path / "serving"
    with pool.connect() as con:
        publish(con, Path(pool.resource.certified_path), serving)

    assert [row[1] for row in _published_subject_keys(serving)] == [key]
    assert open_snapshot(serving).quarantine_rules("ps_population", key) is not None


def test_a_version_of_an_older_format_is_read_and_published_again(
    pool: Pool, tmp_path: Path
) -> None:
    key = _delivered_untidily(pool)
    serving = tmp_path / "serving"
    with pool.connect() as con:
        publish(con, Path(pool.resource.certified_path), serving)
    published = current_version(serving)
    assert published is not None
    with duckdb.connect(str(published.path)) as con:  # as an older version published it
        con.execute("ALTER TABLE quality.quarantine DROP COLUMN subject_key")
    manifest = serving / "current.json"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace(', "format": 2', ""), encoding="utf-8"
    )

    old = open_snapshot(serving)
    assert old.quarantine == {} and old.rows("ps_population", people(1)[0][0])
    with pool.connect() as con:
        again = publish_changes(con, Path(pool.resource.certified_path), serving)
        assert again is not None and again.version == published.version + 1
        assert publish_changes(con, Path(pool.resource.certified_path), serving) is None
    assert open_snapshot(serving).quarantine_rules("ps_population", key) is not None
