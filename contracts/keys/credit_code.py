"""Unified social credit codes (GB 32100), one value at a time, plus mixed subject keys.

Differs from ``stdnum.cn.uscc`` on purpose: GB 32100 lets positions 1-8 hold letters
(registration authorities and entity types such as "N" or "Y" exist), and the organisation
code embedded in positions 9-17 carries its own GB 11714 check character, so a code whose
embedded check fails was never issued, even when the outer check character agrees (as it
does for codes made up by tools that only compute the outer one).

Positions 3-8 are the GB/T 2260 region of the registering authority, checked against the same
table as an ID number's first six digits and, as there, a code valid in any year counts: an
enterprise keeps the code it was registered under after its county is merged or renamed.

This is the reference semantics: :mod:`contracts.keys.vectorised` must give the same answer
for every input, which ``tests/contracts/keys/test_differential.py`` checks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from contracts.keys.checksums import USCC_ALPHABET, org_check_char, uscc_check_char
from contracts.keys.id_number import LEGACY_LENGTH, LENGTH, check_id_number, clean_key
from contracts.keys.problems import KeyCheck, KeyFormatError, Problem
from contracts.keys.regions import is_known_region

ORG_CODE_LENGTH = 9
# Where the registering authority's region code sits in a credit code (positions 3-8).
REGION_SLICE = slice(2, 8)
SubjectKind = Literal["person", "organisation"]

_USCC = re.compile(f"[{USCC_ALPHABET}]{{{LENGTH}}}")
_ORG_CODE = re.compile(r"[0-9A-Z]{8}[0-9X]")
_REGISTRATION_NUMBER = re.compile(r"[0-9]{15}")
# ID problems that mean the value had the shape of an ID number, so the ID's problem is the
# useful one to report when a mixed column holds neither a valid ID nor a valid code.
_ID_SHAPED = frozenset({Problem.BAD_CHECK_CHAR, Problem.BAD_BIRTH_DATE, Problem.UNKNOWN_REGION})


def normalize_credit_code(raw: str, aliases: Mapping[str, str] | None = None) -> str:
    """The canonical 18-character code, or :class:`KeyFormatError` saying what to fix.

    A legacy 9-character organisation code or 15-digit registration number is only a key
    through ``aliases`` (legacy code -> credit code, keyed by the compact code, the
    hyphenated ``60003734-1`` form or the 15 digits): guessing the credit code from it is
    impossible, and keeping it as a second key would split one organisation in two.
    """
    key = clean_key(raw)
    if not key:
        raise KeyFormatError(Problem.MISSING, raw)
    if len(key) == LENGTH:
        _check_uscc(key, raw)
        return key
    if len(key) in (ORG_CODE_LENGTH, LEGACY_LENGTH):
        target = _resolve_legacy(key, raw, aliases or {})
        try:
            return normalize_credit_code(target)
        except KeyFormatError as error:
            raise KeyFormatError(error.problem, raw) from error
    raise KeyFormatError(Problem.BAD_LENGTH, raw)


def check_credit_code(raw: str | None, aliases: Mapping[str, str] | None = None) -> KeyCheck:
    """Like :func:`normalize_credit_code` but reports instead of raising, for bulk checks."""
    if raw is None:
        return KeyCheck(None, Problem.MISSING)
    try:
        return KeyCheck(normalize_credit_code(raw, aliases), None)
    except KeyFormatError as error:
        return KeyCheck(None, error.problem)


def organisation_code(uscc: str) -> str:
    """The GB 11714 organisation code (e.g. ``60003734-1``) inside a credit code.

    Older systems still key organisations by it; this is the link back to them.
    """
    key = normalize_credit_code(uscc)
    return f"{key[8:16]}-{key[16]}"


def _check_uscc(key: str, raw: str) -> None:
    if not _USCC.fullmatch(key):
        raise KeyFormatError(Problem.BAD_CHARSET, raw)
    if uscc_check_char(key[:17]) != key[17]:
        raise KeyFormatError(Problem.BAD_CHECK_CHAR, raw)
    if org_check_char(key[8:16]) != key[16]:
        raise KeyFormatError(Problem.BAD_ORG_CODE_CHECK, raw)
    if not is_known_region(key[REGION_SLICE]):
        raise KeyFormatError(Problem.UNKNOWN_REGION, raw)


def _resolve_legacy(key: str, raw: str, aliases: Mapping[str, str]) -> str:
    """The credit code a well-formed legacy code maps to; its own checks come first."""
    if len(key) == ORG_CODE_LENGTH:
        if not _ORG_CODE.fullmatch(key):
            raise KeyFormatError(Problem.BAD_CHARSET, raw)
        if org_check_char(key[:8]) != key[8]:
            raise KeyFormatError(Problem.BAD_CHECK_CHAR, raw)
        target = aliases.get(key)
        if target is None:
            target = aliases.get(f"{key[:8]}-{key[8]}")
    else:
        if not _REGISTRATION_NUMBER.fullmatch(key):
            raise KeyFormatError(Problem.BAD_CHARSET, raw)
        target = aliases.get(key)
    if target is None:
        raise KeyFormatError(Problem.UNMAPPED_LEGACY_CODE, raw)
    return target


@dataclass(frozen=True)
class SubjectKeyCheck:
    """Outcome of checking a value from a column that may hold people or organisations."""

    value: str | None
    kind: SubjectKind | None
    problem: Problem | None


def check_subject_key(raw: str | None, aliases: Mapping[str, str] | None = None) -> SubjectKeyCheck:
    """Classify and check a key of either kind.

    A valid ID number is a person, except that a 15-digit value the alias table knows is an
    organisation's registration number: the explicit mapping beats the shape, because many
    registration numbers also happen to parse as legacy ID numbers. When neither check
    passes, the problem reported is the ID's if the value had an ID number's shape.
    """
    as_id = check_id_number(raw)
    as_code = check_credit_code(raw, aliases)
    if as_id.ok and not (as_code.ok and as_code.value != as_id.value):
        return SubjectKeyCheck(as_id.value, "person", None)
    if as_code.ok:
        return SubjectKeyCheck(as_code.value, "organisation", None)
    problem = as_id.problem if as_id.problem in _ID_SHAPED else as_code.problem
    return SubjectKeyCheck(None, None, problem)
