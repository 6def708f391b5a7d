"""`onceonly contract lint`: every contract checked as the pipeline would use it.

A contract that would fail at certification time (unknown column, bad regex, SQL that is not
a predicate, a reference to a resource that does not exist) is reported here, with file, line
and what to fix, before any data is touched. So is a rule outside the rule language that
DuckDB and Spark run the same way (``contracts.portable``): a contract certifies on either
engine, and must give the same answer on both.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from contracts.compiler import RuleError, compile_contract
from contracts.model import Contract
from contracts.portable import unportable_rules
from contracts.registry import DEFINITIONS_DIR, ContractError, line_of, load_contract
from contracts.rules import Reference


@dataclass(frozen=True)
class LintProblem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


def lint(directory: Path = DEFINITIONS_DIR) -> list[LintProblem]:
    problems: list[LintProblem] = []
    contracts: dict[str, tuple[Path, Contract]] = {}
    for path in sorted(directory.glob("*.yaml")):
        try:
            contracts[path.stem] = (path, load_contract(path))
        except ContractError as error:
            for message in str(error).splitlines():
                problems.append(_parse_error(path, message))
    for path, contract in contracts.values():
        problems += _lint_rules(path, contract)
    if problems:  # cross-contract checks would only repeat what a broken file already says
        return problems
    for path, contract in contracts.values():
        problems += _lint_references(path, contract, {k: v for k, (_, v) in contracts.items()})
    return problems + _lint_items(contracts)


def _parse_error(path: Path, message: str) -> LintProblem:
    # Messages read "<file>, line <n>, <where>: <what>".
    head, _, rest = message.partition(", line ")
    number, _, text = rest.partition(",") if rest else ("1", "", message)
    return LintProblem(path.name, int(number) if number.isdigit() else 1, text.strip() or head)


def _lint_rules(path: Path, contract: Contract) -> list[LintProblem]:
    index = {rule.id: i for i, rule in enumerate(contract.quality.rules)}
    unportable = [
        LintProblem(
            path.name,
            line_of(path, ["quality", "rules", index[rule_id]]),
            f"quality.rules.{index[rule_id]} ({rule_id}): not in the rule language both engines "
            f"(DuckDB, Spark) run the same way: {why}",
        )
        for rule_id, why in unportable_rules(contract)
    ]
    if unportable:  # said before the compiler's verdict, which would be less specific
        return unportable
    try:
        compile_contract(contract, as_of=dt.date.today(), reference_table=lambda r: r)
    except RuleError as error:
        location: list[str | int] = (
            ["quality", "rules", error.rule_index] if error.rule_index is not None else []
        )
        return [LintProblem(path.name, line_of(path, location), str(error))]
    return []


def _lint_references(
    path: Path, contract: Contract, contracts: dict[str, Contract]
) -> list[LintProblem]:
    problems = []
    for index, rule in enumerate(contract.quality.rules):
        if not isinstance(rule, Reference):
            continue
        line = line_of(path, ["quality", "rules", index])
        target = contracts.get(rule.resource)
        if target is None:
            problems.append(
                LintProblem(path.name, line, f"{rule.id}: no contract named {rule.resource!r}")
            )
        elif rule.resource_column not in {c.name for c in target.columns}:
            problems.append(
                LintProblem(
                    path.name,
                    line,
                    f"{rule.id}: {rule.resource} has no column {rule.resource_column!r}",
                )
            )
    return problems


def _lint_items(contracts: dict[str, tuple[Path, Contract]]) -> list[LintProblem]:
    """One data item, one authoritative source."""
    sources: dict[str, list[str]] = {}
    users: dict[str, tuple[Path, int]] = {}
    for path, contract in contracts.values():
        for index, column in enumerate(contract.columns):
            if column.item is None:
                continue
            users.setdefault(column.item, (path, line_of(path, ["schema", index])))
            if column.authoritative:
                sources.setdefault(column.item, []).append(f"{contract.id}.{column.name}")
    problems = []
    for item, (path, line) in users.items():
        found = sources.get(item, [])
        if len(found) != 1:
            why = "none" if not found else ", ".join(found)
            problems.append(
                LintProblem(
                    path.name,
                    line,
                    f"item {item} needs exactly one authoritative source (一数一源), has {why}",
                )
            )
    return problems
