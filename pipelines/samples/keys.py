"""The two one-number keys as byte matrices, built and damaged in bulk.

An 18-character key is a row of an (n, 18) uint8 matrix: digits are computed with integer
arithmetic, check characters with `contracts.keys.checksums`, and the matrix becomes an Arrow
string array without a per-row Python string. The damaged forms departments deliver
(legacy 15-digit IDs, full-width characters, inner spaces, wrong check characters) are
further matrix operations on the few rows chosen as dirt.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from contracts.keys.checksums import (
    USCC_ALPHABET,
    id_check_chars,
    org_check_chars,
    uscc_check_chars,
)
from pipelines.samples.places import digits

Matrix = npt.NDArray[np.uint8]

ID_CHECK_ALPHABET = np.frombuffer(b"0123456789X", dtype=np.uint8)
USCC_BYTES = np.frombuffer(USCC_ALPHABET.encode(), dtype=np.uint8)
_USCC_INDEX = np.full(256, -1, dtype=np.int64)
_USCC_INDEX[USCC_BYTES] = np.arange(len(USCC_BYTES))
_BASE36 = np.full(256, -1, dtype=np.int64)
_BASE36[np.frombuffer(b"0123456789", np.uint8)] = np.arange(10)
_BASE36[np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", np.uint8)] = np.arange(10, 36)

# Organisation codes are 8 digits for enterprises registered before the unified code (2015-10)
# and "MA" + 6 characters afterwards; both come from index permutations so they never repeat.
NUMERIC_ORG_SPACE = 10**8
NUMERIC_ORG_FACTOR = 73_939_133  # coprime with 10**8
MA_ORG_SPACE = 31**6
MA_ORG_FACTOR = 550_000_001  # coprime with 31


def strings_from_matrix(matrix: Matrix) -> pa.Array:
    """Each row of an (n, w) byte matrix as one UTF-8 string, zero-copy."""
    rows, width = matrix.shape
    data = np.ascontiguousarray(matrix)
    offsets = np.arange(rows + 1, dtype=np.int32) * np.int32(width)
    return pa.StringArray.from_buffers(rows, pa.py_buffer(offsets), pa.py_buffer(data))


def matrix_from_strings(values: pa.Array, width: int) -> Matrix:
    """The inverse of :func:`strings_from_matrix` for strings of exactly `width` bytes."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    rows = len(values)
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[values.offset :][: rows + 1]
    if rows and not np.all(np.diff(offsets) == width):
        raise ValueError(f"expected strings of exactly {width} bytes")
    data = np.frombuffer(values.buffers()[2], dtype=np.uint8) if rows else np.empty(0, np.uint8)
    return data[offsets[0] : offsets[0] + rows * width].reshape(rows, width).copy()


def id_matrix(
    region: npt.NDArray[np.int64],
    birth: npt.NDArray[np.datetime64],
    sequence: npt.NDArray[np.int64],
) -> Matrix:
    """GB 11643 numbers: region, birth date YYYYMMDD, 3-digit sequence, check character."""
    months = birth.astype("datetime64[M]")
    year = months.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (birth - months).astype(np.int64) + 1
    body = np.concatenate(
        [digits(region, 6), digits(year, 4), digits(month, 2), digits(day, 2), digits(sequence, 3)],
        axis=1,
    )
    return np.concatenate([body + 48, id_check_chars(body)[:, None]], axis=1).astype(np.uint8)


def org_code_matrix(
    index: npt.NDArray[np.int64], modern: npt.NDArray[np.bool_], offset: int
) -> Matrix:
    """GB 11714 organisation codes (8 characters + check), unique per index."""
    numeric = (index * NUMERIC_ORG_FACTOR + offset) % NUMERIC_ORG_SPACE
    ma = (index * MA_ORG_FACTOR + offset) % MA_ORG_SPACE
    numeric_body = digits(numeric, 8) + 48
    ma_digits = (ma[:, None] // 31 ** np.arange(5, -1, -1, dtype=np.int64)) % 31
    ma_body = np.concatenate(
        [np.tile(np.frombuffer(b"MA", np.uint8), (len(index), 1)), USCC_BYTES[ma_digits]], axis=1
    )
    body = np.where(modern[:, None], ma_body, numeric_body).astype(np.uint8)
    check = org_check_chars(_BASE36[body])
    return np.concatenate([body, check[:, None]], axis=1)


def uscc_matrix(
    kind: npt.NDArray[np.int64], region: npt.NDArray[np.int64], org_code: Matrix
) -> Matrix:
    """GB 32100 codes: authority 9 (market regulation), entity kind, region, org code, check."""
    head = np.concatenate(
        [np.full((len(kind), 1), ord("9")), (kind[:, None] + 48), digits(region, 6) + 48], axis=1
    ).astype(np.uint8)
    body = np.concatenate([head, org_code], axis=1)
    return np.concatenate([body, uscc_check_chars(_USCC_INDEX[body])[:, None]], axis=1)


def wrong_check(matrix: Matrix, alphabet: Matrix, rng: np.random.Generator) -> Matrix:
    """The same keys with a different, still plausible, last character."""
    position = np.zeros(256, dtype=np.int64)
    position[alphabet] = np.arange(len(alphabet))
    shifted = position[matrix[:, -1]] + rng.integers(1, len(alphabet), len(matrix))
    out = matrix.copy()
    out[:, -1] = alphabet[shifted % len(alphabet)]
    return out


def legacy_ids(matrix: Matrix) -> Matrix:
    """First-generation 15-digit ID numbers: two-digit birth year, no check character."""
    return np.concatenate([matrix[:, :6], matrix[:, 8:17]], axis=1)


def legacy_taxpayer_ids(matrix: Matrix) -> Matrix:
    """Pre-2015 taxpayer numbers: region + organisation code, the USCC's characters 3-17."""
    return matrix[:, 2:17].copy()


def full_width(matrix: Matrix) -> Matrix:
    """Full-width forms (U+FF01-FF5E) of ASCII characters, as typed with a Chinese IME."""
    code = 0xFF00 + matrix.astype(np.int64) - 0x20
    out = np.empty((matrix.shape[0], matrix.shape[1], 3), dtype=np.uint8)
    out[..., 0] = 0xEF
    out[..., 1] = 0x80 | ((code >> 6) & 0x3F)
    out[..., 2] = 0x80 | (code & 0x3F)
    return out.reshape(matrix.shape[0], -1)


def with_spaces(matrix: Matrix, positions: npt.NDArray[np.int64]) -> Matrix:
    """Insert a space before each listed column position (same positions in every row)."""
    parts = np.split(matrix, positions, axis=1)
    space = np.full((matrix.shape[0], 1), ord(" "), dtype=np.uint8)
    pieces: list[Matrix] = []
    for i, part in enumerate(parts):
        if i:
            pieces.append(space)
        pieces.append(part)
    return np.concatenate(pieces, axis=1)
