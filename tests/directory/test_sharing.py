"""Share requests under 国发〔2016〕51号: granted at once, approved, rejected, refused,
revoked, expired and overdue, every step recorded; and minimum necessary at the request: only
a service item the department handles, only the items its once-only map draws on."""

from __future__ import annotations

import datetime as dt

import pytest

from directory.actors import Actor, Role
from directory.errors import (
    InvalidState,
    NotFound,
    PermissionDenied,
    RequestRefused,
    ValidationFailed,
)
from directory.sharing import Action, RequestStatus, RequestView
from directory.store import Directory
from tests.directory.fixtures import ADMIN, SAMPLE_DAY, at, seeded, steward

MR, PS = steward("mr"), steward("ps")
ITEM = "4101000007"  # 药品零售企业经营许可 (mr): no requests in the sample
BASIS = "《药品经营和使用质量监督管理办法》"


# What ITEM's once-only map draws on, set up for these tests (the sample leaves it unmapped).
NEEDED = {
    "ps_population": ["id_number", "name", "household_no"],
    "tax_standing": ["credit_code", "credit_level"],
    "ca_subsidy": ["id_number"],
    "hrss_insurance": ["id_number"],
}


@pytest.fixture(autouse=True)
def mapped(sample: Directory) -> None:
    """药品零售企业经营许可 checks the applicant's identity and tax standing."""
    sample.services.set_mapping(
        ITEM,
        {
            "materials": [
                {
                    "name": f"证明材料{n}",
                    "replaced_by": [
                        {"resource": seeded(sample, contract), "item": item} for item in items
                    ],
                }
                for n, (contract, items) in enumerate(NEEDED.items())
            ]
        },
        ADMIN,
    )


def ask(
    directory: Directory,
    contract_id: str,
    items: list[str] | None,
    day: dt.date = SAMPLE_DAY,
    actor: Actor = MR,
    legal_basis: str = BASIS,
) -> RequestView:
    return directory.requests.submit(
        actor,
        "mr",
        seeded(directory, contract_id),
        ITEM,
        "核验申请人身份",
        legal_basis,
        items,
        at=at(day),
    )


def test_unconditional_data_is_granted_at_once(sample: Directory) -> None:
    request = ask(sample, "tax_standing", ["credit_code", "credit_level"])
    assert request.status is RequestStatus.granted
    assert (request.valid_from, request.valid_until, request.decided_by) == (
        SAMPLE_DAY,
        None,
        "system",
    )
    assert [e.action for e in request.events] == [Action.submitted, Action.granted]
    assert sample.grants.may_read("mr", request.resource_code, ["credit_level"], ITEM, SAMPLE_DAY)


def test_conditional_data_waits_for_the_provider_then_is_granted(sample: Directory) -> None:
    request = ask(sample, "ps_population", ["id_number", "name"])
    assert request.status is RequestStatus.pending
    assert request.provider_department == "ps"
    assert request.answer_due == dt.date(2026, 12, 4)  # 10 working days after Friday 20 Nov
    code = request.resource_code
    assert not sample.grants.may_read("mr", code, ["name"], ITEM, SAMPLE_DAY)
    with pytest.raises(PermissionDenied, match="only a steward of ps"):
        sample.requests.approve(request.id, MR, dt.date(2027, 11, 20), at=at(SAMPLE_DAY))
    with pytest.raises(ValidationFailed, match="valid_until"):
        sample.requests.approve(request.id, PS, SAMPLE_DAY, at=at(SAMPLE_DAY))
    granted = sample.requests.approve(
        request.id, PS, dt.date(2027, 11, 20), 300, "仅限核验", at=at(SAMPLE_DAY, 15)
    )
    assert (granted.status, granted.valid_until, granted.daily_quota) == (
        RequestStatus.granted,
        dt.date(2027, 11, 20),
        300,
    )
    assert [(e.action, e.actor) for e in granted.events] == [
        (Action.submitted, "mr_steward"),
        (Action.approved, "ps_steward"),
    ]
    assert "at most 300 reads a day; 仅限核验" in granted.events[1].note
    decision = sample.grants.check("mr", code, ["id_number"], ITEM, SAMPLE_DAY)
    assert (decision.allowed, decision.request_id, decision.daily_quota) == (True, request.id, 300)
    with pytest.raises(InvalidState, match="already granted"):
        sample.requests.reject(request.id, PS, "too late", at=at(SAMPLE_DAY))


def test_rejection_needs_a_reason_and_is_recorded(sample: Directory) -> None:
    request = ask(sample, "ps_population", ["id_number"])
    with pytest.raises(ValidationFailed, match="reason"):
        sample.requests.reject(request.id, PS, " ", at=at(SAMPLE_DAY))
    rejected = sample.requests.reject(request.id, PS, "事项不需要户籍信息", at=at(SAMPLE_DAY))
    assert rejected.status is RequestStatus.rejected and rejected.note == "事项不需要户籍信息"
    assert [e.action for e in rejected.events] == [Action.submitted, Action.rejected]
    assert not sample.grants.may_read("mr", rejected.resource_code, ["id_number"], ITEM, SAMPLE_DAY)


def test_not_shared_data_cannot_be_requested(sample: Directory) -> None:
    code = seeded(sample, "ps_population")
    view = sample.entries.get(code)
    items = [i.model_dump(mode="json") for i in view.document.data_items]
    for item in items:
        if item["name"] == "household_no":
            item["sharing_type"] = "not_shared"
    sample.entries.patch(code, {"data_items": items}, view.version, PS, "户号不予共享")
    with pytest.raises(RequestRefused) as refused:
        ask(sample, "ps_population", ["name", "household_no"])
    assert refused.value.code == "not_shared" and "household_no" in refused.value.message
    assert ask(sample, "ps_population", ["name"]).status is RequestStatus.pending
    subsidy = seeded(sample, "ca_subsidy")
    view = sample.entries.get(subsidy)
    sample.entries.patch(
        subsidy,
        {"sharing_type": "not_shared", "sharing_methods": []},
        view.version,
        steward("ca"),
        "不予共享",
    )
    with pytest.raises(RequestRefused, match="不予共享"):
        ask(sample, "ca_subsidy", None)
    assert sample.requests.list(status=RequestStatus.pending)[-1].resource_code == code


def test_requests_the_rules_refuse(sample: Directory) -> None:
    with pytest.raises(RequestRefused) as own:
        ask(sample, "mr_enterprise", ["name"])
    assert own.value.code == "own_resource"
    ask(sample, "ps_population", ["name"])
    with pytest.raises(RequestRefused) as duplicate:
        ask(sample, "ps_population", ["name"])
    assert duplicate.value.code == "duplicate_request"
    with pytest.raises(ValidationFailed) as invalid:
        ask(sample, "hrss_insurance", ["id_number", "salary"], legal_basis="")
    fields = {p.field: p for p in invalid.value.problems}
    assert "use: id_number, name" in fields["items[1]"].fix
    with pytest.raises(NotFound, match="service item"):
        sample.requests.submit(MR, "mr", seeded(sample, "ps_population"), "4109999999", "x", BASIS)
    with pytest.raises(PermissionDenied):
        ask(sample, "ps_population", ["name"], actor=Actor("clerk1", Role.clerk, "mr"))
    withdrawn = seeded(sample, "hrss_insurance")
    view = sample.entries.get(withdrawn)
    sample.entries.patch(withdrawn, {"status": "withdrawn"}, view.version, ADMIN, "停止共享")
    with pytest.raises(RequestRefused) as unpublished:
        ask(sample, "hrss_insurance", ["id_number"])
    assert unpublished.value.code == "not_published"


def test_conditional_requests_need_a_legal_basis(sample: Directory) -> None:
    with pytest.raises(ValidationFailed) as invalid:
        ask(sample, "ps_population", ["name"], legal_basis="")
    assert [p.field for p in invalid.value.problems] == ["legal_basis"]


def test_revoking_a_grant_stops_reads_at_once(sample: Directory) -> None:
    request = ask(sample, "tax_standing", ["credit_code", "credit_level"])
    assert sample.grants.may_read("mr", request.resource_code, ["credit_level"], ITEM, SAMPLE_DAY)
    with pytest.raises(PermissionDenied):
        sample.requests.revoke(request.id, PS, "not yours", at=at(SAMPLE_DAY))
    revoked = sample.requests.revoke(request.id, steward("tax"), "数据口径调整", at=at(SAMPLE_DAY))
    assert revoked.status is RequestStatus.revoked
    assert [e.action for e in revoked.events][-1] is Action.revoked
    assert not sample.grants.may_read(
        "mr", request.resource_code, ["credit_level"], ITEM, SAMPLE_DAY
    )
    with pytest.raises(InvalidState, match="only a granted request can be revoked"):
        sample.requests.revoke(request.id, steward("tax"), "again", at=at(SAMPLE_DAY))


def test_grants_expire(sample: Directory) -> None:
    request = ask(sample, "ps_population", ["name"])
    until = SAMPLE_DAY + dt.timedelta(days=10)
    sample.requests.approve(request.id, PS, until, at=at(SAMPLE_DAY))
    code = request.resource_code
    assert sample.grants.may_read("mr", code, ["name"], ITEM, until)
    assert not sample.grants.may_read("mr", code, ["name"], ITEM, until + dt.timedelta(days=1))
    assert sample.requests.expire_due(at(until)) == []
    after = until + dt.timedelta(days=1)
    assert sample.requests.get(request.id, today=after).status is RequestStatus.expired
    assert sample.requests.get(request.id, today=until).status is RequestStatus.granted
    expired = sample.requests.expire_due(at(until + dt.timedelta(days=1)))
    assert request.id in expired
    view = sample.requests.get(request.id)
    assert view.status is RequestStatus.expired
    assert (view.events[-1].action, view.events[-1].actor) == (Action.expired, "system")
    assert not sample.grants.may_read("mr", code, ["name"], ITEM, SAMPLE_DAY)


def test_overdue_against_ten_working_days_with_adjusted_days(sample: Directory) -> None:
    # Friday 26 Sep 2025: Sunday 28 Sep is a working day (调休), 1-8 Oct are holidays.
    request = ask(sample, "ps_population", ["name"], day=dt.date(2025, 9, 26))
    assert request.answer_due == dt.date(2025, 10, 16)
    on_time = sample.requests.get(request.id, today=dt.date(2025, 10, 16))
    assert (on_time.age_working_days, on_time.overdue) == (10, False)
    late = sample.requests.get(request.id, today=dt.date(2025, 10, 17))
    assert (late.age_working_days, late.overdue) == (11, True)
    answered = sample.requests.approve(
        request.id, PS, dt.date(2026, 12, 31), at=at(dt.date(2025, 10, 20))
    )
    assert (answered.age_working_days, answered.overdue) == (12, False)


def test_listing_incoming_and_outgoing(sample: Directory) -> None:
    outgoing = sample.requests.list("mr", "outgoing", today=SAMPLE_DAY)
    incoming = sample.requests.list("mr", "incoming", today=SAMPLE_DAY)
    assert outgoing and all(r.requester_department == "mr" for r in outgoing)
    assert incoming and all(r.provider_department == "mr" for r in incoming)
    overdue = [r for r in sample.requests.list(today=SAMPLE_DAY) if r.overdue]
    assert [(r.requester_department, r.status) for r in overdue] == [("ca", RequestStatus.pending)]


def test_a_request_asks_only_for_what_the_service_item_needs(sample: Directory) -> None:
    with pytest.raises(ValidationFailed) as surplus:
        ask(sample, "tax_standing", ["credit_code", "in_arrears", "tax_authority"])
    problems = {p.field: p for p in surplus.value.problems}
    assert set(problems) == {"items[1]", "items[2]"}
    assert "does not need in_arrears (minimum necessary)" in problems["items[1]"].message
    assert (
        problems["items[1]"].fix
        == "leave it out; the service item needs: credit_code, credit_level"
    )
    with pytest.raises(ValidationFailed) as whole:
        ask(sample, "tax_standing", None)
    (problem,) = whole.value.problems
    assert problem.field == "items" and "name the items it needs" in problem.fix
    with pytest.raises(ValidationFailed) as unmapped:
        ask(sample, "hpf_account", ["balance"])
    assert unmapped.value.problems[0].field == "service_item_code"
    assert "needs nothing of" in unmapped.value.problems[0].message
    assert sample.requests.list(status=RequestStatus.pending) == [
        r for r in sample.requests.list(status=RequestStatus.pending) if r.service_item_code != ITEM
    ]
    assert ask(sample, "tax_standing", ["credit_level"]).status is RequestStatus.granted


def test_a_department_asks_only_for_service_items_it_handles(sample: Directory) -> None:
    # 个人所得税综合所得汇算清缴 is the tax office's: market regulation cannot ask for its data.
    with pytest.raises(RequestRefused) as refused:
        sample.requests.submit(
            MR, "mr", seeded(sample, "ps_population"), "4101000037", "核验", BASIS, ["name"]
        )
    assert refused.value.code == "service_item_not_handled"
    assert "handled by tax, not mr" in refused.value.message
