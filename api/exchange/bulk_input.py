"""A back office's list of applicants for a bulk prefill: a CSV or Excel file, read row by row.

The file names, per applicant, an ID number or credit code and the case number the read is
for; its header says which column is which (Chinese or English names, below any title rows,
as departments write them). The file is read twice, streaming both times: once to check it
(a file that cannot be read is refused whole, before anything is read from the pool, and the
row count gives the progress its total) and once to prefill. A row's own problems (a bad
key, no case number) are the row's refusal, decided by the same screening as a single
prefill; only a file that is not a list of applicants at all is a file-level error.
"""

from __future__ import annotations

import codecs
import csv
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from python_calamine import CalamineError, CalamineWorkbook

MAX_ROWS = 100_000  # one upload; a larger list is split
HEADER_SEARCH_ROWS = 10
SNIFF_BYTES = 1 << 16
KEY_HEADERS = frozenset(
    {
        "证件号码",
        "身份证号",
        "身份证号码",
        "公民身份号码",
        "申请人证件号码",
        "统一社会信用代码",
        "证件号码/统一社会信用代码",
        "subject",
        "key",
        "id_number",
        "credit_code",
    }
)
CASE_HEADERS = frozenset({"办件编号", "办件号", "受理编号", "case_no", "case number", "case"})


class FileProblem(ValueError):
    """The upload is not a readable list of applicants: the whole file is refused."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Applicant:
    """One row of the list: where it stands in the file, and its two values as given."""

    row: int  # 1-based row of the file (or sheet)
    subject: str
    case_no: str


@dataclass(frozen=True)
class ApplicantList:
    """A checked list: its kind, where its header is and which columns hold what."""

    path: Path
    kind: str  # "csv" or "excel"
    encoding: str  # CSV only
    header_row: int  # 0-based index among the rows read
    key_column: int
    case_column: int
    rows: int  # applicants (rows under the header, blank ones not counted)

    def applicants(self) -> Iterator[Applicant]:
        """The applicants, in file order, read again from the file."""
        for number, cells in enumerate(_rows(self.path, self.kind, self.encoding), start=1):
            if number <= self.header_row + 1 or not any(_text(c) for c in cells):
                continue
            yield Applicant(
                number,
                _cell(cells, self.key_column),
                _cell(cells, self.case_column),
            )


def check(path: Path) -> ApplicantList:
    """The list in `path`, checked from end to end; else `FileProblem` saying what to fix."""
    kind = _kind(path)
    encoding = _encoding(path) if kind == "csv" else ""
    rows = _rows(path, kind, encoding)
    head: list[Sequence[object]] = []
    for cells in rows:
        head.append(cells)
        if len(head) == HEADER_SEARCH_ROWS:
            break
    if not head:
        raise FileProblem(
            "the file is empty: upload a list with a header row and one applicant a row"
        )
    found = next(
        (
            (n, key, case)
            for n, cells in enumerate(head)
            if (key := _column(cells, KEY_HEADERS)) is not None
            and (case := _column(cells, CASE_HEADERS)) is not None
        ),
        None,
    )
    if found is None:
        raise FileProblem(
            f"no header row among the first {len(head)} rows names both a key column (证件号码 "
            "or 统一社会信用代码) and a case-number column (办件编号): add that header row"
        )
    header_row, key_column, case_column = found
    count = 0
    for cells in itertools.chain(head[header_row + 1 :], rows):
        if any(_text(c) for c in cells):
            count += 1
            if count > MAX_ROWS:
                raise FileProblem(
                    f"the list has more than {MAX_ROWS} applicants: split it into files of at "
                    f"most {MAX_ROWS} rows"
                )
    if count == 0:
        raise FileProblem("the list has a header but no applicant: add one applicant a row")
    return ApplicantList(path, kind, encoding, header_row, key_column, case_column, count)


def _kind(path: Path) -> str:
    """Excel by its first bytes (a zip: .xlsx; OLE2: .xls), else CSV; the name decides nothing."""
    with path.open("rb") as handle:
        start = handle.read(8)
    if start.startswith(b"PK\x03\x04") or start.startswith(b"\xd0\xcf\x11\xe0"):
        return "excel"
    return "csv"


def _encoding(path: Path) -> str:
    """UTF-8 (with or without its mark) if the file's start decodes as such, else GBK, as
    departments' systems export; a file neither decodes is refused."""
    with path.open("rb") as handle:
        sample = handle.read(SNIFF_BYTES)
    if b"\x00" in sample:
        raise FileProblem(
            "the file is neither CSV text nor an Excel workbook: upload .csv or .xlsx"
        )
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    try:
        codecs.getincrementaldecoder("gbk")().decode(sample, final=False)
        return "gbk"
    except UnicodeDecodeError:
        raise FileProblem(
            "the CSV file is neither UTF-8 nor GBK text: save it as CSV (UTF-8)"
        ) from None


def _rows(path: Path, kind: str, encoding: str) -> Iterator[Sequence[object]]:
    if kind == "excel":
        yield from _sheet_rows(path)
        return
    try:
        with path.open(encoding=encoding, newline="") as handle:
            yield from csv.reader(handle)
    except UnicodeDecodeError as error:
        raise FileProblem(
            f"the CSV file is not {encoding.removesuffix('-sig').upper()} text throughout "
            f"(byte {error.start} of a chunk cannot be read): save it again as CSV (UTF-8)"
        ) from error
    except csv.Error as error:
        raise FileProblem(f"the CSV file cannot be read ({error}): save it again as CSV") from error


def _sheet_rows(path: Path) -> Iterator[Sequence[object]]:
    try:
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        rows = iter(sheet.iter_rows())
    except (CalamineError, OSError, ValueError, IndexError) as error:
        raise FileProblem(
            f"the workbook cannot be opened ({error}): it is damaged, truncated or not Excel; "
            "save it again as .xlsx"
        ) from error
    yield from rows


def _column(cells: Sequence[object], names: frozenset[str]) -> int | None:
    for n, cell in enumerate(cells):
        text = _text(cell)
        if text is not None and text.lower() in names:
            return n
    return None


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a number typed into Excel; an 18-digit one has lost its digits
    text = str(value).strip()
    return text or None


def _cell(cells: Sequence[object], column: int) -> str:
    return (_text(cells[column]) if column < len(cells) else None) or ""
