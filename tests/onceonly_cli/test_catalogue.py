"""`onceonly catalogue` and `onceonly token` against a real directory file."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from directory.store import Directory
from onceonly_cli.main import app
from tests.directory.fixtures import ADMIN, open_sample

runner = CliRunner()
FIRMS = "302001/000001"


@pytest.fixture
def sample(onceonly_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Directory]:
    opened = open_sample(tmp_path_factory.getbasetemp(), onceonly_home)
    yield opened
    opened.close()


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


@pytest.mark.parametrize(
    "command",
    [
        ["catalogue"],
        *[["catalogue", c] for c in ("list", "show", "history", "status", "restore")],
        ["catalogue", "dependents"],
        *[["catalogue", c] for c in ("export", "import", "sync", "expire", "summary", "sample")],
        ["token"],
        *[["token", c] for c in ("create", "revoke", "list")],
    ],
)
def test_help_everywhere(command: list[str]) -> None:
    assert "Usage" in run(*command, "--help")


def test_list_show_history_dependents(sample: Directory) -> None:
    listed = run("catalogue", "list", "-q", "不动产")
    assert "1 entries match '不动产'" in listed and "不动产登记信息" in listed
    graded = run("catalogue", "list", "--data-grade", "sensitive", "--update-cycle", "monthly")
    assert graded.startswith("3 entries") and "住房公积金缴存信息" in graded
    assert run("catalogue", "list", "--open").startswith("1 entries")
    shown = json.loads(run("catalogue", "show", FIRMS))
    assert shown["version"] == 2 and shown["name"] == "企业登记信息"
    assert json.loads(run("catalogue", "show", FIRMS, "--version", "1"))["status"] == "draft"
    history = run("catalogue", "history", FIRMS)
    assert "v2" in history and "[edited]" in history and 'status: "draft" -> "published"' in history
    assert "4101000013" in run("catalogue", "dependents", FIRMS)
    missing = runner.invoke(app, ["catalogue", "show", "399999/000001"])
    assert missing.exit_code == 1 and "error [not_found]" in missing.output


def test_export_dry_run_import_and_restore(sample: Directory, tmp_path: Path) -> None:
    exported = tmp_path / "catalogue.csv"
    assert "9 entries" in run("catalogue", "export", str(exported))
    with exported.open(encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(handle))
    column = table[0].index("信息资源摘要")
    for row in table[1:]:
        if row[0] == FIRMS:
            row[column] = "批量修改的摘要"
    edited = tmp_path / "edited.csv"
    with edited.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(table)

    edit = ("catalogue", "import", str(edited), "--reason", "批量整理", "--as", "mr_steward")
    dry = run(*edit, "--dry-run")
    assert f"update {FIRMS} (row 12)" in dry and 'abstract: "' in dry
    assert "1 entries to change, 8 unchanged, 0 errors; nothing written." in dry
    assert sample.entries.get(FIRMS).version == 2
    done = run("catalogue", "import", str(edited), "--reason", "批量整理", "--as", "mr_steward")
    assert "written." in done and sample.entries.get(FIRMS).version == 3
    assert "[imported]  批量整理" in run("catalogue", "history", FIRMS)

    run("catalogue", "restore", FIRMS, "2", "--reason", "撤销批量修改", "--as", "centre_admin")
    assert sample.entries.get(FIRMS).document.abstract.startswith("市场监管部门")

    table[1][table[0].index("共享类型")] = "随便共享"
    bad = tmp_path / "bad.csv"
    with bad.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(table)
    failed = runner.invoke(
        app, ["catalogue", "import", str(bad), "--reason", "x", "--as", "mr_steward"]
    )
    assert failed.exit_code == 1
    assert "row 2, 共享类型: '随便共享' is not a known value" in failed.output
    assert "nothing written" in failed.output
    assert sample.entries.get(FIRMS).version == 4


def test_json_and_jsonld_exports(sample: Directory, tmp_path: Path) -> None:
    run("catalogue", "export", str(tmp_path / "c.json"))
    assert json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))["count"] == 9
    run("catalogue", "export", str(tmp_path / "c.jsonld"))
    assert (
        json.loads((tmp_path / "c.jsonld").read_text(encoding="utf-8"))["@type"] == "dcat:Catalog"
    )
    assert "unknown format" in run("catalogue", "export", str(tmp_path / "c.txt"), code=2)


def test_summary_and_sample(sample: Directory) -> None:
    text = run("catalogue", "sample")
    assert "Resource catalogue: 9 entries" in text and "Once-only figure on" in text
    assert "Share requests:" in run("catalogue", "summary")
    assert run("catalogue", "expire") == "0 grants expired\n"  # the sample's expiry is recorded


def test_tokens(sample: Directory) -> None:
    created = run("token", "create", "wang.li", "--role", "steward", "--department", "mr")
    token = created.strip().splitlines()[-1]
    assert token.startswith("oo_") and "created user wang.li" in created
    assert sample.identity.authenticate(token).name == "wang.li"
    listed = run("token", "list", "--user", "wang.li")
    assert "active" in listed and token not in listed
    token_id = listed.split()[0].lstrip("#")
    assert "revoked" in run("token", "revoke", token_id)
    assert "revoked" in run("token", "list")
    assert "give --role and --department" in run("token", "create", "nobody", code=1)
    assert "roles are not changed" in run("token", "create", "wang.li", "--role", "admin", code=1)


def test_an_edit_names_a_directory_user_never_the_login(
    sample: Directory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ONCEONLY_CLI_USER", raising=False)
    sample.entries.patch(FIRMS, {"abstract": "改过的摘要"}, 2, ADMIN, "改")
    restore = ("catalogue", "restore", FIRMS, "2", "--reason", "回退")
    nobody = runner.invoke(app, list(restore))
    assert nobody.exit_code == 1
    assert "error [no_identity]" in nobody.output and "give --as USER" in nobody.output
    assert "ONCEONLY_CLI_USER=USER" in nobody.output
    unknown = runner.invoke(app, [*restore, "--as", "nobody.here"])
    assert unknown.exit_code == 1 and "no directory user 'nobody.here'" in unknown.output
    sample.identity.create_user("wang.clerk", "clerk", "mr")
    clerk = runner.invoke(app, [*restore, "--as", "wang.clerk"])
    assert clerk.exit_code == 1 and "error [forbidden]" in clerk.output
    assert "wang.clerk is a clerk of mr and may not restore" in clerk.output
    other = runner.invoke(app, [*restore, "--as", "ps_steward"])
    assert other.exit_code == 1 and "only a steward of mr or an admin" in other.output
    assert sample.entries.get(FIRMS).version == 3  # nothing was written

    monkeypatch.setenv("ONCEONLY_CLI_USER", "mr_steward")  # a configured identity
    assert "restored from version 2 as version 4" in run(*restore)
    history = run("catalogue", "history", FIRMS)
    assert "mr_steward  [restored]" in history and "cli:" not in history


def test_status_follows_the_lifecycle(sample: Directory) -> None:
    """A published entry goes back to draft neither by a status change nor by a restore; the
    refusal names the allowed next states; a withdrawal is allowed and final."""
    as_steward = ("--reason", "调整", "--as", "mr_steward")
    back = runner.invoke(app, ["catalogue", "status", FIRMS, "draft", *as_steward])
    assert back.exit_code == 1 and "error [invalid_transition]" in back.output
    assert "a published entry cannot become draft" in back.output
    assert "allowed next states: deprecated, withdrawn" in back.output
    restored = runner.invoke(app, ["catalogue", "restore", FIRMS, "1", *as_steward])
    assert restored.exit_code == 1 and "cannot become draft" in restored.output
    assert sample.entries.get(FIRMS).version == 2
    done = run("catalogue", "status", FIRMS, "withdrawn", *as_steward)
    assert f"{FIRMS} is withdrawn at version 3 (allowed next: none)" in done
    final = runner.invoke(app, ["catalogue", "status", FIRMS, "published", *as_steward])
    assert final.exit_code == 1 and "a withdrawn entry is final" in final.output
