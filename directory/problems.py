"""Turning pydantic's errors into problems that name the field and say how to fix it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from directory.errors import Problem

_FIXES = {
    "missing": "fill it in",
    "string_too_short": "fill it in",
    "int_parsing": "give a whole number",
    "int_type": "give a whole number",
    "int_from_float": "give a whole number",
    "float_parsing": "give a number",
    "bool_parsing": "use true or false",
    "bool_type": "use true or false",
    "date_parsing": "write the date as YYYY-MM-DD",
    "date_from_datetime_parsing": "write the date as YYYY-MM-DD",
    "date_type": "write the date as YYYY-MM-DD",
    "list_type": "give a list",
    "string_type": "give text",
    "model_type": "give an object with the documented fields",
    "dict_type": "give an object with the documented fields",
}


def field_path(loc: Sequence[int | str]) -> str:
    """`("data_items", 2, "type")` -> `data_items[2].type`."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(document)"


def fix_for(error: ErrorDetails) -> str:
    """How to fix one pydantic error, in words a steward can act on."""
    kind = error["type"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    if kind == "enum":
        return f"use one of: {ctx.get('expected', '')}"
    if kind == "extra_forbidden":
        return "remove it; it is not a catalogue field (check the spelling)"
    if kind == "literal_error":
        return f"use {ctx.get('expected', 'a listed value')}"
    return _FIXES.get(kind, error["msg"])


def from_validation_error(error: ValidationError, prefix: str = "") -> list[Problem]:
    problems = []
    for detail in error.errors():
        path = field_path(detail["loc"])
        if prefix:
            path = f"{prefix}.{path}" if path != "(document)" else prefix
        problems.append(Problem(path, detail["msg"], fix_for(detail)))
    return problems
