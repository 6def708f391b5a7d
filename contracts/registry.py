"""Loading contract files, with errors that name the file, the line and what to fix."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from contracts.model import Contract

DEFINITIONS_DIR = Path(__file__).parent / "definitions"
PATH_IN_MESSAGE = re.compile(r"\b((?:quality|schema)(?:\.[a-z_]+|\.\d+)+)")


class ContractError(ValueError):
    """A contract file that cannot be used; raised before any data is touched."""


def load_contract(path: Path) -> Contract:
    text = path.read_text(encoding="utf-8")
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "somewhere"
        raise ContractError(f"{path.name}, {where}: not valid YAML ({error})") from error
    if not isinstance(document, dict):
        raise ContractError(f"{path.name}, line 1: expected a mapping of contract fields")
    try:
        contract = Contract.model_validate(document)
    except ValidationError as error:
        raise ContractError(_describe(path, text, error)) from error
    if contract.id != path.stem:
        raise ContractError(
            f"{path.name}, line {_line(text, ('id',))}: id {contract.id!r} must match the file "
            f"name; rename the file to {contract.id}.yaml or fix the id"
        )
    return contract


def _describe(path: Path, text: str, error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        location: Sequence[str | int] = item["loc"]
        message = item["msg"].removeprefix("Value error, ")
        if not location and (found := PATH_IN_MESSAGE.search(message)):
            location = [int(p) if p.isdigit() else p for p in found.group(1).split(".")]
            message = message.replace(f"{found.group(1)} ", "", 1)
        dotted = ".".join(str(p) for p in location) or "(top level)"
        problems.append(f"{path.name}, line {_line(text, location)}, {dotted}: {message}")
    return "\n".join(problems)


def line_of(path: Path, location: Sequence[str | int]) -> int:
    """1-based line in contract file `path` of the node at `location` (e.g. quality.rules.2)."""
    return _line(path.read_text(encoding="utf-8"), location)


def _line(text: str, location: Sequence[str | int]) -> int:
    """1-based line of the deepest YAML node on `location` that exists in the file."""
    node = yaml.compose(text)
    line = 1
    for step in location:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == step), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            match = node.value[step] if step < len(node.value) else None
        else:
            match = None
        if match is None:
            break
        node, line = match, match.start_mark.line + 1
    return line


def load_contracts(directory: Path = DEFINITIONS_DIR) -> dict[str, Contract]:
    """Every contract in `directory`, by id, in a stable order."""
    return {c.id: c for c in (load_contract(p) for p in sorted(directory.glob("*.yaml")))}


def dependency_order(contracts: dict[str, Contract]) -> list[str]:
    """Contract ids with every resource before those whose reference rules point at it.

    Certifying in this order lets "legal representative exists in the population register"
    be checked against data certified in the same sweep.
    """
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(contract_id: str) -> None:
        if contract_id in ordered or contract_id not in contracts:
            return
        if contract_id in visiting:
            raise ContractError(f"{contract_id}.yaml: reference rules form a cycle")
        visiting.add(contract_id)
        for rule in contracts[contract_id].quality.rules:
            target = getattr(rule, "resource", None)
            if isinstance(target, str):
                visit(target)
        visiting.discard(contract_id)
        ordered.append(contract_id)

    for contract_id in sorted(contracts):
        visit(contract_id)
    return ordered


@cache
def bundled_contracts() -> dict[str, Contract]:
    """The contracts shipped with the code, loaded once per process."""
    return load_contracts()
