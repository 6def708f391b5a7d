"""A steward's inbox over HTTP against a live app: one of every kind, oldest first, with
counts and links that lead where each is handled; who is refused, and the audit of both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from onceonly_cli.main import app as cli
from tests.api.inbox_exchange import (
    FAILED_BATCH,
    RESOURCE,
    InboxServer,
    ask_hrss_again,
    object_to_a_value,
    serving_inbox,
)
from tests.directory.fixtures import bearer
from tests.live_server import ANSWER_SECONDS
from tests.snapshot.small import PERSON

INBOX = "/v1/directory/inbox"


Live = InboxServer


@pytest.fixture
def live(onceonly_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with serving_inbox(onceonly_home, tmp_path_factory.getbasetemp()) as server:
        yield server


def get(live: Live, path: str, headers: dict[str, str], **params: str) -> httpx.Response:
    return httpx.get(f"{live.url}{path}", headers=headers, params=params, timeout=ANSWER_SECONDS)


def test_the_inbox_lists_every_kind_oldest_first_with_counts_and_links(live: Live) -> None:
    objection = object_to_a_value(live.directory)
    request = ask_hrss_again(live.directory)
    hrss = bearer(live.directory, "hrss_steward")

    answer = get(live, INBOX, hrss)
    assert answer.status_code == 200, answer.text
    inbox = answer.json()
    assert (inbox["department"], inbox["published"], inbox["total"]) == ("hrss", True, 5)
    assert inbox["counts"] == {
        "share_request": 1,
        "objection": 1,
        "conflict": 1,
        "gate_failure": 1,
        "quarantine": 1,
    }
    assert [(i["kind"], i["ref"]) for i in inbox["items"]] == [
        ("conflict", f"{RESOURCE}/hrss-b2"),
        ("gate_failure", f"{RESOURCE}/{FAILED_BATCH}"),
        ("quarantine", f"{RESOURCE}/{FAILED_BATCH}"),
        ("objection", str(objection)),
        ("share_request", str(request)),
    ]
    since = [i["since"] for i in inbox["items"]]
    assert since == sorted(since)
    quarantine = inbox["items"][2]
    assert quarantine["count"] == 2
    assert quarantine["console_link"] == f"/console/quarantine?resource={RESOURCE}"
    assert inbox["items"][4]["console_link"] == f"/console/share-requests#request-{request}"
    assert inbox["items"][3]["console_link"] == f"/console/objections#objection-{objection}"
    assert PERSON not in answer.text and "张伟" not in answer.text  # ids and counts only

    for item in inbox["items"]:  # each link leads to where the item is handled
        followed = get(live, item["api_link"], hrss)
        assert followed.status_code == 200, (item["api_link"], followed.text)

    # Settling the conflict takes it out of the inbox.
    (conflict,) = get(live, "/v1/directory/conflicts", hrss).json()
    settled = httpx.post(
        f"{live.url}/v1/directory/conflicts/{conflict['id']}/resolve",
        headers=hrss,
        json={"outcome": "explained", "note": "社保登记沿用曾用名"},
        timeout=ANSWER_SECONDS,
    )
    assert settled.status_code == 200, settled.text
    after = get(live, INBOX, hrss).json()
    assert after["counts"]["conflict"] == 0 and after["total"] == 4

    served = live.directory.audit.entries(action="inbox.read")
    assert [(e.user, e.outcome) for e in served] == [("hrss_steward", "served")] * 2
    assert [e.reason.split(":")[0] for e in served] == ["4 items", "5 items"]  # newest first


def test_other_departments_and_roles_are_refused_and_audited(live: Live) -> None:
    ps = bearer(live.directory, "ps_steward")
    refused = get(live, INBOX, ps, department="hrss")
    assert refused.status_code == 403 and refused.json()["code"] == "not_your_department"
    (logged,) = live.directory.audit.entries(action="inbox.read")
    assert (logged.user, logged.outcome) == ("ps_steward", "refused")
    assert "hrss" in logged.reason

    own = get(live, INBOX, ps, department="ps")
    assert own.status_code == 200 and own.json()["department"] == "ps"

    # The sample's request for provident-fund data waits past its 10 working days: overdue,
    # an item (and a webhook event) of its own.
    hpf = get(live, INBOX, bearer(live.directory, "hpf_steward")).json()
    (late,) = [i for i in hpf["items"] if i["kind"] == "share_request"]
    assert late["overdue"] and hpf["overdue"] == 1
    assert (late["key"], late["event_type"]) == (
        f"share_request:{late['ref']}:overdue",
        "inbox.share_request.overdue",
    )

    admin = get(live, INBOX, bearer(live.directory, "centre_admin"))
    clerk = get(live, INBOX, bearer(live.directory, "inbox.clerk", "clerk", "mr"))
    nobody = get(live, INBOX, {})
    assert [admin.status_code, clerk.status_code, nobody.status_code] == [403, 403, 401]
    edge = live.directory.audit.entries(action="api.request", outcome="refused")
    assert {e.user for e in edge} >= {"centre_admin", "inbox.clerk", "anonymous"}
    assert all(INBOX in e.reason for e in edge)


def test_the_command_line_shows_the_same_inbox(live: Live) -> None:
    request = ask_hrss_again(live.directory)
    shown = CliRunner().invoke(cli, ["inbox", "--as", "hrss_steward"])
    assert shown.exit_code == 0, shown.output
    output = " ".join(shown.output.split())
    # Nothing is published under this home: the directory's queues only, and it says so.
    assert "inbox of hrss: 1 items (share_request 1, objection 0" in output
    assert "nothing is published yet" in output
    assert f"/console/share-requests#request-{request}" in output
    refused = CliRunner().invoke(cli, ["inbox", "--as", "centre_admin"])
    assert refused.exit_code == 1 and "only a steward may" in " ".join(refused.output.split())
    (logged,) = live.directory.audit.entries(action="inbox.read")
    assert (logged.user, logged.outcome) == ("hrss_steward", "served")
