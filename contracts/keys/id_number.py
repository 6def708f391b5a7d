"""Resident ID numbers (GB 11643), one value at a time.

This is the reference semantics: :mod:`contracts.keys.vectorised` must give the same answer
for every input, which ``tests/contracts/keys/test_differential.py`` checks.
"""

from __future__ import annotations

import re
import string
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Literal

from contracts.keys.checksums import id_check_char
from contracts.keys.problems import KeyCheck, KeyFormatError, Problem
from contracts.keys.regions import is_known_region, region_name

LENGTH = 18
LEGACY_LENGTH = 15
# No one alive was born earlier; older years are typing errors such as 0990 for 1990.
MIN_BIRTH_YEAR = 1880
# Removed anywhere in a key after NFKC, which has already turned ideographic and other
# Unicode spaces and the full-width hyphen into these. Kept to an explicit ASCII set so the
# Arrow kernels in the vectorised path can remove exactly the same characters.
SEPARATORS = "\t\n\v\f\r -"

_CLEAN = str.maketrans(string.ascii_lowercase, string.ascii_uppercase, SEPARATORS)
_ID18 = re.compile(r"[0-9]{17}[0-9X]")
_DIGITS15 = re.compile(r"[0-9]{15}")


def clean_key(raw: str) -> str:
    """Undo what people and spreadsheets do to keys: full-width digits, spaces, hyphens, x.

    Only ASCII letters are upper-cased: ``str.upper`` would turn "ß" into "SS" and change
    the length, which Arrow's kernels would not do.
    """
    return unicodedata.normalize("NFKC", raw).translate(_CLEAN)


def normalize_id_number(raw: str) -> str:
    """The canonical 18-character ID number, or :class:`KeyFormatError` saying what to fix.

    Legacy 15-digit numbers are upgraded so that one person has one key whichever card
    the source system copied.
    """
    key = clean_key(raw)
    if not key:
        raise KeyFormatError(Problem.MISSING, raw)
    if len(key) == LEGACY_LENGTH:
        key = _upgrade_legacy(key, raw)
    elif len(key) != LENGTH:
        raise KeyFormatError(Problem.BAD_LENGTH, raw)
    elif not _ID18.fullmatch(key):
        raise KeyFormatError(Problem.BAD_CHARSET, raw)
    elif id_check_char(key[:17]) != key[17]:
        raise KeyFormatError(Problem.BAD_CHECK_CHAR, raw)
    if not _is_plausible_birth_date(key):
        raise KeyFormatError(Problem.BAD_BIRTH_DATE, raw)
    if not is_known_region(key[:6]):
        raise KeyFormatError(Problem.UNKNOWN_REGION, raw)
    return key


def check_id_number(raw: str | None) -> KeyCheck:
    """Like :func:`normalize_id_number` but reports instead of raising, for bulk checks."""
    if raw is None:
        return KeyCheck(None, Problem.MISSING)
    try:
        return KeyCheck(normalize_id_number(raw), None)
    except KeyFormatError as error:
        return KeyCheck(None, error.problem)


def _upgrade_legacy(key: str, raw: str) -> str:
    """15-digit cards (issued until 1999) omit the century and the check character."""
    if not _DIGITS15.fullmatch(key):
        raise KeyFormatError(Problem.BAD_CHARSET, raw)
    body = key[:6] + "19" + key[6:]
    return body + id_check_char(body)


def _is_plausible_birth_date(key: str) -> bool:
    try:
        born = date(int(key[6:10]), int(key[10:12]), int(key[12:14]))
    except ValueError:
        return False
    return born.year >= MIN_BIRTH_YEAR and born <= date.today()


@dataclass(frozen=True)
class IdNumber:
    """A valid ID number; constructing one from a raw string normalises and validates it."""

    value: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", normalize_id_number(self.value))

    @property
    def region_code(self) -> str:
        """Where the number was issued, which is not necessarily where the holder lives."""
        return self.value[:6]

    @property
    def region_name(self) -> str | None:
        return region_name(self.region_code)

    @property
    def birth_date(self) -> date:
        return date(int(self.value[6:10]), int(self.value[10:12]), int(self.value[12:14]))

    @property
    def gender(self) -> Literal["M", "F"]:
        """GB 11643 encodes sex in the parity of the 17th digit: odd for men."""
        return "M" if int(self.value[16]) % 2 else "F"
