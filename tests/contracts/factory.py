"""Small contracts built in a test: one place for the fields every contract must carry, so a
test names only what it is about (its columns, rules, record key and batch expectations)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from contracts.model import Contract


def make_contract(
    contract_id: str,
    schema: Sequence[Mapping[str, Any]],
    rules: Sequence[Mapping[str, Any]] = (),
    *,
    record_key: Sequence[str] = ("id_number",),
    batch: Mapping[str, Any] | None = None,
    **extra: Any,
) -> Contract:
    """An active contract of the population department with `schema` and `rules`; `batch`
    is the quality section's batch expectations, `extra` any further top-level field."""
    quality: dict[str, Any] = {"rules": [dict(r) for r in rules]}
    if batch is not None:
        quality["batch"] = dict(batch)
    return Contract.model_validate(
        {
            "id": contract_id,
            "version": "1.0.0",
            "status": "active",
            "name": "测试",
            "owner": {"department": "ps", "department_name": "公安局", "steward": "s"},
            "description": "test",
            "update_cycle": "daily",
            "sharing": {"type": "unconditional"},
            "source": {"format": "csv", "file_pattern": "*.csv"},
            "record_key": list(record_key),
            "schema": [dict(c) for c in schema],
            "quality": quality,
            **extra,
        }
    )
