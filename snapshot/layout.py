"""`layout.json` and the key-lookup layout's files: per resource, its current certified rows
sorted by subject key in an Arrow file, and the keys beside them as a fixed-width NumPy array.

Key lookups are what the exchange API does all day; a memory-mapped sorted Arrow file with
its keys in an `S18` array for binary search answers them in microseconds. The pipelines
build the layout (`pipelines.certify.layout`), the reader maps it; the file names and the
manifest's shape are defined here for both.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

LAYOUT_MANIFEST = "layout.json"
KEY_WIDTH = 18  # both one-number keys are 18 characters once normalised


@dataclass(frozen=True)
class LayoutEntry:
    """One resource in the layout: the key column it is sorted by, its row count, its Arrow
    file, and the fingerprint of the history it was built from (unchanged history: the next
    layout links the files instead of sorting again)."""

    key: str
    rows: int
    file: str
    fingerprint: str


def data_file(resource: str) -> str:
    return f"{resource}.arrow"


def keys_file(resource: str) -> str:
    return f"{resource}.keys.npy"


def read_layout(folder: Path | None) -> dict[str, LayoutEntry]:
    """The resources of the layout in `folder`; none when there is no folder or manifest."""
    if folder is None or not (folder / LAYOUT_MANIFEST).exists():
        return {}
    loaded = json.loads((folder / LAYOUT_MANIFEST).read_text(encoding="utf-8"))
    return {
        resource: LayoutEntry(
            key=str(info["key"]),
            rows=int(info["rows"]),
            file=str(info["file"]),
            fingerprint=str(info["fingerprint"]),
        )
        for resource, info in loaded.items()
    }


def write_layout(folder: Path, entries: dict[str, LayoutEntry]) -> None:
    """Write the manifest last, once every file it names is in `folder`."""
    text = json.dumps({r: asdict(e) for r, e in entries.items()}, ensure_ascii=False)
    (folder / LAYOUT_MANIFEST).write_text(text, encoding="utf-8")
