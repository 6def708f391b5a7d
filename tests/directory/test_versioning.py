"""Every change is a version with who, when, a field-level diff and a reason; any version can
be shown and restored; saving over a newer version is a clear conflict, across processes too."""

from __future__ import annotations

import threading

import pytest

from directory.diff import FieldChange
from directory.entries import VersionKind
from directory.errors import EditConflict, NotFound, ValidationFailed
from directory.store import Directory, open_directory
from tests.directory.fixtures import ADMIN, entry, steward

MR = steward("mr")


@pytest.fixture
def created(directory: Directory) -> str:
    return directory.entries.create(entry(), MR, "新编目").code


def test_an_edit_is_a_version_with_a_field_level_diff(directory: Directory, created: str) -> None:
    items = entry()["data_items"]
    items[0]["length"] = 20
    items.append(
        {"name": "valid_until", "label": "有效期至", "type": "date", "description": "有效期"}
    )
    saved = directory.entries.patch(
        created,
        {"abstract": "新的摘要", "data_items": items, "sharing_methods": ["api", "file"]},
        1,
        MR,
        "补充有效期",
    )
    assert saved.version == 2 and saved.updated_by == "mr_steward"
    latest = directory.entries.history(created)[0]
    assert (latest.version, latest.kind, latest.author, latest.reason) == (
        2,
        VersionKind.edited,
        "mr_steward",
        "补充有效期",
    )
    assert latest.changes == [
        FieldChange("abstract", "市场监管部门核发的食品经营许可证信息", "新的摘要"),
        FieldChange("data_items[credit_code].length", 18, 20),
        FieldChange(
            "data_items[valid_until]",
            None,
            {
                "name": "valid_until",
                "label": "有效期至",
                "type": "date",
                "length": None,
                "description": "有效期",
                "classification": "public",
                "sharing_type": None,
            },
        ),
        FieldChange("sharing_methods", ["api"], ["api", "file"]),
    ]


def test_reordering_items_is_one_change(directory: Directory, created: str) -> None:
    items = list(reversed(entry()["data_items"]))
    saved = directory.entries.patch(created, {"data_items": items}, 1, MR, "reorder")
    assert saved.version == 2
    assert directory.entries.history(created)[0].changes == [
        FieldChange(
            "data_items.order",
            ["credit_code", "licence_no", "legal_rep_name"],
            ["legal_rep_name", "licence_no", "credit_code"],
        )
    ]


def test_an_edit_needs_a_reason_and_changes_nothing_when_equal(
    directory: Directory, created: str
) -> None:
    with pytest.raises(ValidationFailed) as failed:
        directory.entries.patch(created, {"abstract": "x"}, 1, MR, "  ")
    assert failed.value.problems[0].field == "reason"
    unchanged = directory.entries.patch(created, {"abstract": entry()["abstract"]}, 1, MR, "same")
    assert unchanged.version == 1 and len(directory.entries.history(created)) == 1


def test_show_and_restore_an_earlier_version(directory: Directory, created: str) -> None:
    directory.entries.patch(created, {"abstract": "第二版"}, 1, MR, "v2")
    directory.entries.patch(created, {"abstract": "第三版", "legal_basis": "《新法》"}, 2, MR, "v3")
    assert directory.entries.version(created, 2).document["abstract"] == "第二版"
    restored = directory.entries.restore(created, 1, 3, MR, "回到审核通过的版本")
    assert restored.version == 4
    assert restored.document.as_json() == entry()
    latest = directory.entries.history(created)[0]
    assert latest.kind is VersionKind.restored
    assert latest.reason == "restore version 1: 回到审核通过的版本"
    assert {c.field for c in latest.changes} == {"abstract", "legal_basis"}
    assert [v.version for v in directory.entries.history(created)] == [4, 3, 2, 1]
    with pytest.raises(NotFound, match="versions 1 to 4; there is no 9"):
        directory.entries.version(created, 9)


def test_saving_over_a_newer_version_is_a_conflict(directory: Directory, created: str) -> None:
    directory.entries.patch(created, {"abstract": "甲的修改"}, 1, MR, "甲")
    with pytest.raises(EditConflict) as conflict:
        directory.entries.patch(created, {"legal_basis": "乙的修改"}, 1, ADMIN, "乙")
    error = conflict.value
    assert (error.yours, error.current, error.fields) == (1, 2, ["abstract"])
    assert "mr_steward changed abstract" in error.message and "Reload" in error.message
    assert directory.entries.get(created).document.legal_basis == "《中华人民共和国食品安全法》"
    with pytest.raises(EditConflict):
        directory.entries.restore(created, 1, 1, MR, "stale restore")


def test_racing_writers_in_separate_connections_one_wins(
    directory: Directory, created: str
) -> None:
    # Eight editors, each with its own engine on the same file (as separate processes
    # would be), all saving over version 1: exactly one may succeed.
    editors = [open_directory() for _ in range(8)]
    outcomes: list[str] = []
    barrier = threading.Barrier(len(editors))

    def edit(n: int) -> None:
        barrier.wait()
        try:
            editors[n].entries.patch(created, {"abstract": f"editor {n}"}, 1, MR, f"race {n}")
            outcomes.append("saved")
        except EditConflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=edit, args=(n,)) for n in range(len(editors))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for editor in editors:
        editor.close()
    assert sorted(outcomes) == ["conflict"] * 7 + ["saved"]
    assert directory.entries.get(created).version == 2
    assert len(directory.entries.history(created)) == 2
