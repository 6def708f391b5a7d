"""Changed since prefill, end to end over real HTTP: a clerk prefills open cases (one alone,
one in a bulk list sent by the command line) and a closed one; the population register then
delivers a corrected name, landed, certified and published by the pipeline's own functions;
the clerk is told, for the open cases only, the old name, the new one and the batch; another
department's clerk is told nothing, and the command line says the same as the API."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from python_calamine import CalamineWorkbook
from typer.testing import CliRunner

from api.main import create_app
from onceonly_cli.main import app as cli
from tests.api.conftest import CLOSED_CASE, Exchange
from tests.api.snapshots import (
    NAME_FIELD,
    SOLE_PROPRIETOR,
    current_snapshot_version,
    publish_corrected_name,
    truth_of,
)
from tests.live_server import ANSWER_SECONDS, serving_in_thread

NEW_NAME = "王更正"


@pytest.fixture(scope="module")
def live(exchange: Exchange) -> Iterator[str]:
    # A case completed 2026-11-03 still justifies reads for a while, so a closed case can
    # have been prefilled: it must get no notice.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ONCEONLY_CASE_RECENT_DAYS", "3650")
        with serving_in_thread(create_app(directory=exchange.directory)) as url:
            yield url


def notices(url: str, headers: dict[str, str]) -> dict[str, Any]:
    answer = httpx.get(f"{url}/v1/prefill/changes", headers=headers, timeout=ANSWER_SECONDS)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def prefill(url: str, headers: dict[str, str], subject: str, case: str) -> dict[str, Any]:
    answer = httpx.post(
        f"{url}/v1/prefill",
        json={"service_item": SOLE_PROPRIETOR, "subject": subject, "case_no": case},
        headers=headers,
        timeout=ANSWER_SECONDS,
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def bulk_prefill(url: str, token: str, subject: str, case: str, folder: Path) -> None:
    """A one-applicant list through `onceonly prefill bulk`, as a back office runs it."""
    listing, out = folder / "名单.csv", folder / "预填.xlsx"
    listing.write_text(f"证件号码,办件编号\n{subject},{case}\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        ["prefill", "bulk", str(listing), "--service-item", SOLE_PROPRIETOR, "--out", str(out)],
        env={"ONCEONLY_TOKEN": token, "ONCEONLY_API_URL": url},
    )
    assert result.exit_code == 0, result.output
    assert "1 applicants: 1 served" in result.output
    _, row = CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
    assert row[1:4] == [subject, case, "served"]


def test_a_correction_at_the_source_is_told_to_the_clerk_of_each_open_case(
    exchange: Exchange, live: str, tmp_path: Path
) -> None:
    clerk = exchange.token("changes.clerk", "clerk", "mr")
    token = clerk["Authorization"].removeprefix("Bearer ")
    person = exchange.person
    alone, listed = exchange.case(SOLE_PROPRIETOR, 11), exchange.case(SOLE_PROPRIETOR, 12)
    closed = exchange.case(SOLE_PROPRIETOR, CLOSED_CASE)
    before = truth_of(current_snapshot_version(), person)
    filled = prefill(live, clerk, person, alone)
    assert {f["field"]: f["value"] for f in filled["fields"]}[NAME_FIELD] == before.name
    bulk_prefill(live, token, person, listed, tmp_path)
    assert notices(live, clerk)["notices"] == []  # nothing has changed yet
    prefill(live, clerk, person, closed)

    version = publish_corrected_name(exchange.home, person, NEW_NAME, day=2)
    after = truth_of(version, person)
    assert after.batch != before.batch
    deadline = time.monotonic() + ANSWER_SECONDS
    while (told := notices(live, clerk))["snapshot_version"] != version:
        assert time.monotonic() < deadline, "the server never switched to the new snapshot"
        time.sleep(0.2)

    assert sorted(n["case_no"] for n in told["notices"]) == sorted([alone, listed])
    kept = {f.case_no for f in exchange.directory.prefilled.of_department("mr")}
    assert {alone, listed} <= kept and closed not in kept  # the closed case's form is dropped
    for notice in told["notices"]:
        assert (notice["subject"], notice["service_item"]) == (person, SOLE_PROPRIETOR)
        (change,) = notice["changes"]
        assert (change["field"], change["resource"], change["item"]) == (
            NAME_FIELD,
            "ps_population",
            "name",
        )
        assert (change["old_value"], change["new_value"]) == (before.name, NEW_NAME)
        assert (change["old_batch"], change["new_batch"]) == (before.batch, after.batch)
    logged = exchange.directory.audit.entries(user="changes.clerk", action="prefill.changes")
    assert sorted(e.case_no or "" for e in logged) == sorted([alone, listed])
    assert {e.outcome for e in logged} == {"served"}
    assert {e.subject_hash for e in logged} == {exchange.directory.audit.subject_hash(person)}

    # Another department's clerk, and a steward of the same one, are told nothing.
    outsider = exchange.token("changes.hrss", "clerk", "hrss")
    assert notices(live, outsider) == {
        "department": "hrss",
        "snapshot_version": version,
        "notices": [],
    }
    steward = exchange.token("changes.steward", "steward", "mr")
    refused = httpx.get(f"{live}/v1/prefill/changes", headers=steward)
    assert (refused.status_code, refused.json()["code"]) == (403, "role_may_not_read")

    # The command line tells the clerk the same, with the applicant's number masked.
    result = CliRunner().invoke(
        cli, ["prefill", "changes", "--api", live], env={"ONCEONLY_TOKEN": token}
    )
    assert result.exit_code == 0, result.output
    assert alone in result.output and listed in result.output and closed not in result.output
    assert f"{before.name} -> {NEW_NAME}" in result.output
    assert after.batch[:12] in result.output and person not in result.output

    # Prefilled again, the form holds the new name: that case's notice is gone.
    prefill(live, clerk, person, alone)
    assert [n["case_no"] for n in notices(live, clerk)["notices"]] == [listed]
