"""What a delivered file really is, from its first bytes rather than its name.

Departments rename exports by hand: an Excel workbook arrives as `.csv`, a CSV as `.xls`. The
reader is therefore chosen from the file's signature. Four formats need telling apart, and
each has a fixed signature (xlsx is a zip archive holding `xl/workbook.xml`, xls an OLE2
compound file, Parquet starts with `PAR1`, JSON lines with `{`), so a small table here is
enough; a general file-type library would add a dependency (and libmagic a system one) to
recognise hundreds of types this exchange never lands.
"""

from __future__ import annotations

import codecs
import zipfile
from dataclasses import dataclass
from pathlib import Path

from contracts.model import SourceFormat
from pipelines.landing.errors import LandingError

ZIP = b"PK\x03\x04"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
PARQUET = b"PAR1"
HEAD_BYTES = 4096

FORMAT_NAMES = {
    SourceFormat.csv: "CSV text",
    SourceFormat.excel: "an Excel workbook",
    SourceFormat.jsonl: "JSON lines",
    SourceFormat.parquet: "Parquet",
}
# File name extensions under which each format is delivered; a name with one of these may
# stand for any accepted format (see `files.name_matches`).
EXTENSIONS = {
    SourceFormat.csv: (".csv", ".txt", ".tsv"),
    SourceFormat.excel: (".xlsx", ".xls"),
    SourceFormat.jsonl: (".jsonl", ".json", ".ndjson"),
    SourceFormat.parquet: (".parquet",),
}


@dataclass(frozen=True)
class DetectedType:
    format: SourceFormat
    description: str  # what the file is, in the words of an error message


def detect_format(path: Path) -> DetectedType:
    """The format of `path` by its signature; anything without a binary signature is text,
    read as CSV unless its first character opens a JSON object."""
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    if not head:
        raise LandingError(
            path, "the file is empty (0 bytes)", "Ask the department to deliver it again"
        )
    if head.startswith(ZIP):
        _refuse_other_archives(path)
        return DetectedType(SourceFormat.excel, "an Excel workbook (.xlsx)")
    if head.startswith(OLE2):
        return DetectedType(SourceFormat.excel, "an Excel 97-2003 workbook (.xls)")
    if head.startswith(PARQUET):
        return DetectedType(SourceFormat.parquet, "a Parquet file")
    text = head.removeprefix(codecs.BOM_UTF8).lstrip()
    if text.startswith(b"{"):
        return DetectedType(SourceFormat.jsonl, "JSON lines")
    return DetectedType(SourceFormat.csv, "text (CSV)")


def _refuse_other_archives(path: Path) -> None:
    """A zip archive is a workbook when it holds one; a truncated workbook cannot be opened as a
    zip at all, and is still a workbook (its reader then says it is damaged)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return
    if "xl/workbook.xml" not in names:
        raise LandingError(
            path,
            "the file is a zip archive, not an Excel workbook",
            "Ask the department to deliver the data file itself, not an archive of it",
        )


def check_accepted(path: Path, detected: DetectedType, accepted: tuple[SourceFormat, ...]) -> None:
    """Refuse a file whose real type the contract does not list, saying what was expected."""
    if detected.format in accepted:
        return
    expected = " or ".join(FORMAT_NAMES[f] for f in accepted)
    extensions = ", ".join(e for f in accepted for e in EXTENSIONS[f])
    raise LandingError(
        path,
        f"the file is {detected.description}, but its contract expects {expected} ({extensions})",
        f"Ask the department to deliver {expected}; or, if it may deliver "
        f"{FORMAT_NAMES[detected.format]} from now on, list {detected.format} in the "
        "contract's source.formats",
    )
