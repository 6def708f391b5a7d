"""The conflict queue's decisions: one per conflict, by the other provider's steward only."""

from __future__ import annotations

import dataclasses

import pytest

from directory.actors import Actor, Role
from directory.conflict_resolutions import ConflictOutcome, ConflictRef
from directory.errors import InvalidState, PermissionDenied, ValidationFailed
from directory.store import Directory

REF = ConflictRef(
    item="person.name",
    subject_hash="ab" * 32,
    authoritative_resource="ps_population",
    other_resource="hpf_account",
    department="hpf",
    batch="batch-1",
)
HPF = Actor("hpf.steward", Role.steward, "hpf")


def test_a_steward_of_the_other_provider_settles_it_once(directory: Directory) -> None:
    assert directory.conflicts.of([REF.conflict_id]) == {}
    view = directory.conflicts.resolve(REF, HPF, "corrected_at_source", " 已通知公积金中心更正 ")
    assert (view.outcome, view.note, view.resolved_by) == (
        ConflictOutcome.corrected_at_source,
        "已通知公积金中心更正",
        "hpf.steward",
    )
    assert directory.conflicts.of([REF.conflict_id, "other"]) == {REF.conflict_id: view}
    assert directory.conflicts.settled_by_resource() == {"hpf_account": 1}
    with pytest.raises(InvalidState, match=r"already settled by hpf\.steward"):
        directory.conflicts.resolve(REF, HPF, "explained", "再次")
    later = dataclasses.replace(REF, batch="batch-2")  # the same disagreement found again
    assert later.conflict_id != REF.conflict_id
    directory.conflicts.resolve(later, HPF, "explained", "姓名曾依法变更，档案保留原名")
    assert directory.conflicts.settled_by_resource() == {"hpf_account": 2}


@pytest.mark.parametrize(
    "actor",
    [
        Actor("ps.steward", Role.steward, "ps"),  # the authoritative side
        Actor("centre_admin", Role.admin, "gsc"),  # admins read no subject data
        Actor("hpf.clerk", Role.clerk, "hpf"),
    ],
)
def test_no_one_else_may(directory: Directory, actor: Actor) -> None:
    with pytest.raises(PermissionDenied, match="only a steward of hpf"):
        directory.conflicts.resolve(REF, actor, "explained", "不是我们的")
    assert directory.conflicts.of([REF.conflict_id]) == {}


def test_an_outcome_and_a_text_are_required(directory: Directory) -> None:
    with pytest.raises(ValidationFailed) as refused:
        directory.conflicts.resolve(REF, HPF, "ignored", "  ")
    assert [p.field for p in refused.value.problems] == ["outcome", "note"]
