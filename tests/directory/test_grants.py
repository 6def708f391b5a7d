"""The grant check: may department D read items I of resource R for service item S on day T?"""

from __future__ import annotations

import datetime as dt

from directory.grants import GrantIndex
from directory.sharing import RequestStatus
from directory.store import Directory, open_directory
from tests.directory.fixtures import ADMIN, SAMPLE_DAY, at, seeded, steward

ITEM = "4101000001"  # 企业设立登记 (mr), granted ps_population's items in the sample


def test_the_sample_grant_answers_exactly_what_it_covers(sample: Directory) -> None:
    people = seeded(sample, "ps_population")
    granted = sample.grants.check("mr", people, ["id_number", "name"], ITEM, SAMPLE_DAY)
    assert granted.allowed and granted.daily_quota == 5000
    request = sample.requests.get(granted.request_id or 0, SAMPLE_DAY)
    assert (request.requester_department, request.service_item_code) == ("mr", ITEM)
    wider = sample.grants.check("mr", people, ["id_number", "household_no"], ITEM, SAMPLE_DAY)
    assert not wider.allowed and "does not cover household_no" in wider.reason
    other_item = sample.grants.check("mr", people, ["name"], "4101000003", SAMPLE_DAY)
    assert not other_item.allowed and "submit a share request" in other_item.reason
    other_department = sample.grants.check("ca", people, ["name"], ITEM, SAMPLE_DAY)
    assert not other_department.allowed
    assert request.valid_from is not None
    early = sample.grants.check("mr", people, ["name"], ITEM, request.valid_from - dt.timedelta(1))
    assert not early.allowed and "starts on" in early.reason


def test_a_provider_reads_its_own_data_and_nobody_reads_withdrawn_data(sample: Directory) -> None:
    people = seeded(sample, "ps_population")
    assert sample.grants.check("ps", people, ["household_no"], "4101000009", SAMPLE_DAY).allowed
    assert not sample.grants.check("mr", "399999/000001", ["x"], ITEM, SAMPLE_DAY).allowed
    view = sample.entries.get(people)
    sample.entries.patch(people, {"status": "withdrawn"}, view.version, ADMIN, "停止共享")
    decision = sample.grants.check("mr", people, ["name"], ITEM, SAMPLE_DAY)
    assert not decision.allowed and "withdrawn" in decision.reason


def test_the_index_follows_changes_made_by_other_processes(sample: Directory) -> None:
    people = seeded(sample, "ps_population")
    index = GrantIndex(sample.db, max_age=0.0)
    assert index.may_read("mr", people, ["name"], ITEM, SAMPLE_DAY)
    granted = index.check("mr", people, ["name"], ITEM, SAMPLE_DAY).request_id
    other = open_directory()
    try:
        other.requests.revoke(granted or 0, steward("ps"), "核查中暂停", at=at(SAMPLE_DAY))
    finally:
        other.close()
    assert not index.may_read("mr", people, ["name"], ITEM, SAMPLE_DAY)
    assert sample.requests.get(granted or 0).status is RequestStatus.revoked
