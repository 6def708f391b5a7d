"""What a generator run wrote: per file, and in total, with the dirt it injected."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path


@dataclass(frozen=True)
class FileSummary:
    department: str
    resource_id: str
    path: Path  # relative to the landing zone
    format: str  # csv, excel, jsonl, parquet (the contract's source.format)
    encoding: str | None  # text encoding of csv and jsonl files
    delivery: str  # "full", "increment" (a later file with corrections) or "repeat"
    delivered: date
    rows: int
    dirt: dict[str, int]  # injected damage, by kind (see `dirt.Dirt`)


@dataclass(frozen=True)
class GenerationSummary:
    out: Path
    seed: int
    persons: int
    enterprises: int
    files: tuple[FileSummary, ...]
    seconds: float

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)

    @property
    def dirt(self) -> dict[str, int]:
        total: Counter[str] = Counter()
        for f in self.files:
            total.update(f.dirt)
        return dict(sorted(total.items()))
