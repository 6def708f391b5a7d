"""`onceonly audit` against a real directory, on SQLite and PostgreSQL: list with filters,
verify (and its exit status once an entry is deleted in SQL), prune inside and outside the
retention period."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from directory.actors import Role
from directory.audit import AuditEvent
from directory.store import Directory, open_directory
from directory.workdays import CHINA
from onceonly_cli.main import app
from tests.directory.audit_attacks import rewrite_from, truncate_tail
from tests.directory.raw_sql import connect

pytestmark = pytest.mark.usefixtures("backend")
runner = CliRunner()
PERSON = "11010519491231002X"
OLD = dt.datetime(2019, 3, 1, 9, tzinfo=CHINA)


@pytest.fixture
def directory(onceonly_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Directory]:
    opened = open_directory()
    opened.identity.create_user("ops.admin", Role.admin, "gsc")
    monkeypatch.setenv("ONCEONLY_CLI_USER", "ops.admin")
    read = AuditEvent(
        at=OLD,
        user="zhang.min",
        department="mr",
        role="clerk",
        action="prefill",
        outcome="served",
        service_item="4101000001",
        case_no="GSC-2019-000001",
        subject_hash=opened.audit.subject_hash(PERSON),
        resources=("ps_population",),
        items=("name",),
    )
    opened.audit.append_many(
        [
            read,
            dataclasses.replace(read, at=OLD + dt.timedelta(days=1), outcome="refused", items=()),
            dataclasses.replace(read, at=dt.datetime.now(CHINA), user="li.na", subject_hash=None),
        ]
    )
    yield opened
    opened.close()


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


@pytest.mark.parametrize("command", [[], ["list"], ["verify"], ["prune"]])
def test_help_everywhere(command: list[str]) -> None:
    assert "Usage" in run("audit", *command, "--help")


def test_list_with_filters(directory: Directory) -> None:
    listed = run("audit", "list", "--subject", PERSON.lower())
    assert "2 entries" in listed and "#2  2019-03-02 09:00:00  zhang.min (clerk, mr)" in listed
    assert PERSON not in listed and "ps_population: name" in listed
    served = run("audit", "list", "--user", "zhang.min", "--outcome", "served")
    assert "#1  2019-03-01" in served and "#2" not in served
    assert "#3" in run("audit", "list", "--since", "2020-01-01", "--action", "prefill")
    assert "0 entries" in run("audit", "list", "--until", "2019-02-28")
    assert "1 entries" in run("audit", "list", "--until", "2019-03-01", "--department", "mr")
    logged = directory.audit.entries(action="audit.read")
    assert len(logged) == 5 and logged[0].user == "ops.admin"


def test_verify_and_its_exit_status(directory: Directory) -> None:
    assert "ok: 3 entries hold up; head #3" in run("audit", "verify")
    with connect(directory) as connection:
        connection.execute("DELETE FROM audit_entries WHERE sequence = 2")
    broken = runner.invoke(app, ["audit", "verify"])
    assert broken.exit_code == 1 and "BROKEN at entry #2" in broken.output
    assert "deleted" in broken.output


def test_prune(directory: Directory) -> None:
    inside = runner.invoke(app, ["audit", "prune", "--before", "2025-01-01"])
    assert inside.exit_code == 1 and "inside the retention period of 1825 days" in inside.output
    assert "pruned 2 entries from before 2020-01-01" in run(
        "audit", "prune", "--before", "2020-01-01"
    )
    assert "pruned 0 entries" in run("audit", "prune")  # default: the retention limit
    assert "ok:" in run("audit", "verify")
    assert [e.action for e in directory.audit.entries()][:2] == ["audit.read", "audit.prune"]


def test_verify_reports_a_cut_off_tail_and_a_rewritten_chain(directory: Directory) -> None:
    for _ in range(3):  # entries #4 to #6, each signed on its own
        directory.audit.append(directory.audit.entries(limit=1)[0])
    assert "signed up to #6" in run("audit", "verify")  # which appends #7
    truncate_tail(directory, keep=5)
    cut = runner.invoke(app, ["audit", "verify"])
    assert cut.exit_code == 1 and "BROKEN at entry #6" in cut.output
    assert "entries #6 to #7 are missing" in cut.output


def test_verify_reports_an_entry_rewritten_with_every_later_hash(directory: Directory) -> None:
    rewrite_from(directory, 2, outcome="served")
    rewritten = runner.invoke(app, ["audit", "verify"])
    assert rewritten.exit_code == 1 and "BROKEN at entry #1" in rewritten.output
    assert "one of entries #1 to #3 was edited after it was signed" in rewritten.output


def test_reading_and_pruning_need_a_named_user_with_the_role(
    directory: Directory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ONCEONLY_CLI_USER")
    nobody = runner.invoke(app, ["audit", "list"])
    assert nobody.exit_code == 1 and "give --as USER" in nobody.output
    directory.identity.create_user("chen.audit", Role.auditor, "gsc")
    assert "entries" in run("audit", "verify", "--as", "chen.audit")
    refused = runner.invoke(app, ["audit", "prune", "--as", "chen.audit"])
    assert refused.exit_code == 1
    assert "chen.audit is an auditor of gsc and may not prune the audit log" in refused.output
    assert [e.user for e in directory.audit.entries(action="audit.read")] == ["chen.audit"]
    assert directory.audit.entries(action="audit.prune") == []
