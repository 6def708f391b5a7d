"""Column-at-a-time validation of the one-number keys, for the pipeline and for DuckDB.

Same answers as the scalar API in :mod:`contracts.keys.id_number` and
:mod:`contracts.keys.credit_code` (the differential test holds the two together), at tens of
millions of keys per second. The shape of the work:

1. Rows that are exactly 18 bytes are copied out of the Arrow data buffer into an (n, 18)
   byte matrix, which also becomes the data buffer of the output column, and checked with
   whole-column NumPy arithmetic on its transpose. Most real values end here.
2. The rest (nulls aside) - wrong length, spaces, full-width digits, lower-case x, legacy
   codes - is normalised with Arrow string kernels and classified again. That subset is
   small in real data, so it is done once for the whole column, not per chunk.
3. Step 1 runs on chunks spread over the cores; NumPy and Arrow release the GIL inside
   each operation.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from functools import cache, partial
from typing import TypeAlias, TypeVar

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from duckdb.func import ARROW, SPECIAL
from duckdb.sqltypes import VARCHAR

from contracts.keys import arrow_buffers as buffers
from contracts.keys.arrow_buffers import Bytes, Mask
from contracts.keys.checksums import (
    ID_CHECK_CHARS,
    ID_WEIGHTS,
    ORG_CHECK_CHARS,
    ORG_WEIGHTS,
    USCC_ALPHABET_BYTES,
    USCC_WEIGHTS,
    id_check_chars,
    org_check_chars,
)
from contracts.keys.credit_code import ORG_CODE_LENGTH, REGION_SLICE
from contracts.keys.id_number import LEGACY_LENGTH, LENGTH, MIN_BIRTH_YEAR, SEPARATORS
from contracts.keys.problems import Problem
from contracts.keys.regions import region_lookup

Codes = npt.NDArray[np.int8]
Pairs = npt.NDArray[np.uint16]
Values: TypeAlias = "pa.Array | pa.ChunkedArray"
T = TypeVar("T")
R = TypeVar("R")

# Rows per unit of work: big enough to amortise the ~60 NumPy calls a chunk costs, small
# enough to keep both cores busy; 64-256 k measured alike on 2 cores, smaller was slower.
CHUNK_ROWS = 131_072

# Problems travel through NumPy as int8: 0 is a valid key, i + 1 is the i-th Problem.
VALID = 0
_CODE = {problem: index + 1 for index, problem in enumerate(Problem)}
_PROBLEM_NAMES = pa.array([problem.value for problem in Problem], pa.string())
_KIND_NAMES = pa.array(["person", "organisation"], pa.string())
_ID_SHAPED = np.array(
    [_CODE[p] for p in (Problem.BAD_CHECK_CHAR, Problem.BAD_BIRTH_DATE, Problem.UNKNOWN_REGION)],
    dtype=np.int8,
)

_ZERO = np.uint8(ord("0"))
_X_DIGIT = ord("X") - ord("0")
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.uint16)
_USCC_VALUES = np.full(256, 255, dtype=np.uint8)
_USCC_VALUES[USCC_ALPHABET_BYTES] = np.arange(len(USCC_ALPHABET_BYTES))
_BASE36_VALUES = np.full(256, 255, dtype=np.uint8)
_BASE36_VALUES[np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8)] = range(36)
_ID_WEIGHTS_FIRST = ID_WEIGHTS[0:16:2].astype(np.uint16)[:, None]  # characters 1, 3, ..., 15
_ID_WEIGHTS_SECOND = ID_WEIGHTS[1:16:2].astype(np.uint16)[:, None]  # characters 2, 4, ..., 16
# Check characters indexed by the weighted sum itself, for every sum a valid row can reach:
# one gather instead of a modulo and a gather.
_ID_CHECK_BY_SUM = ID_CHECK_CHARS[np.arange(255 * ID_WEIGHTS.sum() + 1) % 11]
_USCC_CHECK_BY_SUM = USCC_ALPHABET_BYTES[(31 - np.arange(255 * USCC_WEIGHTS.sum() + 1) % 31) % 31]
_ORG_CHECK_BY_SUM = ORG_CHECK_CHARS[11 - np.arange(255 * ORG_WEIGHTS.sum() + 1) % 11]
_REGION_WEIGHTS = 10 ** np.arange(5, -1, -1)  # a credit code's six region digits, as a number


@dataclass(frozen=True)
class KeyColumns:
    """Per input row: the normalised key, or null and the problem code."""

    value: pa.Array
    problem: pa.Array


@dataclass(frozen=True)
class SubjectKeyColumns:
    """Like :class:`KeyColumns`, plus ``kind`` ("person" / "organisation", null if invalid)."""

    value: pa.Array
    kind: pa.Array
    problem: pa.Array


@dataclass(frozen=True)
class _Checked:
    """Problem codes and an (n, 18) byte matrix whose rows with code VALID hold the keys."""

    codes: Codes
    keys: Bytes


@dataclass(frozen=True)
class _Rules:
    """What differs between the two kinds of key."""

    kernel: Callable[[Bytes, date], Codes]  # for 18-character ASCII rows
    legacy_lengths: tuple[int, ...]
    # For ASCII values of a legacy length: a problem, or VALID and the 18-character key the
    # value stands for, which the kernel then checks with the other rows.
    legacy: Callable[[pa.Array], _Checked]


def check_id_numbers(values: Values) -> KeyColumns:
    """Vectorised :func:`contracts.keys.id_number.check_id_number`."""
    return _columns(_check(values, _ID_RULES))


def check_credit_codes(values: Values, aliases: Mapping[str, str] | None = None) -> KeyColumns:
    """Vectorised :func:`contracts.keys.credit_code.check_credit_code`."""
    return _columns(_check(values, _credit_code_rules(aliases)))


def check_subject_keys(
    values: Values, aliases: Mapping[str, str] | None = None
) -> SubjectKeyColumns:
    """Vectorised :func:`contracts.keys.credit_code.check_subject_key`, same precedence."""
    as_id = _check(values, _ID_RULES)
    as_code = _check(values, _credit_code_rules(aliases))
    id_ok = as_id.codes == VALID
    code_ok = as_code.codes == VALID
    person = id_ok.copy()
    both = np.flatnonzero(id_ok & code_ok)
    person[both] = (as_id.keys[both] == as_code.keys[both]).all(axis=1)
    organisation = code_ok & ~person
    codes = np.where(np.isin(as_id.codes, _ID_SHAPED), as_id.codes, as_code.codes)
    codes[person | organisation] = VALID
    keys = as_code.keys
    keys[person] = as_id.keys[person]
    kind = pa.array(organisation.astype(np.int8), mask=~(person | organisation))
    checked = _Checked(codes, keys)
    return SubjectKeyColumns(_key_strings(checked), _KIND_NAMES.take(kind), _problem_strings(codes))


def register_key_functions(con: duckdb.DuckDBPyConnection) -> None:
    """Make the checks callable from SQL quality rules, e.g. ``id_number_problem(col)``.

    Registered as Arrow UDFs with special null handling, so that NULL yields 'missing'
    instead of being skipped. Credit codes are checked without legacy aliases here: SQL has
    no way to pass the mapping.
    """
    functions = {
        "id_number_normalize": lambda v: check_id_numbers(v).value,
        "id_number_problem": lambda v: check_id_numbers(v).problem,
        "credit_code_normalize": lambda v: check_credit_codes(v).value,
        "credit_code_problem": lambda v: check_credit_codes(v).problem,
    }
    for name, function in functions.items():
        con.create_function(name, function, [VARCHAR], VARCHAR, type=ARROW, null_handling=SPECIAL)


def _columns(checked: _Checked) -> KeyColumns:
    return KeyColumns(_key_strings(checked), _problem_strings(checked.codes))


def _key_strings(checked: _Checked) -> pa.Array:
    """A string array over the key matrix as is: every row 18 bytes, invalid rows null.

    Fixed offsets avoid compacting the matrix; Arrow allows null slots to hold bytes, and
    ours hold zeros.
    """
    n = len(checked.codes)
    valid = checked.codes == VALID
    large = (n + 1) * LENGTH > np.iinfo(np.int32).max
    offsets = np.arange(0, (n + 1) * LENGTH, LENGTH, dtype=np.int64 if large else np.int32)
    buffers = [
        pa.py_buffer(np.packbits(valid, bitorder="little")),
        pa.py_buffer(offsets),
        pa.py_buffer(checked.keys),
    ]
    string_type = pa.large_string() if large else pa.string()
    return pa.Array.from_buffers(string_type, n, buffers, null_count=n - int(valid.sum()))


def _problem_strings(codes: Codes) -> pa.Array:
    valid = codes == VALID
    return _PROBLEM_NAMES.take(pa.array(codes - 1, mask=valid))


def _check(values: Values, rules: _Rules) -> _Checked:
    """Fast pass over the 18-byte rows, chunk by chunk on all cores, then one pass over the rest.

    The rest is gathered from all chunks first because Arrow's string kernels cost tens of
    microseconds per call whatever the size, which would dominate if paid per chunk.
    """
    pieces = list(_pieces(values))
    total = sum(len(piece) for _, piece in pieces)
    out = _Checked(np.empty(total, dtype=np.int8), np.empty((total, LENGTH), dtype=np.uint8))
    today = date.today()
    leftovers = _map(partial(_fast_pass, rules, today, out), pieces)
    rows = np.concatenate([np.empty(0, dtype=np.intp), *(rows for rows, _ in leftovers)])
    if len(rows):
        raw = pa.concat_arrays([values for _, values in leftovers])
        cleaned = _check_normalised(_normalise(raw), rules, today)
        out.codes[rows] = cleaned.codes
        out.keys[rows] = cleaned.keys
    return out


def _pieces(values: Values) -> Iterator[tuple[int, pa.Array]]:
    """(first row, slice) pairs of at most CHUNK_ROWS rows, as strings with readable offsets."""
    start = 0
    for chunk in values.chunks if isinstance(values, pa.ChunkedArray) else [values]:
        text = _as_text(chunk)
        for offset in range(0, len(text), CHUNK_ROWS):
            yield start + offset, text.slice(offset, CHUNK_ROWS)
        start += len(text)


def _map(function: Callable[[T], R], items: list[T]) -> list[R]:
    if len(items) <= 1:
        return [function(item) for item in items]
    return list(_pool().map(function, items))


@cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="keys")


def _as_text(chunk: pa.Array) -> pa.Array:
    """Strings with offsets we can read; dictionary, view, integer or null columns are cast."""
    if pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type):
        return chunk
    return chunk.cast(pa.string())


def _fast_pass(
    rules: _Rules, today: date, out: _Checked, piece: tuple[int, pa.Array]
) -> tuple[npt.NDArray[np.intp], pa.Array]:
    """Check the piece's 18-byte rows in place in ``out``; return the rows left to clean.

    Left over are non-null rows of another length and 18-byte rows with a character that
    cleaning may fix ("x" for "X", a full-width digit, a space).
    """
    start, raw = piece
    codes = out.codes[start : start + len(raw)]
    keys = out.keys[start : start + len(raw)]
    present = buffers.present(raw)
    fixed = present & (buffers.byte_lengths(raw) == LENGTH)
    keys[:] = buffers.gather_rows(raw, fixed, LENGTH)
    codes[:] = rules.kernel(keys, today)
    codes[~present] = _CODE[Problem.MISSING]
    keys[np.flatnonzero(codes != VALID)] = 0
    redo = np.flatnonzero(present & (~fixed | (codes == _CODE[Problem.BAD_CHARSET])))
    return start + redo, raw.take(pa.array(redo))


def _check_normalised(keys: pa.Array, rules: _Rules, today: date) -> _Checked:
    """Classify normalised, non-null values by length, as the scalar functions do."""
    chars = pc.utf8_length(keys).to_numpy()
    ascii_only = buffers.byte_lengths(keys) == chars
    legacy_length = np.logical_or.reduce([chars == n for n in rules.legacy_lengths])
    full = ascii_only & (chars == LENGTH)
    out = buffers.gather_rows(keys, full, LENGTH)
    codes = np.where(full, VALID, _CODE[Problem.BAD_LENGTH]).astype(np.int8)
    codes[(legacy_length | (chars == LENGTH)) & ~ascii_only] = _CODE[Problem.BAD_CHARSET]
    codes[chars == 0] = _CODE[Problem.MISSING]
    legacy = ascii_only & legacy_length
    if legacy.any():
        resolved = rules.legacy(keys.filter(pa.array(legacy)))
        codes[legacy] = resolved.codes
        out[legacy] = resolved.keys
    pending = codes == VALID
    if pending.any():
        codes[pending] = rules.kernel(out, today)[pending]
    out[codes != VALID] = 0
    return _Checked(codes, out)


def _normalise(raw: pa.Array) -> pa.Array:
    """Arrow twin of :func:`contracts.keys.id_number.clean_key`.

    Separators are removed one plain replace per separator that occurs at all: a byte count
    finds those, and is far cheaper than a regex replace over every value.
    """
    text = pc.utf8_normalize(raw, "NFKC")
    offsets = buffers.offsets(text)
    occurring = np.bincount(buffers.data_bytes(text)[offsets[0] : offsets[-1]], minlength=256) > 0
    for separator in SEPARATORS:
        if occurring[ord(separator)]:
            text = pc.replace_substring(text, separator, "")
    return pc.ascii_upper(text)


# --- resident ID numbers ------------------------------------------------------------------


def _id_problems(rows: Bytes, today: date) -> Codes:
    """Problem codes for (k, 18) rows of bytes: the hot loop of the module.

    Transposes the rows as (9, k) uint16 character pairs, which moves half as many items
    as a byte transpose, so that every later step is one contiguous operation over a whole
    chunk. Non-digits wrap round to values >= 10 and fail the charset check.
    """
    pairs = np.ascontiguousarray(rows.view("<u2").T)  # character 2p low byte, 2p + 1 high
    first = (pairs & 0xFF) - np.uint16(ord("0"))
    second = (pairs >> 8) - np.uint16(ord("0"))
    last = second[8]
    charset_ok = (
        (np.maximum(first[:8], second[:8]).max(axis=0) <= 9)
        & (first[8] <= 9)
        & ((last <= 9) | (last == _X_DIGIT))
    )
    total = (first[:8] * _ID_WEIGHTS_FIRST + second[:8] * _ID_WEIGHTS_SECOND).sum(
        axis=0, dtype=np.uint16
    ) + first[8] * np.uint16(ID_WEIGHTS[16])
    check_ok = np.take(_ID_CHECK_BY_SUM, total, mode="clip") == last + np.uint16(ord("0"))
    numbers = first[:7] * np.uint16(10) + second[:7]  # the two-digit fields
    region = numbers[0].astype(np.uint32) * 10_000 + numbers[1] * np.uint32(100) + numbers[2]
    century, year_in_century, month, day = numbers[3:7]
    return _first_failures(
        [
            (charset_ok, Problem.BAD_CHARSET),
            (check_ok, Problem.BAD_CHECK_CHAR),
            (_plausible_dates(century, year_in_century, month, day, today), Problem.BAD_BIRTH_DATE),
            (np.take(region_lookup(), region, mode="clip"), Problem.UNKNOWN_REGION),
        ]
    )


def _plausible_dates(
    century: Pairs, year_in_century: Pairs, month: Pairs, day: Pairs, today: date
) -> Mask:
    """Real calendar dates from 1880 to today, from two-digit fields, without division."""
    year = century.astype(np.uint32) * 100 + year_in_century
    leap = ((year_in_century & 3) == 0) & ((year_in_century != 0) | ((century & 3) == 0))
    month_days = np.take(_DAYS_IN_MONTH, month, mode="clip") + (leap & (month == 2))
    in_calendar = (month - np.uint16(1) < 12) & (day - np.uint16(1) < month_days)
    as_number = (year * 100 + month) * 100 + day
    not_future = as_number <= today.year * 10_000 + today.month * 100 + today.day
    return in_calendar & not_future & (year >= MIN_BIRTH_YEAR)


def _id_legacy(keys: pa.Array) -> _Checked:
    """15-digit numbers gain the century "19" and a check character."""
    rows = buffers.gather_rows(keys, None, LEGACY_LENGTH)
    digits_ok = (rows - _ZERO).max(axis=1, initial=0) <= 9
    century = np.full((len(rows), 2), (ord("1"), ord("9")), dtype=np.uint8)
    body = np.concatenate([rows[:, :6], century, rows[:, 6:]], axis=1)
    upgraded = np.concatenate([body, id_check_chars(body - _ZERO)[:, None]], axis=1)
    codes = np.where(digits_ok, VALID, _CODE[Problem.BAD_CHARSET]).astype(np.int8)
    return _Checked(codes, upgraded)


_ID_RULES = _Rules(_id_problems, (LEGACY_LENGTH,), _id_legacy)


# --- unified social credit codes ----------------------------------------------------------


def _credit_code_problems(rows: Bytes, today: date) -> Codes:
    chars = np.ascontiguousarray(rows.T)
    values = np.take(_USCC_VALUES, chars)  # 255 outside the alphabet
    check = np.take(_USCC_CHECK_BY_SUM, _weighted_sum(values[:17], USCC_WEIGHTS, np.uint32))
    org_values = np.take(_BASE36_VALUES, chars[8:16])
    org_check = np.take(_ORG_CHECK_BY_SUM, _weighted_sum(org_values, ORG_WEIGHTS))
    return _first_failures(
        [
            (values.max(axis=0, initial=0) <= 30, Problem.BAD_CHARSET),
            (check == chars[17], Problem.BAD_CHECK_CHAR),
            (org_check == chars[16], Problem.BAD_ORG_CODE_CHECK),
            (_known_regions(chars[REGION_SLICE]), Problem.UNKNOWN_REGION),
        ]
    )


def _known_regions(region_chars: Bytes) -> Mask:
    """Rows of six characters (one per row of the (6, k) input) that form a known region.

    A letter (GB 32100's alphabet allows them elsewhere) wraps round to a value above 9 and
    is never a region digit.
    """
    region_digits = region_chars - _ZERO
    digits_ok = region_digits.max(axis=0, initial=0) <= 9
    region = _weighted_sum(region_digits, _REGION_WEIGHTS, np.uint32)
    return digits_ok & np.take(region_lookup(), region, mode="clip")


def _credit_code_rules(aliases: Mapping[str, str] | None) -> _Rules:
    table = _AliasTable.of(aliases or {})
    return _Rules(
        _credit_code_problems, (ORG_CODE_LENGTH, LEGACY_LENGTH), partial(_credit_legacy, table)
    )


@dataclass(frozen=True)
class _AliasTable:
    """The alias mapping as Arrow arrays, built once per column rather than per chunk."""

    keys: pa.Array
    targets: pa.Array

    @classmethod
    def of(cls, aliases: Mapping[str, str]) -> _AliasTable:
        return cls(
            pa.array(list(aliases), pa.string()), pa.array(list(aliases.values()), pa.string())
        )

    def lookup(self, keys: pa.Array) -> pa.Array:
        return self.targets.take(pc.index_in(keys, value_set=self.keys))


def _credit_legacy(table: _AliasTable, keys: pa.Array) -> _Checked:
    """Legacy codes are checked for shape, then only count through the alias table."""
    org = pc.utf8_length(keys).to_numpy() == ORG_CODE_LENGTH
    codes = _org_code_problems(buffers.gather_rows(keys, org, ORG_CODE_LENGTH))
    numbers = buffers.gather_rows(keys, ~org, LEGACY_LENGTH)
    numbers_ok = (numbers - _ZERO).max(axis=1, initial=0) <= 9
    codes[~org] = np.where(numbers_ok, VALID, _CODE[Problem.BAD_CHARSET])[~org]
    codes[codes == VALID] = _CODE[Problem.UNMAPPED_LEGACY_CODE]
    hyphenated = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(keys, 0, 8), pc.utf8_slice_codeunits(keys, 8), "-"
    )
    org_only = pc.if_else(pa.array(org), table.lookup(hyphenated), pa.scalar(None, pa.string()))
    return _resolve_targets(codes, pc.coalesce(table.lookup(keys), org_only))


def _org_code_problems(rows: Bytes) -> Codes:
    """GB 11714 shape and check character of bare (k, 9) organisation codes."""
    values = np.take(_BASE36_VALUES, rows[:, :8])
    last = rows[:, 8]
    charset_ok = (values.max(axis=1, initial=0) <= 35) & ((last - _ZERO <= 9) | (last == ord("X")))
    return _first_failures(
        [
            (charset_ok, Problem.BAD_CHARSET),
            (org_check_chars(values) == last, Problem.BAD_CHECK_CHAR),
        ]
    )


def _resolve_targets(codes: Codes, targets: pa.Array) -> _Checked:
    """Well-formed legacy rows with a target take the target's own check, without aliases."""
    keys = np.zeros((len(codes), LENGTH), dtype=np.uint8)
    mapped = (codes == _CODE[Problem.UNMAPPED_LEGACY_CODE]) & buffers.present(targets)
    if mapped.any():
        resolved = _check(targets.filter(pa.array(mapped)), _CREDIT_CODE_RULES)
        codes[mapped] = resolved.codes
        keys[mapped] = resolved.keys
    return _Checked(codes, keys)


_CREDIT_CODE_RULES = _credit_code_rules(None)


# --- shared helpers -------------------------------------------------------------------


def _weighted_sum(
    rows: Bytes, weights: npt.ArrayLike, dtype: type[np.unsignedinteger] = np.uint16
) -> npt.NDArray[np.unsignedinteger]:
    """Sum of weight * row, one contiguous pass per row.

    A loop of 17 in-cache passes beats both ``checksums``' int64 row-major matmul and a
    float BLAS product on (17, k) blocks several times over, measured.
    """
    total = np.zeros(rows.shape[1], dtype=dtype)
    for row, weight in zip(rows, np.asarray(weights), strict=True):
        total += row * dtype(weight)
    return total


def _first_failures(checks: list[tuple[Mask, Problem]]) -> Codes:
    """Per row, the code of the first failed check, in the order the scalar API checks.

    Ranks the failures only among the rows that failed something, usually a few percent.
    """
    all_ok = checks[0][0].copy()
    for ok, _ in checks[1:]:
        all_ok &= ok
    codes = np.zeros(len(all_ok), dtype=np.int8)
    failed = np.flatnonzero(~all_ok)
    ranked = np.zeros(len(failed), dtype=np.int8)
    for ok, problem in reversed(checks):
        ranked = np.where(ok[failed], ranked, np.int8(_CODE[problem]))
    codes[failed] = ranked
    return codes
