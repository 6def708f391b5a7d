"""The lifecycle: every forbidden status change is refused by the rule and by the store (so by
the API, the command line and the console, which all save through it), naming the allowed
next states, and nothing is written; a restore or an import cannot take a published entry
back to draft either."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

import pytest

from directory.lifecycle import ALLOWED, TransitionRefused, allowed_next, refusal
from directory.model import Status
from directory.store import Directory
from directory.tabular import TableFormat, export_table
from directory.tabular_import import import_table
from tests.directory.fixtures import ADMIN, entry

FORBIDDEN = [
    (old, new)
    for old, new in itertools.product(Status, Status)
    if old is not new and new not in ALLOWED[old]
]
REPLACEMENT = "302009/000009"


def test_the_table_covers_every_status_and_published_only_moves_on() -> None:
    assert set(ALLOWED) == set(Status)
    assert allowed_next(Status.published) == (Status.deprecated, Status.withdrawn)
    assert allowed_next(Status.withdrawn) == ()
    assert len(FORBIDDEN) == 11
    for status in Status:
        assert refusal(status, status) is None


@pytest.mark.parametrize(("old", "new"), FORBIDDEN, ids=lambda s: s.value)
def test_every_forbidden_transition_is_refused_by_the_rule(old: Status, new: Status) -> None:
    problem = refusal(old, new)
    assert problem is not None and problem.field == "status"
    assert f"a {old.value} entry cannot become {new.value}" in problem.message
    named = ", ".join(s.value for s in allowed_next(old)) or "none"
    assert f"(allowed next states: {named})" in problem.message


@pytest.mark.parametrize(("old", "new"), FORBIDDEN, ids=lambda s: s.value)
def test_every_forbidden_transition_is_refused_by_the_store(
    directory: Directory, old: Status, new: Status
) -> None:
    directory.entries.create(entry(REPLACEMENT, name="替代资源"), ADMIN, "t")
    start = {"status": old.value, "replaced_by": REPLACEMENT if old is Status.deprecated else None}
    code = directory.entries.create(entry(**start), ADMIN, "t").code
    target = {"status": new.value, "replaced_by": REPLACEMENT if new is Status.deprecated else None}
    with pytest.raises(TransitionRefused) as refused:
        directory.entries.patch(code, target, 1, ADMIN, "试图改变状态")
    assert refused.value.code == "invalid_transition"
    assert [p.field for p in refused.value.problems] == ["status"]
    assert "allowed next states" in refused.value.message
    after = directory.entries.get(code)
    assert (after.version, after.document.status) == (1, old)


def test_allowed_transitions_save(directory: Directory) -> None:
    directory.entries.create(entry(REPLACEMENT, name="替代资源"), ADMIN, "t")
    code = directory.entries.create(entry(status="draft"), ADMIN, "t").code
    path = [
        {"status": "in_review"},
        {"status": "published"},
        {"status": "deprecated", "replaced_by": REPLACEMENT},
        {"status": "withdrawn", "replaced_by": None},
    ]
    for version, fields in enumerate(path, start=1):
        saved = directory.entries.patch(code, fields, version, ADMIN, "推进")
        assert saved.document.status.value == fields["status"]
    assert directory.entries.get(code).version == 5


def test_restore_cannot_take_a_published_entry_back_to_draft(directory: Directory) -> None:
    code = directory.entries.create(entry(status="draft"), ADMIN, "t").code
    directory.entries.patch(code, {"status": "published"}, 1, ADMIN, "发布")
    with pytest.raises(TransitionRefused, match="cannot become draft"):
        directory.entries.restore(code, 1, 2, ADMIN, "退回")
    assert directory.entries.get(code).version == 2


def test_import_reports_a_forbidden_transition_at_its_cell(
    directory: Directory, tmp_path: Path
) -> None:
    code = directory.entries.create(entry(), ADMIN, "t").code
    path = tmp_path / "catalogue.csv"
    export_table(directory.entries.all(), path, TableFormat.csv)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(handle))
    for row in table[1:]:
        row[table[0].index("状态")] = "草稿"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(table)
    for dry_run in (True, False):
        report = import_table(directory.db, path, ADMIN, "退回草稿", dry_run)
        assert [(e.row, e.column) for e in report.errors] == [(2, "状态")]
        assert "a published entry cannot become draft" in report.errors[0].reason
        assert "deprecated, withdrawn" in report.errors[0].reason
        assert not report.applied
    assert directory.entries.get(code).version == 1
