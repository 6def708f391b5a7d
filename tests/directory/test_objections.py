"""Data objections on a private copy of the sample directory: filing and its checks, the
provider steward's queue with ages in working days, resolution rules and steps, and the
in-memory flags for answers staying current across processes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import event

from directory.actors import Actor, Role
from directory.errors import (
    InvalidState,
    NotFound,
    PermissionDenied,
    RequestRefused,
    ValidationFailed,
)
from directory.objections import Objections, ObjectionStatus
from directory.store import Directory
from tests.directory.fixtures import ADMIN, SAMPLE_DAY, at, steward

PERSON = "11010519491231002X"
FIRM = "91350100M000100Y43"
CLERK = Actor("zhang.min", Role.clerk, "mr")
MONDAY = dt.date(2026, 11, 16)


def filing(directory: Directory, **changes: Any) -> dict[str, Any]:
    subject = changes.pop("subject_key", PERSON)
    fields: dict[str, Any] = {
        "subject_key": subject,
        "subject_hash": directory.audit.subject_hash(subject),
        "resource": "ps_population",
        "item": "name",
        "claimed_value": "张伟",
        "note": "申请人户口簿记载为“张伟”",
        "service_item": "4101000001",
        "case_no": "GSC-2026-000123",
    }
    return {**fields, **changes}


def test_file_queue_and_resolve(sample: Directory) -> None:
    objections = sample.objections
    first = objections.file(CLERK, **filing(sample), at=at(MONDAY))
    assert (first.provider_department, first.status, first.resource_name) == (
        "ps",
        ObjectionStatus.open,
        "人口基本信息",
    )
    second = objections.file(
        CLERK,
        **filing(sample, item="address", claimed_value="福州市鼓楼区"),
        at=at(MONDAY, 15),
    )
    queue = objections.queue("ps", today=SAMPLE_DAY)
    assert [(o.id, o.age_working_days) for o in queue] == [(first.id, 4), (second.id, 4)]
    assert objections.queue("mr") == []
    flags = objections.open_items(sample.audit.subject_hash(PERSON.lower()))
    assert {k: [v.id for v in views] for k, views in flags.items()} == {
        ("ps_population", "name"): [first.id],
        ("ps_population", "address"): [second.id],
    }
    assert objections.open_items(sample.audit.subject_hash(FIRM)) == {}

    for other in (steward("mr"), ADMIN, CLERK, Actor("ps.clerk", Role.clerk, "ps")):
        with pytest.raises(PermissionDenied, match="only a steward of ps"):
            objections.resolve(first.id, other, "rejected", "no")
    with pytest.raises(ValidationFailed, match="a rejection needs a reason"):
        objections.resolve(first.id, steward("ps"), "rejected", " ")
    with pytest.raises(ValidationFailed, match="use corrected_at_source or rejected"):
        objections.resolve(first.id, steward("ps"), "open", "")
    rejected = objections.resolve(
        first.id, steward("ps"), "rejected", "户籍档案核查无误", at=at(SAMPLE_DAY)
    )
    assert (rejected.status, rejected.resolved_by, rejected.age_working_days) == (
        ObjectionStatus.rejected,
        "ps_steward",
        4,
    )
    assert [(e.action, e.actor, e.note) for e in rejected.events] == [
        ("filed", "zhang.min", "申请人户口簿记载为“张伟”"),
        ("rejected", "ps_steward", "户籍档案核查无误"),
    ]
    with pytest.raises(InvalidState, match="already rejected"):
        objections.resolve(first.id, steward("ps"), "corrected_at_source", "")
    corrected = objections.resolve(second.id, steward("ps"), "corrected_at_source", "")
    assert corrected.status is ObjectionStatus.corrected_at_source
    assert objections.open_items(first.subject_hash) == {}
    assert objections.queue("ps") == []
    everything = objections.queue("ps", status=None)
    assert [o.status for o in everything] == [
        ObjectionStatus.rejected,
        ObjectionStatus.corrected_at_source,
    ]
    assert [o.id for o in objections.queue("ps", ObjectionStatus.rejected)] == [first.id]
    with pytest.raises(NotFound, match="no objection #999"):
        objections.get(999)


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"subject_key": "110105194912310021"}, "subject_key", "校验码"),
        ({"subject_hash": "0" * 64}, "subject_hash", "does not belong"),
        ({"resource": "ps_people"}, "resource", "use one of: ca_marriage"),
        ({"item": "nam"}, "item", "use one of: id_number, name"),
        ({"claimed_value": " "}, "claimed_value", "missing"),
        ({"case_no": ""}, "case_no", "missing"),
    ],
)
def test_filing_is_checked(
    sample: Directory, changes: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(ValidationFailed) as failed:
        sample.objections.file(CLERK, **filing(sample, **changes))
    assert [p.field for p in failed.value.problems] == [field]
    assert words in str(failed.value)


def test_who_may_file_and_duplicates(sample: Directory) -> None:
    objections = sample.objections
    for role in (Role.analyst, Role.auditor, Role.admin):
        with pytest.raises(PermissionDenied, match="may not file data objections"):
            objections.file(Actor("someone", role, "gsc"), **filing(sample))
    with pytest.raises(NotFound, match="no service item 4199999999"):
        objections.file(CLERK, **filing(sample, service_item="4199999999"))
    filed = objections.file(steward("hrss"), **filing(sample, subject_key=PERSON.lower()))
    assert filed.subject_key == PERSON and filed.filed_department == "hrss"
    with pytest.raises(RequestRefused, match=f"objection #{filed.id} already claims"):
        objections.file(CLERK, **filing(sample))
    other_claim = objections.file(CLERK, **filing(sample, claimed_value="张 伟"))
    flagged = objections.open_items(filed.subject_hash)[("ps_population", "name")]
    assert [v.id for v in flagged] == [filed.id, other_claim.id]


def test_flags_follow_changes_made_elsewhere_and_come_from_memory(sample: Directory) -> None:
    # A second index on the same file stands in for another API process.
    elsewhere = Objections(sample.db, sample.audit.subject_hash, max_age=0.0)
    subject = sample.audit.subject_hash(PERSON)
    assert elsewhere.open_items(subject) == {}
    filed = sample.objections.file(CLERK, **filing(sample))
    assert [v.id for v in elsewhere.open_items(subject)[("ps_population", "name")]] == [filed.id]
    sample.objections.resolve(filed.id, steward("ps"), "corrected_at_source", "已更正")
    assert elsewhere.open_items(subject) == {}

    # Between refreshes the flags come from memory: no statement reaches the database.
    remembering = Objections(sample.db, sample.audit.subject_hash, max_age=3600.0)
    sample.objections.file(CLERK, **filing(sample))
    assert len(remembering.open_items(subject)[("ps_population", "name")]) == 1
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(sample.db.engine, "before_cursor_execute", listener)
    try:
        for _ in range(1_000):
            remembering.open_items(subject)
    finally:
        event.remove(sample.db.engine, "before_cursor_execute", listener)
    assert statements == []
