from __future__ import annotations

import pytest

from contracts.keys import (
    KeyCheck,
    KeyFormatError,
    Problem,
    SubjectKeyCheck,
    check_credit_code,
    check_id_number,
    check_subject_key,
    normalize_credit_code,
    organisation_code,
)
from contracts.keys.checksums import id_check_char, org_check_char, uscc_check_char

VALID = "91110000600037341L"
PERSON = "11010519491231002X"


def uscc(head: str, org_body: str) -> str:
    body = head + org_body + org_check_char(org_body)
    return body + uscc_check_char(body)


@pytest.mark.parametrize(
    "raw",
    [
        VALID,
        "91110000600037341l",
        " 9111 0000 6000 3734 1L ",
        "９１１１００００６０００３７３４１Ｌ",
    ],
)
def test_normalises_what_people_type(raw: str) -> None:
    assert normalize_credit_code(raw) == VALID


def test_letters_allowed_in_the_first_two_positions() -> None:
    for head in ("N1110000", "Y1110000", "AB110000"):
        code = uscc(head, "MA01AB2C")
        assert check_credit_code(code) == KeyCheck(code, None)


@pytest.mark.parametrize("head", ["91990000", "91000000", "A1B2C3D4", "92110099"])
def test_positions_three_to_eight_must_be_a_known_region(head: str) -> None:
    code = uscc(head, "MA01AB2C")
    assert check_credit_code(code) == KeyCheck(None, Problem.UNKNOWN_REGION)
    with pytest.raises(KeyFormatError) as raised:
        normalize_credit_code(code)
    assert "第3至8位" in str(raised.value) and "3 to 8 of a credit code" in str(raised.value)


def test_the_code_from_the_issue_is_refused_for_its_region() -> None:
    assert check_credit_code("91990000M000100Y4N").problem is Problem.UNKNOWN_REGION


def test_a_region_valid_in_any_year_counts() -> None:
    code = uscc("91110103", "MA01AB2C")  # 崇文区, merged into 东城区 in 2010
    assert check_credit_code(code) == KeyCheck(code, None)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (None, Problem.MISSING),
        ("", Problem.MISSING),
        ("91110000600037341", Problem.BAD_LENGTH),
        ("91110000600037341LL", Problem.BAD_LENGTH),
        ("9111000060003734IL", Problem.BAD_CHARSET),
        ("O1110000600037341L", Problem.BAD_CHARSET),
        ("91110000600037341Z", Problem.BAD_CHARSET),
        ("91110000600037341M", Problem.BAD_CHECK_CHAR),
        ("91110000600037431L", Problem.BAD_CHECK_CHAR),
    ],
)
def test_reports_the_first_problem(raw: str | None, problem: Problem) -> None:
    assert check_credit_code(raw) == KeyCheck(None, problem)


def test_embedded_organisation_code_is_checked() -> None:
    body = "91110000600037342"  # organisation code check char 1 -> 2
    code = body + uscc_check_char(body)
    assert check_credit_code(code).problem is Problem.BAD_ORG_CODE_CHECK
    with pytest.raises(KeyFormatError) as raised:
        normalize_credit_code(code)
    assert "9至17" in str(raised.value) and "organisation code" in str(raised.value)


def test_organisation_code() -> None:
    assert organisation_code(VALID) == "60003734-1"
    assert organisation_code("91110000600037341l") == "60003734-1"


ALIASES = {"60003734-1": VALID, "110000000123456": VALID, "D2143569X": uscc("91110000", "D2143569")}


@pytest.mark.parametrize("raw", ["600037341", "60003734-1", "60003734 1", "110000000123456"])
def test_legacy_codes_only_count_through_aliases(raw: str) -> None:
    assert check_credit_code(raw) == KeyCheck(None, Problem.UNMAPPED_LEGACY_CODE)
    assert check_credit_code(raw, ALIASES) == KeyCheck(VALID, None)


def test_alias_keys_may_be_compact_or_hyphenated() -> None:
    assert check_credit_code("D2143569-X", ALIASES).value == ALIASES["D2143569X"]
    assert check_credit_code("d2143569x", ALIASES).value == ALIASES["D2143569X"]


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("600037342", Problem.BAD_CHECK_CHAR),
        ("60003734Y", Problem.BAD_CHARSET),
        ("6000373_1", Problem.BAD_CHARSET),
        ("11000000012345X", Problem.BAD_CHARSET),
        ("110000000654321", Problem.UNMAPPED_LEGACY_CODE),
    ],
)
def test_legacy_codes_are_checked_before_lookup(raw: str, problem: Problem) -> None:
    assert check_credit_code(raw, ALIASES).problem is problem


def test_a_broken_alias_target_reports_the_targets_problem() -> None:
    aliases = {"600037341": "91110000600037341M"}
    assert check_credit_code("600037341", aliases).problem is Problem.BAD_CHECK_CHAR
    with pytest.raises(KeyFormatError) as raised:
        normalize_credit_code("60003734 1", aliases)
    assert raised.value.raw == "60003734 1"


def test_subject_keys() -> None:
    assert check_subject_key(PERSON) == SubjectKeyCheck(PERSON, "person", None)
    assert check_subject_key(VALID) == SubjectKeyCheck(VALID, "organisation", None)
    assert check_subject_key(None) == SubjectKeyCheck(None, None, Problem.MISSING)
    assert check_subject_key("600037341", ALIASES) == SubjectKeyCheck(VALID, "organisation", None)


def test_subject_key_problem_follows_the_values_shape() -> None:
    assert check_subject_key("110105194912310021").problem is Problem.BAD_CHECK_CHAR
    assert check_subject_key("91110000600037341M").problem is Problem.BAD_CHECK_CHAR
    assert check_subject_key("9111000060003734IL").problem is Problem.BAD_CHARSET
    assert check_subject_key("600037341").problem is Problem.UNMAPPED_LEGACY_CODE


def test_a_known_registration_number_is_an_organisation_even_if_it_parses_as_an_id() -> None:
    number = "110105491231002"  # also a valid legacy ID number
    assert check_subject_key(number).kind == "person"
    aliases = {number: VALID}
    assert check_subject_key(number, aliases) == SubjectKeyCheck(VALID, "organisation", None)


def test_an_id_number_that_is_also_a_valid_credit_code_is_a_person() -> None:
    for seq in range(100_000):
        body = f"211101199001{seq:05d}"  # positions 3-8 read 110119 as a credit code
        number = body + id_check_char(body)
        if check_credit_code(number).ok and check_id_number(number).ok:
            break
    else:
        pytest.fail("no 18-digit value valid under both standards in the range")
    assert check_subject_key(number) == SubjectKeyCheck(number, "person", None)
