"""The authorisation matrix: every role x sharing type x grant state x item needed or not x
service item handled by the caller's department or not.

Grants come from a real directory (the sample, with one request revoked for the test); every
cell that must be refused is refused, with a reason code. Subject data goes to clerks only,
for service items their department handles: a steward of the provider reads nothing here.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.exchange.access import RefusalCode, decide
from directory.actors import Role
from directory.model import SharingType
from directory.store import Directory
from tests.api.conftest import exchange_home
from tests.directory.fixtures import open_sample, steward

PEOPLE = "301001/000001"  # 人口基本信息, provided by ps
WITH_GRANT = "4101000004"  # mr holds an approved grant on PEOPLE for this item
WITHOUT_GRANT = "4101000035"  # and none for this one
REVOKED = "4101000001"  # revoked below


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Iterator[Directory]:
    with exchange_home(tmp_path_factory, "access", backend) as home:
        opened = open_sample(tmp_path_factory.getbasetemp(), home)
        request = next(
            r
            for r in opened.requests.list("mr", "outgoing")
            if r.resource_code == PEOPLE and r.service_item_code == REVOKED
        )
        opened.requests.revoke(request.id, steward("ps"), "测试：撤销授权")
        yield opened
        opened.close()


GRANTS = {  # grant state -> (service item, day of the read)
    "present": (WITH_GRANT, dt.date.today()),
    "absent": (WITHOUT_GRANT, dt.date.today()),
    "expired": (WITH_GRANT, dt.date.today() + dt.timedelta(days=800)),
    "revoked": (REVOKED, dt.date.today()),
}
CALLERS = [
    (Role.clerk, "mr"),
    (Role.clerk, "ps"),
    (Role.steward, "ps"),
    (Role.steward, "mr"),
    (Role.analyst, "gsc"),
    (Role.auditor, "gsc"),
    (Role.admin, "gsc"),
]


def expected(
    role: Role, department: str, sharing: SharingType, grant: str, needed: bool, handled: bool
) -> bool:
    if role is not Role.clerk or not needed or not handled:
        return False
    if department == "ps":
        return True
    if sharing is SharingType.unconditional:
        return True
    return sharing is SharingType.conditional and grant == "present"


@pytest.mark.parametrize(
    ("caller", "sharing", "grant", "needed", "handled"),
    list(itertools.product(CALLERS, SharingType, GRANTS, [True, False], [True, False])),
    ids=lambda v: getattr(v, "value", str(v)),
)
def test_matrix(
    directory: Directory,
    caller: tuple[Role, str],
    sharing: SharingType,
    grant: str,
    needed: bool,
    handled: bool,
) -> None:
    role, department = caller
    entry = directory.entries.get(PEOPLE).document.model_copy(
        update={
            "sharing_type": sharing,
            "data_items": [
                i.model_copy(update={"sharing_type": None})
                for i in directory.entries.get(PEOPLE).document.data_items
            ],
        }
    )
    service_item, day = GRANTS[grant]
    decision = decide(
        role=role,
        department=department,
        # The service item's handling department: the caller's own, or another's.
        handled_by=department if handled else "hrss",
        entry=entry,
        wanted=frozenset({"name"}),
        needed=frozenset({"name"}) if needed else frozenset(),
        service_item=service_item,
        grants=directory.grants,
        on=day,
    )
    allowed = expected(role, department, sharing, grant, needed, handled)
    assert decision.any_allowed is allowed
    if not allowed:
        code, reason = decision.refused["name"]
        assert isinstance(code, RefusalCode) and reason


def test_sensitive_items_are_masked_unless_the_grant_names_them(directory: Directory) -> None:
    entry = directory.entries.get(PEOPLE).document
    sensitive = [
        i.model_copy(update={"classification": "sensitive"}) if i.name == "name" else i
        for i in entry.data_items
    ]
    masked_entry = entry.model_copy(update={"data_items": sensitive})
    decision = decide(
        role=Role.clerk,
        department="mr",
        handled_by="mr",
        entry=masked_entry,
        wanted=frozenset({"name"}),
        needed=frozenset({"name"}),
        service_item=WITH_GRANT,
        grants=directory.grants,
        on=dt.date.today(),
    )
    granted = directory.grants.check("mr", PEOPLE, frozenset({"name"}), WITH_GRANT)
    assert decision.allowed == {"name"}
    assert (decision.masked == {"name"}) is (granted.items is None or "name" not in granted.items)


def test_refusals_name_the_fix(directory: Directory, tmp_path: Path) -> None:
    entry = directory.entries.get(PEOPLE).document
    decision = decide(
        role=Role.clerk,
        department="mr",
        handled_by="mr",
        entry=entry,
        wanted=frozenset({"name"}),
        needed=frozenset({"name"}),
        service_item=WITHOUT_GRANT,
        grants=directory.grants,
        on=dt.date.today(),
    )
    code, reason = decision.refused["name"]
    assert code is RefusalCode.no_grant and "share request" in reason


@pytest.mark.parametrize("role", [Role.steward, Role.analyst, Role.auditor, Role.admin])
def test_only_clerks_read_subject_data_even_of_their_own_department(
    directory: Directory, role: Role
) -> None:
    decision = decide(
        role=role,
        department="ps",
        handled_by="ps",
        entry=directory.entries.get(PEOPLE).document,
        wanted=frozenset({"name"}),
        needed=frozenset({"name"}),
        service_item="4101000009",
        grants=directory.grants,
        on=dt.date.today(),
    )
    assert not decision.any_allowed
    assert decision.refused["name"][0] is RefusalCode.role


def test_the_provider_reads_its_own_data_only_under_its_own_service_items(
    directory: Directory,
) -> None:
    decision = decide(
        role=Role.clerk,
        department="ps",
        handled_by="mr",  # 4101000004 个体工商户设立登记 is market regulation's
        entry=directory.entries.get(PEOPLE).document,
        wanted=frozenset({"name"}),
        needed=frozenset({"name"}),
        service_item=WITH_GRANT,
        grants=directory.grants,
        on=dt.date.today(),
    )
    assert not decision.any_allowed
    code, reason = decision.refused["name"]
    assert code is RefusalCode.not_handled and "handled by mr" in reason
