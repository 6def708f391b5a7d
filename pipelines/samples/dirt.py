"""Damage a share of each delivered chunk the way real department files are damaged.

Every kind of damage is counted, so tests and benchmarks can check that the exchange finds
exactly what was injected. Rows are chosen without overlap (one kind of damage per row), so
counts are exact and each quarantined row has one reason.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.samples.hashing import I64
from pipelines.samples.keys import (
    ID_CHECK_ALPHABET,
    USCC_BYTES,
    full_width,
    legacy_ids,
    legacy_taxpayer_ids,
    matrix_from_strings,
    strings_from_matrix,
    with_spaces,
    wrong_check,
)
from pipelines.samples.names import variant_names
from pipelines.samples.specs import FeedSpec


class Dirt(StrEnum):
    BAD_CHECK_CHAR = "bad_check_char"  # a key whose check character does not compute
    LEGACY_15_DIGIT = "legacy_15_digit"  # 15-digit first-generation ID / pre-USCC taxpayer no.
    FULL_WIDTH_DIGITS = "full_width_digits"  # key typed with full-width characters
    LOWER_CASE_X = "lower_case_x"  # "x" ending an ID; lower-case letters in a credit code
    INNER_SPACES = "inner_spaces"  # key pasted with spaces between its groups
    MISSING_REQUIRED = "missing_required"  # a required value left empty
    IMPOSSIBLE_DATE = "impossible_date"  # e.g. 2023-02-30
    CONFLICTING_VALUE = "conflicting_value"  # a name written differently than the register's
    DUPLICATE_ROW = "duplicate_row"  # an exact copy of the row before it
    LATE_DELIVERY = "late_delivery"  # rows of a later file correcting or updating earlier ones
    REPEATED_FILE = "repeated_file"  # rows of a byte-identical re-delivery under another name


KEY_DIRT = (
    Dirt.BAD_CHECK_CHAR, Dirt.LEGACY_15_DIGIT, Dirt.FULL_WIDTH_DIGITS, Dirt.LOWER_CASE_X,
    Dirt.INNER_SPACES,
)  # fmt: skip
IMPOSSIBLE_DAYS = pa.array(["-02-30", "-02-31", "-04-31", "-06-31", "-09-31", "-11-31"])
ID_SPACES = np.array([6, 14])  # 410102 19900101 123X, as printed on forms
USCC_SPACES = np.array([8])  # 91410105 MA9ABCDE1X: authority + region, then the code


@dataclass(frozen=True)
class DirtPlan:
    """Which columns of a feed get which damage."""

    key_column: str
    date_column: str | None = None
    conflict_column: str | None = None
    legacy_credit_codes: bool = False  # credit codes may come as 15-char taxpayer numbers


DIRT_KINDS = list(Dirt)
CLEAN = -1


@dataclass(frozen=True)
class Damaged:
    table: pa.Table
    row_dirt: npt.NDArray[np.int8]  # per output row: position in DIRT_KINDS, or CLEAN
    damaged_keys: I64  # row positions (before duplication) whose key was damaged


def dirt_counts(row_dirt: npt.NDArray[np.int8]) -> Counter[str]:
    kinds, counts = np.unique(row_dirt[row_dirt != CLEAN], return_counts=True)
    return Counter({str(DIRT_KINDS[k]): int(c) for k, c in zip(kinds, counts, strict=True)})


def inject(
    table: pa.Table, spec: FeedSpec, plan: DirtPlan, share: float, rng: np.random.Generator
) -> Damaged:
    """Damage about `share` of the rows, split evenly over the kinds the plan allows (a kind
    takes fewer rows only when too few rows qualify, e.g. IDs ending in X)."""
    n = table.num_rows
    total = int(np.floor(share * n + rng.random()))
    key = _column(table, plan.key_column)
    first = pc.utf8_slice_codeunits(key, 0, 1)
    length18 = pc.equal(pc.utf8_length(key), 18)
    is_id = _np(pc.and_(length18, pc.is_in(first, pa.array(list("12345678")))))
    is_code = _np(pc.and_(length18, pc.equal(first, "9")))
    born_19xx = _np(pc.equal(pc.utf8_slice_codeunits(key, 6, 8), "19"))
    ends_x = _np(pc.ends_with(key, "X"))
    has_letter = _np(pc.match_substring_regex(key, "[A-Z]"))
    either = is_id | is_code
    everyone = np.ones(n, dtype=bool)
    eligible: dict[Dirt, npt.NDArray[np.bool_]] = {
        Dirt.BAD_CHECK_CHAR: either,
        Dirt.LEGACY_15_DIGIT: (is_id & born_19xx) | (is_code & plan.legacy_credit_codes),
        Dirt.FULL_WIDTH_DIGITS: either,
        Dirt.LOWER_CASE_X: (is_id & ends_x) | (is_code & has_letter),
        Dirt.INNER_SPACES: either,
        Dirt.MISSING_REQUIRED: everyone,
    }
    if plan.date_column:
        eligible[Dirt.IMPOSSIBLE_DATE] = _np(pc.is_valid(_column(table, plan.date_column)))
    if plan.conflict_column:
        eligible[Dirt.CONFLICTING_VALUE] = everyone
    eligible[Dirt.DUPLICATE_ROW] = everyone

    kinds = list(eligible)
    quota = np.full(len(kinds), total // len(kinds))
    quota[rng.permutation(len(kinds))[: total % len(kinds)]] += 1
    used = np.zeros(n, dtype=bool)
    chosen: dict[Dirt, I64] = {}
    for kind, wanted in zip(kinds, quota, strict=True):
        candidates = np.flatnonzero(eligible[kind] & ~used)
        rows = np.sort(rng.choice(candidates, min(int(wanted), len(candidates)), replace=False))
        used[rows] = True
        chosen[kind] = rows

    replaced: list[tuple[I64, pa.Array]] = []
    for kind in KEY_DIRT:
        rows = chosen[kind]
        for subset, as_id in ((rows[is_id[rows]], True), (rows[is_code[rows]], False)):
            if len(subset):
                replaced.append((subset, _damage_key(kind, key.take(pa.array(subset)), as_id, rng)))
    table = _replace(table, plan.key_column, replaced)
    if plan.date_column:
        rows = chosen[Dirt.IMPOSSIBLE_DATE]
        year = pc.utf8_slice_codeunits(_column(table, plan.date_column).take(pa.array(rows)), 0, 4)
        days = IMPOSSIBLE_DAYS.take(pa.array(rng.integers(0, len(IMPOSSIBLE_DAYS), len(rows))))
        table = _replace(
            table, plan.date_column, [(rows, pc.binary_join_element_wise(year, days, ""))]
        )
    if plan.conflict_column:
        rows = chosen[Dirt.CONFLICTING_VALUE]
        names = _column(table, plan.conflict_column).take(pa.array(rows))
        table = _replace(table, plan.conflict_column, [(rows, variant_names(names, rng))])
    required = [c.name for c in spec.columns if c.required]
    rows = chosen[Dirt.MISSING_REQUIRED]
    blank = np.array(required)[rng.integers(0, len(required), len(rows))]
    for name in required:
        hit = rows[blank == name]
        nulls = pa.nulls(len(hit), table.schema.field(name).type)
        table = _replace(table, name, [(hit, nulls)])
    row_dirt = np.full(n, CLEAN, dtype=np.int8)
    for kind, rows in chosen.items():
        if kind is not Dirt.DUPLICATE_ROW:
            row_dirt[rows] = DIRT_KINDS.index(kind)
    copies = chosen[Dirt.DUPLICATE_ROW]
    order = _duplicate_order(n, copies)
    source = np.concatenate([np.arange(n), copies])[order]
    copy_kind = np.full(len(copies), DIRT_KINDS.index(Dirt.DUPLICATE_ROW), dtype=np.int8)
    row_dirt = np.concatenate([row_dirt, copy_kind])[order]
    damaged = np.sort(np.concatenate([chosen[k] for k in KEY_DIRT]))
    return Damaged(table=table.take(pa.array(source)), row_dirt=row_dirt, damaged_keys=damaged)


def _damage_key(kind: Dirt, values: pa.Array, as_id: bool, rng: np.random.Generator) -> pa.Array:
    if kind is Dirt.LOWER_CASE_X:
        return pc.utf8_lower(values)
    matrix = matrix_from_strings(values, 18)
    if kind is Dirt.BAD_CHECK_CHAR:
        out = wrong_check(matrix, ID_CHECK_ALPHABET if as_id else USCC_BYTES, rng)
    elif kind is Dirt.LEGACY_15_DIGIT:
        out = legacy_ids(matrix) if as_id else legacy_taxpayer_ids(matrix)
    elif kind is Dirt.FULL_WIDTH_DIGITS:
        out = full_width(matrix)
    else:
        out = with_spaces(matrix, ID_SPACES if as_id else USCC_SPACES)
    return strings_from_matrix(out)


def _replace(table: pa.Table, name: str, replaced: list[tuple[I64, pa.Array]]) -> pa.Table:
    """`table` with the listed rows of column `name` set to new values."""
    if not replaced or not sum(len(rows) for rows, _ in replaced):
        return table
    rows = np.concatenate([r for r, _ in replaced])
    values = pa.concat_arrays([v.cast(table.schema.field(name).type) for _, v in replaced])
    order = np.argsort(rows, kind="stable")
    mask = np.zeros(table.num_rows, dtype=bool)
    mask[rows] = True
    column = pc.replace_with_mask(
        _column(table, name), pa.array(mask), values.take(pa.array(order))
    )
    return table.set_column(table.schema.get_field_index(name), name, column)


def _duplicate_order(n: int, rows: I64) -> I64:
    """Row order of a table of `n` rows followed by copies of `rows`, placing each copy
    right after its original; positions >= n are the copies."""
    position = np.concatenate([np.arange(n) * 2, rows * 2 + 1])
    return np.argsort(position, kind="stable")


def _column(table: pa.Table, name: str) -> pa.Array:
    column = table.column(name)
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def _np(values: pa.Array) -> npt.NDArray[np.bool_]:
    return values.fill_null(False).to_numpy(zero_copy_only=False)


PLANS = {
    "ps_population": DirtPlan("id_number", "birth_date"),
    "mr_enterprise": DirtPlan("credit_code", "established_date"),
    "hrss_insurance": DirtPlan("id_number", "start_date", conflict_column="name"),
    "ca_marriage": DirtPlan("id_number", "registration_date"),
    "ca_subsidy": DirtPlan("id_number", "start_date"),
    "nr_real_estate": DirtPlan("owner_key", "registered_date"),
    "hpf_account": DirtPlan("id_number", "opened_date", conflict_column="name"),
    "tax_standing": DirtPlan("credit_code", legacy_credit_codes=True),
    "gsc_cases": DirtPlan("applicant_key"),
}
