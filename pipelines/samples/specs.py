"""What each department file looks like, read from the contract definitions.

The generator writes exactly what the contracts promise (format, encoding, file name,
Chinese header = first alias, schema order), so that a contract change shows up in the
samples without touching the generator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from importlib import resources

import yaml


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str
    header: str
    required: bool
    key_role: str | None


@dataclass(frozen=True)
class FeedSpec:
    id: str
    name: str
    department: str
    department_name: str
    format: str
    encoding: str | None
    file_pattern: str
    columns: tuple[ColumnSpec, ...]

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def file_name(self, delivered: date, part: int = 1) -> str:
        """The file name a delivery on `delivered` gets; workbooks split past Excel's row limit
        carry `_partN` after the date so they still match the contract's pattern."""
        stamp = delivered.strftime("%Y%m%d") + ("" if part == 1 else f"_part{part}")
        return self.file_pattern.replace("*", stamp)


def load_feed_specs() -> dict[str, FeedSpec]:
    """Every contract under `contracts/definitions`, by id."""
    specs: dict[str, FeedSpec] = {}
    folder = resources.files("contracts") / "definitions"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        doc = yaml.safe_load(entry.read_text(encoding="utf-8"))
        source = doc["source"]
        columns = tuple(
            ColumnSpec(
                name=c["name"],
                type=c.get("type", "string"),
                header=(c.get("aliases") or [c["name"]])[0],
                required=bool(c.get("required", False)),
                key_role=c.get("key_role"),
            )
            for c in doc["schema"]
        )
        # Samples are written in the preferred format, the first the contract lists.
        fmt = source["formats"][0] if "formats" in source else source["format"]
        specs[doc["id"]] = FeedSpec(
            id=doc["id"],
            name=doc["name"],
            department=doc["owner"]["department"],
            department_name=doc["owner"]["department_name"],
            format=fmt,
            encoding=source.get("encoding", "utf-8") if fmt in ("csv", "jsonl") else None,
            file_pattern=source["file_pattern"],
            columns=columns,
        )
    return specs
