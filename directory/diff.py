"""Field-level differences between two versions of an entry document.

Data items are compared by name, not position: a changed length reads
`data_items[credit_code].length`, an added or removed item is one change carrying the whole
item, and a reorder is one `data_items.order` change rather than every item changing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: Any
    after: Any

    def as_json(self) -> dict[str, Any]:
        return {"field": self.field, "before": self.before, "after": self.after}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> FieldChange:
        return cls(raw["field"], raw["before"], raw["after"])


def _flatten(document: dict[str, Any]) -> dict[str, Any]:
    """Path -> value for every leaf a steward can change; lists of codes stay whole values."""
    flat: dict[str, Any] = {}
    for key, value in document.items():
        if key == "data_items":
            for item in value:
                for field, item_value in item.items():
                    if field != "name":
                        flat[f"data_items[{item['name']}].{field}"] = item_value
        elif isinstance(value, dict):
            for field, inner in value.items():
                flat[f"{key}.{field}"] = inner
        else:
            flat[key] = value
    return flat


def _items(document: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    return {i["name"]: i for i in (document or {}).get("data_items", [])}


def diff(before: dict[str, Any] | None, after: dict[str, Any]) -> list[FieldChange]:
    """Changes from `before` to `after` (None before: everything is new), in a stable order."""
    old, new = _flatten(before or {}), _flatten(after)
    old_items, new_items = _items(before), _items(after)
    added = new_items.keys() - old_items.keys()
    removed = old_items.keys() - new_items.keys()
    changes = []
    reported: set[str] = set()
    for field in [*new, *(f for f in old if f not in new)]:
        item = field[len("data_items[") : field.find("]")] if field.startswith("data_") else None
        if item is not None and (item in added or item in removed):
            if item not in reported:
                reported.add(item)
                changes.append(
                    FieldChange(f"data_items[{item}]", old_items.get(item), new_items.get(item))
                )
            continue
        if old.get(field) != new.get(field):
            changes.append(FieldChange(field, old.get(field), new.get(field)))
    kept_before = [n for n in old_items if n in new_items]
    kept_after = [n for n in new_items if n in old_items]
    if kept_before != kept_after:
        changes.append(FieldChange("data_items.order", kept_before, kept_after))
    return changes
