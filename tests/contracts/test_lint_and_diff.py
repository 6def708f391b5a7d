"""Contract lint (file, line, fix) and breaking-change detection."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from contracts.diff import diff_contracts
from contracts.lint import lint
from contracts.registry import DEFINITIONS_DIR, load_contract
from onceonly_cli.main import app

runner = CliRunner()


@pytest.fixture
def definitions(tmp_path: Path) -> Path:
    target = tmp_path / "definitions"
    shutil.copytree(DEFINITIONS_DIR, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_number(path: Path, fragment: str) -> int:
    return next(
        i
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if fragment in line
    )


def test_bundled_contracts_are_clean() -> None:
    assert lint() == []


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "column: gender, values: [男, 女]",
            "column: sex, values: [男, 女]",
            "unknown column 'sex'",
        ),
        ('pattern: "^[0-9]{6}$"', 'pattern: "^[0-9{6}$"', "region_code_format"),
        (
            "kind: date_not_future, column: birth_date}",
            "kind: sql, expression: 'birth_date'}",
            "must be a condition",
        ),
    ],
)
def test_lint_names_file_line_and_fix(definitions: Path, old: str, new: str, message: str) -> None:
    path = definitions / "ps_population.yaml"
    edit(path, old, new)
    problems = lint(definitions)
    assert len(problems) == 1
    assert problems[0].file == "ps_population.yaml"
    assert problems[0].line == line_number(path, new.split(",")[0])
    assert message in problems[0].message


def test_lint_catches_references_to_unknown_resources(definitions: Path) -> None:
    edit(definitions / "mr_enterprise.yaml", "resource: ps_population", "resource: ps_people")
    (problem,) = lint(definitions)
    assert problem.file == "mr_enterprise.yaml"
    assert "no contract named 'ps_people'" in problem.message


def test_lint_catches_unknown_types(definitions: Path) -> None:
    edit(
        definitions / "hpf_account.yaml",
        "type: decimal, aliases: [月缴存额]",
        "type: money, aliases: [月缴存额]",
    )
    problems = {p.file: p for p in lint(definitions)}
    assert "schema.4.type" in problems["hpf_account.yaml"].message
    assert problems["hpf_account.yaml"].line == line_number(
        definitions / "hpf_account.yaml", "type: money"
    )


def test_two_authoritative_sources_for_one_item(definitions: Path) -> None:
    edit(
        definitions / "hrss_insurance.yaml",
        "item: person.name,",
        "item: person.name, authoritative: true,",
    )
    assert any("exactly one authoritative source" in p.message for p in lint(definitions))


def test_lint_command(definitions: Path) -> None:
    assert runner.invoke(app, ["contract", "lint", "--directory", str(definitions)]).exit_code == 0
    edit(definitions / "tax_standing.yaml", "values: [A, B, M, C, D]", "values: []")
    result = runner.invoke(app, ["contract", "lint", "--directory", str(definitions)])
    assert result.exit_code == 1 and "tax_standing.yaml:" in result.output


@pytest.mark.parametrize(
    ("old", "new", "breaking"),
    [
        ("  - {name: ethnicity, type: string, aliases: [民族], description: 民族}\n", "", True),
        ("{name: birth_date, type: date,", "{name: birth_date, type: string,", True),
        ("record_key: [id_number]", "record_key: [id_number, name]", True),
        ("values: [男, 女]}", "values: [男]}", True),
        ("values: [男, 女]}", "values: [男, 女, 未知]}", False),
        (
            "kind: length, column: name, min: 1, max: 30",
            "kind: length, column: name, min: 1, max: 20",
            True,
        ),
        (
            "kind: length, column: name, min: 1, max: 30",
            "kind: length, column: name, min: 1, max: 50",
            False,
        ),
        ("severity: warning}", "severity: error}", True),
        ("description: 民族}", "description: 民族（56个民族及其他）}", False),
        ("aliases: [民族]", "aliases: [民族, 族别]", False),
        ("type: conditional", "type: not_shared", True),
        ("formats: [csv]", "formats: [csv, excel]", False),
        ("formats: [csv]", "formats: [excel, csv]", False),
        ("formats: [csv]", "formats: [excel]", True),
        ('file_pattern: "人口基本信息_*.csv"', 'file_pattern: "人口信息_*.csv"', True),
    ],
)
def test_diff_classifies_changes(
    definitions: Path, tmp_path: Path, old: str, new: str, breaking: bool
) -> None:
    before = definitions / "ps_population.yaml"
    after_dir = tmp_path / "after"
    after_dir.mkdir()
    after = after_dir / "ps_population.yaml"
    shutil.copy(before, after)
    edit(after, old, new)
    if new.startswith("type: not_shared"):
        edit(after, "  condition: 仅限办理政务服务事项核验申请人身份及户籍信息\n", "")
    edit(after, "version: 1.0.0", "version: 1.1.0")
    result = diff_contracts(load_contract(before), load_contract(after))
    assert result.changes
    assert result.breaking is breaking
    assert (result.version_problem() is not None) is breaking


def test_diff_names_the_format_added_or_removed(definitions: Path, tmp_path: Path) -> None:
    before = definitions / "ps_population.yaml"
    after = tmp_path / "ps_population.yaml"
    shutil.copy(before, after)
    edit(after, "formats: [csv]", "formats: [csv, excel]")
    edit(after, "version: 1.0.0", "version: 1.1.0")
    added = runner.invoke(app, ["contract", "diff", str(before), str(after)])
    assert added.exit_code == 0, added.output
    assert "compatible  source.formats: format excel accepted" in added.output
    removed = runner.invoke(app, ["contract", "diff", str(after), str(before)])
    assert removed.exit_code == 1
    assert "BREAKING  source.formats: format excel no longer accepted" in removed.output


def test_a_contract_written_with_one_format_still_loads(definitions: Path, tmp_path: Path) -> None:
    """`format: csv` is how contracts were written before several formats were allowed; an
    old version must load for `contract diff`, and equals the same contract with `formats`."""
    current = definitions / "ps_population.yaml"
    old = tmp_path / "ps_population.yaml"
    shutil.copy(current, old)
    edit(old, "formats: [csv]", "format: csv")
    assert load_contract(old) == load_contract(current)
    assert load_contract(old).source.format.value == "csv"
    assert diff_contracts(load_contract(old), load_contract(current)).changes == ()


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("formats: [csv]\n  format: csv", "give either format or formats"),
        ("formats: [csv, csv]", "each format may be listed once"),
        ("formats: []", "list at least one format"),
        ("formats: [xml]", "csv"),
    ],
)
def test_lint_checks_the_formats(definitions: Path, new: str, message: str) -> None:
    path = definitions / "ps_population.yaml"
    edit(path, "formats: [csv]", new)
    problems = lint(definitions)
    assert len(problems) == 1 and problems[0].file == "ps_population.yaml"
    assert message in problems[0].message
    assert problems[0].line == line_number(path, "source:") or problems[0].line == line_number(
        path, new.split("\n")[0]
    )


def test_diff_command_refuses_breaking_change_without_major_bump(
    definitions: Path, tmp_path: Path
) -> None:
    before = definitions / "ps_population.yaml"
    after = tmp_path / "ps_population.yaml"
    shutil.copy(before, after)
    edit(after, "values: [男, 女]}", "values: [男]}")
    edit(after, "version: 1.0.0", "version: 1.1.0")
    refused = runner.invoke(app, ["contract", "diff", str(before), str(after)])
    assert refused.exit_code == 1
    assert "BREAKING" in refused.output and "major version" in refused.output
    edit(after, "version: 1.1.0", "version: 2.0.0")
    accepted = runner.invoke(app, ["contract", "diff", str(before), str(after)])
    assert accepted.exit_code == 0, accepted.output
