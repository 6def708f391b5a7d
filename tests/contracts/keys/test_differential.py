"""Scalar API, vectorised API and python-stdnum must agree on every generated value.

python-stdnum is the independent oracle. Where it deviates from GB 11643 / GB 32100 as this
project reads them, the oracle wrappers below say so and correct for it explicitly:

* ``cn.ric`` raises KeyError, not ValidationError, for a county missing from its province;
* ``cn.ric`` has no 15 -> 18 digit upgrade of legacy numbers;
* ``cn.ric`` requires the region code to have existed in the holder's birth year (a number
  keeps its code for life, so we accept a code valid in any year), and puts no bounds on
  the birth date (we reject years before 1880 and dates in the future);
* ``cn.ric`` reports a last character outside 0-9/X as a checksum error, not a format one;
* ``cn.uscc`` rejects letters in positions 1-8, which GB 32100 allows;
* ``cn.uscc`` does not check the GB 11714 organisation code embedded in positions 9-17;
* neither normalises full-width characters or removes inner spaces, and neither knows the
  legacy organisation codes and registration numbers we accept through an alias table.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import date, timedelta

import pyarrow as pa
import pytest
from stdnum import numdb
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength

from contracts.keys import (
    Problem,
    check_credit_code,
    check_credit_codes,
    check_id_number,
    check_id_numbers,
    check_subject_key,
    check_subject_keys,
    vectorised,
)

SEED = 20_251_121
COUNT = 100_000
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
Expected = tuple[str | None, Problem | None]
Maker = Callable[[random.Random], str | None]


# --- the oracle ---------------------------------------------------------------------------


SEPARATORS = re.compile("[ \t\n\r\x0b\x0c-]")
ASCII_UPPER = {c: c - 32 for c in range(ord("a"), ord("z") + 1)}


def _clean(raw: str | None) -> str:
    """The normalisation both standards leave to us, written out independently."""
    if raw is None:
        return ""
    return SEPARATORS.sub("", unicodedata.normalize("NFKC", raw)).translate(ASCII_UPPER)


def _counties() -> dict[str, list[tuple[int, int]]]:
    """6-digit code -> [(first year, last year)] straight from stdnum's data file."""
    spans: dict[str, list[tuple[int, int]]] = {}
    for _, province, _, _, children in numdb.get("cn/loc").prefixes:
        for _, low, high, props, _ in children:
            for suffix in range(int(low), int(high) + 1):
                years = re.findall(r"\[(\d*)-(\d*)\]", props["county"]) or [("", "")]
                spans[f"{province}{suffix:04d}"] = [
                    (int(first or 0), int(last or 9999)) for first, last in years
                ]
    return spans


COUNTIES = _counties()


def expected_id(raw: str | None) -> Expected:
    text = _clean(raw)
    if not text:
        return None, Problem.MISSING
    if len(text) == 15:
        if not re.fullmatch(r"[0-9]{15}", text):
            return None, Problem.BAD_CHARSET
        body = text[:6] + "19" + text[6:]
        text = body + ric.calc_check_digit(body + "0")  # quirk: no legacy upgrade in stdnum
    if len(text) == 18 and text[-1] not in "0123456789X":
        return None, Problem.BAD_CHARSET  # quirk: stdnum calls this a checksum error
    try:
        ric.validate(text)
    except InvalidLength:
        return None, Problem.BAD_LENGTH
    except InvalidFormat:
        return None, Problem.BAD_CHARSET
    except InvalidChecksum:
        return None, Problem.BAD_CHECK_CHAR
    except (InvalidComponent, KeyError):  # quirk: KeyError for a county unknown to a province
        pass  # a bad date or a region not valid in the birth year: decided below
    try:
        born = ric.get_birth_date(text)
    except InvalidComponent:
        return None, Problem.BAD_BIRTH_DATE
    if born.year < 1880 or born > date.today():  # quirk: stdnum has no plausibility bounds
        return None, Problem.BAD_BIRTH_DATE
    if text[:6] not in COUNTIES:  # quirk: any year counts, not just the birth year
        return None, Problem.UNKNOWN_REGION
    return text, None


def gb11714_check(body: str) -> str:
    remainder = (
        11 - sum(int(c, 36) * w for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    )
    return {10: "X", 11: "0"}.get(remainder, str(remainder))


def expected_credit_code(raw: str | None, aliases: Mapping[str, str]) -> Expected:
    text = _clean(raw)
    if not text:
        return None, Problem.MISSING
    if len(text) in (9, 15):
        return _expected_legacy(text, aliases)
    try:
        uscc.validate(text)
    except InvalidLength:
        return None, Problem.BAD_LENGTH
    except InvalidFormat:
        if any(c not in ALPHABET for c in text):
            return None, Problem.BAD_CHARSET
        if uscc.calc_check_digit(text) != text[-1]:  # quirk: letters in 1-8 are allowed
            return None, Problem.BAD_CHECK_CHAR
    except InvalidChecksum:
        return None, Problem.BAD_CHECK_CHAR
    if gb11714_check(text[8:16]) != text[16]:  # quirk: stdnum skips the embedded code
        return None, Problem.BAD_ORG_CODE_CHECK
    if text[2:8] not in COUNTIES:  # quirk: stdnum skips the region; any year counts, as for IDs
        return None, Problem.UNKNOWN_REGION
    return text, None


def _expected_legacy(text: str, aliases: Mapping[str, str]) -> Expected:
    """Not in stdnum at all: legacy codes only count through the alias table."""
    if len(text) == 9:
        if not re.fullmatch(r"[0-9A-Z]{8}[0-9X]", text):
            return None, Problem.BAD_CHARSET
        if gb11714_check(text[:8]) != text[8]:
            return None, Problem.BAD_CHECK_CHAR
        target = aliases[text] if text in aliases else aliases.get(f"{text[:8]}-{text[8]}")
    else:
        if not re.fullmatch(r"[0-9]{15}", text):
            return None, Problem.BAD_CHARSET
        target = aliases.get(text)
    if target is None:
        return None, Problem.UNMAPPED_LEGACY_CODE
    return expected_credit_code(target, {})


# --- generated values ---------------------------------------------------------------------

REGIONS = sorted(COUNTIES)
LATE_REGIONS = [(code, spans[0][0]) for code, spans in COUNTIES.items() if spans[0][0] > 1900]
EARLIEST = date(1880, 1, 1)


def _birth(rng: random.Random, first: date = EARLIEST, last: date | None = None) -> date:
    last = last or date.today()
    return first + timedelta(days=rng.randrange((last - first).days + 1))


def _id(region: str, born: date, rng: random.Random) -> str:
    body = f"{region}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return body + ric.calc_check_digit(body + "0")


def _with_check(body: str) -> str:
    return body + ric.calc_check_digit(body + "0")


def _valid_id(rng: random.Random) -> str:
    return _id(rng.choice(REGIONS), _birth(rng), rng)


def _region_younger_than_holder(rng: random.Random) -> str:
    region, created = rng.choice(LATE_REGIONS)
    return _id(region, _birth(rng, EARLIEST, date(created - 1, 12, 31)), rng)


def _bad_date(rng: random.Random) -> str:
    tomorrow = date.today() + timedelta(days=rng.randrange(1, 400))
    day = rng.choice(
        ["18791231", "18800101", "00000101", "19001301", "19000001", "19000132", "19000100",
         "19000229", "20000229", "20010229", "19960229", "20230431", "20230430",
         f"{date.today():%Y%m%d}", f"{tomorrow:%Y%m%d}"]
    )  # fmt: skip
    return _with_check(f"{rng.choice(REGIONS)}{day}{rng.randrange(1000):03d}")


def _unknown_region(rng: random.Random) -> str:
    region = f"{rng.randrange(1_000_000):06d}"
    return _with_check(f"{region}{_birth(rng):%Y%m%d}{rng.randrange(1000):03d}")


def _legacy_id(rng: random.Random) -> str:
    valid = _id(rng.choice(REGIONS), _birth(rng, date(1900, 1, 1), date(1999, 12, 31)), rng)
    legacy = valid[:6] + valid[8:17]
    return rng.choice(
        [legacy, legacy, legacy[:9] + "13" + legacy[11:], legacy[:7] + "A" + legacy[8:]]
    )


def _typo(rng: random.Random) -> str:
    valid = list(_valid_id(rng))
    i = rng.randrange(18)
    valid[i] = rng.choice("0123456789X" if i == 17 else "0123456789")
    return "".join(valid)


def _swap(rng: random.Random) -> str:
    valid = list(_valid_id(rng))
    i = rng.randrange(16)
    valid[i], valid[i + 1] = valid[i + 1], valid[i]
    return "".join(valid)


def _dirty(make: Maker) -> Maker:
    """The same value as people and spreadsheets mangle it."""

    def mangled(rng: random.Random) -> str | None:
        value = make(rng)
        if value is None:
            return None
        style = rng.randrange(7)
        if style == 0:
            return value.lower()
        if style == 1:
            return value.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
        if style == 2:
            return f"  {value[:6]} {value[6:14]} {value[14:]}\t"
        if style == 3:
            return "-".join(value[i : i + 4] for i in range(0, len(value), 4))
        if style == 4:
            return "\u3000" + value + "\n"
        if style == 5:
            i = rng.randrange(len(value) + 1)
            return value[:i] + rng.choice("号证 ") + value[i:]
        i = rng.randrange(len(value))
        return value[:i] + rng.choice("ABCXIOZ") + value[i + 1 :]

    return mangled


def _junk(rng: random.Random) -> str | None:
    return rng.choice(
        [None, "", " ", "-", "\u3000", "".join(rng.choices("0123456789X", k=rng.randrange(25))),
         "".join(rng.choices("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", k=18))]
    )  # fmt: skip


ID_MAKERS: list[tuple[int, Maker]] = [
    (30, _valid_id),
    (5, _region_younger_than_holder),
    (8, _bad_date),
    (6, _unknown_region),
    (8, _legacy_id),
    (8, _typo),
    (4, _swap),
    (20, _dirty(_valid_id)),
    (4, _dirty(_legacy_id)),
    (7, _junk),
]


def _uscc(rng: random.Random, prefix: str | None = None) -> str:
    head = prefix or "".join(rng.choices(ALPHABET, k=8))
    org = "".join(rng.choices(ALPHABET, k=8))
    body = head + org + gb11714_check(org)
    return body + uscc.calc_check_digit(body + "0")


def _valid_uscc(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return _uscc(rng, f"9{rng.choice('123')}{rng.choice(REGIONS)}")
    return _uscc(rng, "".join(rng.choices(ALPHABET, k=2)) + rng.choice(REGIONS))


def _uscc_any_head(rng: random.Random) -> str:
    """Random positions 1-8: almost never a known region, now and then one by chance."""
    if rng.random() < 0.1:
        region = f"{rng.randrange(1_000_000):06d}"
        return _uscc(rng, "".join(rng.choices(ALPHABET, k=2)) + region)
    return _uscc(rng)


def _bad_org_check(rng: random.Random) -> str:
    valid = _valid_uscc(rng)
    wrong = rng.choice([c for c in "0123456789X" if c != valid[16]])
    body = valid[:16] + wrong
    return body + uscc.calc_check_digit(body + "0")


def _uscc_typo(rng: random.Random) -> str:
    valid = list(_valid_uscc(rng))
    valid[rng.randrange(18)] = rng.choice(ALPHABET + "IOSVZ")
    return "".join(valid)


def _org_code(rng: random.Random) -> str:
    body = "".join(rng.choices("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", k=8))
    check = gb11714_check(body) if rng.random() < 0.8 else rng.choice("0123456789X")
    return rng.choice([body + check, f"{body}-{check}"])


def _registration_number(rng: random.Random) -> str:
    return f"{rng.randrange(10**15):015d}"


CODE_MAKERS: list[tuple[int, Maker]] = [
    (30, _valid_uscc),
    (6, _uscc_any_head),
    (8, _bad_org_check),
    (10, _uscc_typo),
    (10, _org_code),
    (8, _registration_number),
    (20, _dirty(_valid_uscc)),
    (4, _dirty(_org_code)),
    (10, _junk),
]


def _generate(makers: list[tuple[int, Maker]], rng: random.Random) -> list[str | None]:
    weights, functions = zip(*makers, strict=True)
    return [rng.choices(functions, weights)[0](rng) for _ in range(COUNT)]


def _aliases(codes: list[str | None], rng: random.Random) -> dict[str, str]:
    """Map most legacy-looking values to a credit code, a few to a broken one."""
    aliases = {}
    for value in codes:
        text = _clean(value)
        if len(text) in (9, 15) and rng.random() < 0.7:
            key = f"{text[:8]}-{text[8]}" if len(text) == 9 and rng.random() < 0.5 else text
            aliases[key] = _valid_uscc(rng) if rng.random() < 0.9 else _uscc_typo(rng)
    return aliases


@pytest.fixture(scope="module")
def id_values() -> list[str | None]:
    return _generate(ID_MAKERS, random.Random(SEED))


@pytest.fixture(scope="module")
def code_values() -> tuple[list[str | None], dict[str, str]]:
    rng = random.Random(SEED + 1)
    values = _generate(CODE_MAKERS, rng)
    return values, _aliases(values, rng)


# --- the comparisons ----------------------------------------------------------------------


def _disagreements(values: list[str | None], *answers: list[Expected]) -> list[str]:
    return [
        f"{value!r}: " + " | ".join(f"{a[i][0]} {a[i][1]}" for a in answers)
        for i, value in enumerate(values)
        if len({a[i] for a in answers}) > 1
    ]


def _chunked(values: list[str | None]) -> pa.ChunkedArray:
    """Uneven chunks, one of them a slice, so offsets and bitmaps are exercised too."""
    whole = pa.array(values, pa.string())
    cut = len(values) // 3
    return pa.chunked_array([whole.slice(0, cut), whole.slice(cut, 7), whole.slice(cut + 7)])


def test_id_numbers_agree(id_values: list[str | None], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vectorised, "CHUNK_ROWS", 4096)  # several chunks, on the pool
    oracle = [expected_id(v) for v in id_values]
    scalar = [(c.value, c.problem) for c in map(check_id_number, id_values)]
    columns = check_id_numbers(_chunked(id_values))
    vector = list(zip(columns.value.to_pylist(), columns.problem.to_pylist(), strict=True))
    assert _disagreements(id_values, oracle, scalar, vector)[:10] == []
    seen = {problem for _, problem in oracle}
    assert seen == {None} | set(Problem) - {
        Problem.BAD_ORG_CODE_CHECK,
        Problem.UNMAPPED_LEGACY_CODE,
    }
    assert sum(problem is None for _, problem in oracle) > COUNT // 3


def test_credit_codes_agree(
    code_values: tuple[list[str | None], dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vectorised, "CHUNK_ROWS", 4096)
    values, aliases = code_values
    for table, checked in (({}, values[:30_000]), (aliases, values)):
        oracle = [expected_credit_code(v, table) for v in checked]
        scalar = [(c.value, c.problem) for c in (check_credit_code(v, table) for v in checked)]
        columns = check_credit_codes(_chunked(checked), table)
        vector = list(zip(columns.value.to_pylist(), columns.problem.to_pylist(), strict=True))
        assert _disagreements(checked, oracle, scalar, vector)[:10] == []
        seen = {problem for _, problem in oracle}
        assert seen >= {
            None,
            Problem.BAD_ORG_CODE_CHECK,
            Problem.UNMAPPED_LEGACY_CODE,
            Problem.UNKNOWN_REGION,
        }


def test_subject_keys_agree(
    id_values: list[str | None], code_values: tuple[list[str | None], dict[str, str]]
) -> None:
    codes, aliases = code_values
    values = id_values[:20_000] + codes[:20_000]
    scalar = [check_subject_key(v, aliases) for v in values]
    columns = check_subject_keys(pa.array(values, pa.string()), aliases)
    vector = zip(
        columns.value.to_pylist(), columns.kind.to_pylist(), columns.problem.to_pylist(),
        strict=True,
    )  # fmt: skip
    mismatched = [
        (value, s, v)
        for value, s, v in zip(values, scalar, vector, strict=True)
        if (s.value, s.kind, s.problem) != v
    ]
    assert mismatched[:10] == []
    assert {s.kind for s in scalar} == {"person", "organisation", None}


def test_pudong_before_pudong_existed_is_valid() -> None:
    number = _with_check("310115" + "19660315" + "123")
    with pytest.raises(InvalidComponent):
        ric.validate(number)  # stdnum wants the district to exist in the birth year
    assert expected_id(number) == (number, None)
    assert check_id_number(number).ok
    assert check_id_numbers(pa.array([number])).problem.to_pylist() == [None]
