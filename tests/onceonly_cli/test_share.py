"""`onceonly share request`: minimum necessary is checked when a request is filed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from directory.actors import Actor, Role
from directory.sharing import RequestStatus
from directory.store import Directory
from onceonly_cli.main import app
from tests.directory.fixtures import open_sample, seeded

runner = CliRunner()
MIGRATION = "4101000009"  # 户口迁移 (ps): needs owner_key, owner_name, location, certificate_no


@pytest.fixture
def sample(onceonly_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Directory]:
    opened = open_sample(tmp_path_factory.getbasetemp(), onceonly_home)
    yield opened
    opened.close()


def test_items_the_service_item_does_not_need_are_refused_at_submission(
    sample: Directory,
) -> None:
    homes = seeded(sample, "nr_real_estate")
    before = len(sample.requests.list())
    asked = ["request", homes, "--service-item", MIGRATION, "--purpose", "核验住房"]
    asked += ["--legal-basis", "《户口登记条例》", "--as", "ps_steward"]
    refused = runner.invoke(app, ["share", *asked, "--item", "owner_key", "--item", "area"])
    assert refused.exit_code == 1
    output = " ".join(refused.output.split())
    assert "error [invalid]" in output
    assert f"items[1]: service item {MIGRATION} (户口迁移) does not need area" in output
    assert "(minimum necessary)" in output
    assert "the service item needs: certificate_no, location, owner_key, owner_name" in output
    assert len(sample.requests.list()) == before  # nothing recorded

    whole = runner.invoke(app, ["share", *asked])
    assert whole.exit_code == 1
    assert "it does not need area" in " ".join(whole.output.split())


def test_a_request_within_what_the_service_item_needs_is_filed(sample: Directory) -> None:
    marriages = seeded(sample, "ca_marriage")
    (held,) = [
        r
        for r in sample.requests.list("ps", "outgoing", RequestStatus.granted)
        if r.resource_code == marriages and r.service_item_code == MIGRATION
    ]
    sample.requests.revoke(held.id, Actor("ca_steward", Role.steward, "ca"), "重新申请")
    asked = ["request", marriages, "--service-item", MIGRATION, "--purpose", "核验婚姻"]
    asked += ["--legal-basis", "《户口登记条例》", "--item", "spouse_id_number"]
    filed = runner.invoke(app, ["share", *asked, "--as", "ps_steward"])
    assert filed.exit_code == 0, filed.output
    output = " ".join(filed.output.split())
    assert f"ps asks ca for {marriages} (spouse_id_number) for service item {MIGRATION}" in output
    newest = max(sample.requests.list("ps", "outgoing"), key=lambda r: r.id)
    assert (newest.resource_code, newest.items) == (marriages, ["spouse_id_number"])
    assert f"request #{newest.id} pending" in output
