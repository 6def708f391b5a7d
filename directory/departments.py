"""The departments the directory knows: who may own entries, steward them, and ask for data."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, Field

DEPARTMENTS_FILE = Path(__file__).with_name("departments.yaml")


class Department(BaseModel):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    number: str = Field(pattern=r"^\d{2}$", description="项 of its department resource codes")


@cache
def departments() -> dict[str, Department]:
    """Every known department by code, loaded once per process."""
    rows = yaml.safe_load(DEPARTMENTS_FILE.read_text(encoding="utf-8"))
    return {d.code: d for d in (Department.model_validate(row) for row in rows)}


def known_codes() -> str:
    """The department codes, for error messages that say what to use instead."""
    return ", ".join(departments())
