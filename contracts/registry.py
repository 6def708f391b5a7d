"""Loading contract files, with errors that name the file and what to fix."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from contracts.model import Contract

DEFINITIONS_DIR = Path(__file__).parent / "definitions"


class ContractError(ValueError):
    """A contract file that cannot be used; raised before any data is touched."""


def load_contract(path: Path) -> Contract:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ContractError(f"{path.name}: not valid YAML: {error}") from error
    if not isinstance(document, dict):
        raise ContractError(f"{path.name}: expected a mapping at the top level")
    try:
        contract = Contract.model_validate(document)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in error.errors()
        )
        raise ContractError(f"{path.name}: {problems}") from error
    if contract.id != path.stem:
        raise ContractError(f"{path.name}: id {contract.id!r} must match the file name")
    return contract


def load_contracts(directory: Path = DEFINITIONS_DIR) -> dict[str, Contract]:
    """Every contract in `directory`, by id, in a stable order."""
    return {c.id: c for c in (load_contract(p) for p in sorted(directory.glob("*.yaml")))}


@cache
def bundled_contracts() -> dict[str, Contract]:
    """The contracts shipped with the code, loaded once per process."""
    return load_contracts()
