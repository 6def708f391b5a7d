"""Check-character arithmetic of the two one-number keys, vectorised over NumPy arrays.

Kept apart from validation so that the sample generator (which must *produce* valid keys
at millions per second) and the validators (which must *check* them) share one
implementation of each standard's weights.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

# GB 11643: ISO 7064 MOD 11-2 over the first 17 digits.
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
ID_CHECK_CHARS = np.frombuffer(b"10X98765432", dtype=np.uint8)

# GB 32100: 31-character alphabet without I O S V Z; weights 3^i mod 31; check = (31 - sum) mod 31.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = np.array(
    [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28], dtype=np.int64
)
USCC_ALPHABET_BYTES = np.frombuffer(USCC_ALPHABET.encode(), dtype=np.uint8)

# GB 11714 organisation code: 8 body characters (digits or letters A=10 ... Z=35) + check.
ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
ORG_CHECK_CHARS = np.frombuffer(b"0123456789X0", dtype=np.uint8)  # index 11 - (sum mod 11)

Int = npt.NDArray[np.integer]
Bytes = npt.NDArray[np.uint8]


def id_check_chars(digits: Int) -> Bytes:
    """ASCII check characters for an (n, 17) array of digit values 0-9."""
    return ID_CHECK_CHARS[(digits.astype(np.int64) @ ID_WEIGHTS) % 11]


def uscc_check_chars(values: Int) -> Bytes:
    """ASCII check characters for an (n, 17) array of USCC alphabet indices 0-30."""
    return USCC_ALPHABET_BYTES[(31 - (values.astype(np.int64) @ USCC_WEIGHTS) % 31) % 31]


def org_check_chars(values: Int) -> Bytes:
    """ASCII check characters for an (n, 8) array of organisation-code values 0-35."""
    return ORG_CHECK_CHARS[11 - (values.astype(np.int64) @ ORG_WEIGHTS) % 11]


def id_check_char(body17: str) -> str:
    """Scalar form of :func:`id_check_chars` for one 17-digit body."""
    total = sum(int(c) * int(w) for c, w in zip(body17, ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


def uscc_check_char(body17: str) -> str:
    """Scalar form of :func:`uscc_check_chars` for one 17-character body."""
    total = sum(USCC_ALPHABET.index(c) * int(w) for c, w in zip(body17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def org_check_char(body8: str) -> str:
    """Scalar form of :func:`org_check_chars` for one 8-character organisation-code body."""
    total = sum(int(c, 36) * int(w) for c, w in zip(body8, ORG_WEIGHTS, strict=True))
    return "0123456789X0"[11 - total % 11]
