from __future__ import annotations

import pickle
from datetime import date, timedelta

import pytest

from contracts.keys import (
    IdNumber,
    KeyCheck,
    KeyFormatError,
    Problem,
    check_id_number,
    normalize_id_number,
)
from contracts.keys.checksums import id_check_char

VALID = "11010519491231002X"


def with_check(body: str) -> str:
    return body + id_check_char(body)


@pytest.mark.parametrize(
    "raw",
    [
        VALID,
        "11010519491231002x",
        " 110105 19491231 002X ",
        "110105-19491231-002X",
        "１１０１０５１９４９１２３１００２Ｘ",
        "\u3000110105\u300019491231002ｘ\t",
    ],
)
def test_normalises_what_people_type(raw: str) -> None:
    assert normalize_id_number(raw) == VALID


def test_upgrades_legacy_fifteen_digit_numbers() -> None:
    assert normalize_id_number("110105491231002") == VALID
    assert normalize_id_number("110105 491231 002") == VALID


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("", Problem.MISSING),
        ("  - ", Problem.MISSING),
        ("11010519491231002", Problem.BAD_LENGTH),
        ("11010519491231002XX", Problem.BAD_LENGTH),
        ("1101051949123100", Problem.BAD_LENGTH),
        ("11010519491231002Y", Problem.BAD_CHARSET),
        ("1101051949123100X2", Problem.BAD_CHARSET),
        ("11010519491231号02X", Problem.BAD_CHARSET),
        ("11010549123100A", Problem.BAD_CHARSET),
        ("110105194912310021", Problem.BAD_CHECK_CHAR),
        ("110105194912310O2X", Problem.BAD_CHARSET),
        (with_check("11010519491331002"), Problem.BAD_BIRTH_DATE),
        (with_check("11010519000229001"), Problem.BAD_BIRTH_DATE),
        (with_check("11010518791231001"), Problem.BAD_BIRTH_DATE),
        (with_check("11010500000101001"), Problem.BAD_BIRTH_DATE),
        (with_check("99010519491231002"), Problem.UNKNOWN_REGION),
        ("110105491331002", Problem.BAD_BIRTH_DATE),
    ],
)
def test_reports_the_first_problem(raw: str, problem: Problem) -> None:
    with pytest.raises(KeyFormatError) as raised:
        normalize_id_number(raw)
    assert raised.value.problem is problem
    assert raised.value.raw == raw
    assert check_id_number(raw) == KeyCheck(None, problem)


def test_calendar_edges() -> None:
    assert check_id_number(with_check("11010520000229001")).ok  # 2000 is a leap year
    assert check_id_number(with_check("11010518800101001")).ok
    today = date.today()
    assert check_id_number(with_check(f"110105{today:%Y%m%d}001")).ok
    tomorrow = today + timedelta(days=1)
    future = check_id_number(with_check(f"110105{tomorrow:%Y%m%d}001"))
    assert future.problem is Problem.BAD_BIRTH_DATE


def test_region_codes_of_any_year_are_accepted() -> None:
    assert check_id_number(with_check("31011519660315123")).ok  # Pudong, created 1993
    assert check_id_number(with_check("11010319900101001")).ok  # Chongwen, abolished 2010


def test_check_never_raises_and_handles_none() -> None:
    assert check_id_number(None).problem is Problem.MISSING
    assert check_id_number(VALID).value == VALID
    assert check_id_number(VALID).ok


def test_error_message_says_what_to_do_without_leaking_the_number() -> None:
    raw = "110105194912310021"
    with pytest.raises(KeyFormatError) as raised:
        normalize_id_number(raw)
    message = str(raised.value)
    assert "18th character" in message
    assert "校验码" in message
    assert raw not in message
    assert isinstance(raised.value, ValueError)


def test_id_number_info() -> None:
    number = IdNumber("11010519491231002x")
    assert number.value == VALID
    assert number.birth_date == date(1949, 12, 31)
    assert number.gender == "F"
    assert number.region_code == "110105"
    assert number.region_name == "北京市朝阳区"
    assert IdNumber(with_check("44030419880808321")).gender == "M"
    with pytest.raises(KeyFormatError):
        IdNumber("110105194912310021")


def test_error_survives_pickling() -> None:
    error = KeyFormatError(Problem.BAD_BIRTH_DATE, "x")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.problem, copy.raw, str(copy)) == (error.problem, error.raw, str(error))
