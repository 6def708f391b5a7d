"""Matching the headers a department wrote to the columns of its contract."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from contracts.model import Contract
from pipelines.landing.errors import LandingError

# A resident ID number (15 or 18 characters) or a credit code: what a data row standing where
# the header should be puts in an error message, and what no log line may show in clear.
KEY_LIKE = re.compile(r"[0-9]{15}|[0-9]{17}[0-9X]|[0-9A-HJ-NP-RTUW-Y]{18}")


def shown_header(header: object) -> str:
    """A header as an error message quotes it, with anything shaped like a key hidden."""
    text = str(header or "")
    return "<hidden number>" if KEY_LIKE.fullmatch(canonical_header(text).upper()) else text


def canonical_header(header: object) -> str:
    """Full-width letters, stray spaces and BOMs are how the same header differs between exports."""
    text = unicodedata.normalize("NFKC", str(header or "")).replace("\ufeff", "")
    return "".join(text.split()).lower()


@dataclass(frozen=True)
class HeaderMap:
    """For each contract column, the position of its field in the file, or None if absent."""

    positions: dict[str, int | None]
    ignored: tuple[str, ...]

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(name for name, pos in self.positions.items() if pos is None)


def score_headers(contract: Contract, headers: Sequence[object]) -> int:
    """How many contract columns a candidate header row names (to find it below title rows)."""
    known = {canonical_header(h) for c in contract.columns for h in c.header_names}
    return sum(1 for h in headers if canonical_header(h) in known)


def map_headers(contract: Contract, headers: Sequence[object], path: Path) -> HeaderMap:
    lookup = {canonical_header(h): i for i, h in enumerate(headers) if canonical_header(h)}
    positions: dict[str, int | None] = {}
    for column in contract.columns:
        found = [
            lookup[canonical_header(h)]
            for h in column.header_names
            if canonical_header(h) in lookup
        ]
        positions[column.name] = found[0] if found else None
    used = {p for p in positions.values() if p is not None}
    ignored = tuple(str(h) for i, h in enumerate(headers) if i not in used and str(h or "").strip())
    missing_required = [
        f"{c.aliases[0] if c.aliases else c.name} ({c.name})"
        for c in contract.columns
        if c.required and positions[c.name] is None
    ]
    if missing_required:
        found_headers = ", ".join(shown_header(h) for h in headers)
        raise LandingError(
            path,
            f"required column(s) {', '.join(missing_required)} not found in the header "
            f"row [{found_headers}]",
            f"Ask the department to deliver the columns the contract {contract.id} "
            f"v{contract.version} names, or add their header as an alias in the contract",
        )
    return HeaderMap(positions=positions, ignored=ignored)
