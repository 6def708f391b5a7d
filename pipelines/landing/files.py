"""Department files in the landing zone: where they are, which contract they fall under.

Layout: `<landing>/<department>/<contract id>/<file>`; a file's identity is its content hash,
so a re-delivery of the same bytes under any name is recognised as already landed.
"""

from __future__ import annotations

import fnmatch
import hashlib
from dataclasses import dataclass
from pathlib import Path

from contracts.model import Contract
from pipelines.landing.filetype import EXTENSIONS

HASH_CHUNK = 8 << 20
PARTITION_KEY_LENGTH = 20


@dataclass(frozen=True)
class LandingFile:
    path: Path
    contract_id: str
    department: str


@dataclass(frozen=True)
class Unrecognised:
    """A file nobody will land, with why: stewards must see these, not wonder."""

    path: Path
    reason: str


def content_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def partition_key(file_hash: str) -> str:
    """Dagster partition key of a file: a prefix of its hash, long enough never to collide."""
    return file_hash[:PARTITION_KEY_LENGTH]


def discover(
    root: Path, contracts: dict[str, Contract]
) -> tuple[list[LandingFile], list[Unrecognised]]:
    """Every delivered file under `root`, in a stable order, split by whether it can be landed."""
    found: list[LandingFile] = []
    unrecognised: list[Unrecognised] = []
    if not root.exists():
        return found, unrecognised
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")):
        parts = path.relative_to(root).parts
        if len(parts) != 3:
            unrecognised.append(
                Unrecognised(path, "not in a <department>/<resource>/ folder of the landing zone")
            )
            continue
        department, contract_id, name = parts
        contract = contracts.get(contract_id)
        if contract is None:
            unrecognised.append(Unrecognised(path, f"no contract named {contract_id!r}"))
        elif contract.department != department:
            unrecognised.append(
                Unrecognised(path, f"{contract_id} belongs to department {contract.department}")
            )
        elif not name_matches(name, contract):
            unrecognised.append(
                Unrecognised(
                    path,
                    f"name does not match {contract.source.file_pattern!r} (any data-file "
                    "extension is accepted); rename the file to match",
                )
            )
        else:
            found.append(LandingFile(path, contract_id, department))
    return found, unrecognised


def name_matches(name: str, contract: Contract) -> bool:
    """Whether `name` is a delivery of `contract`: it matches the file pattern, or matches it
    with another data-file extension. The extension does not decide how a file is read (its
    content does), so a workbook sent as `人口基本信息_20261120.xlsx` under the pattern
    `人口基本信息_*.csv` is picked up, and refused or read by what it really is."""
    pattern = contract.source.file_pattern
    if fnmatch.fnmatch(name, pattern):
        return True
    known = tuple(e for extensions in EXTENSIONS.values() for e in extensions)
    stem, dot, extension = name.rpartition(".")
    pattern_stem = pattern.rpartition(".")[0] or pattern
    return bool(dot) and f".{extension.lower()}" in known and fnmatch.fnmatch(stem, pattern_stem)
