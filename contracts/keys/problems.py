"""Problem codes shared by every validator of the one-number keys.

The codes are plain strings (a ``StrEnum``) because they travel: the vectorised path writes
them into Arrow columns, SQL quality rules compare against them, and the API returns them to
service-centre staff, who see the bilingual message and the advice instead of the code.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Problem(StrEnum):
    """Why a raw value is not a usable key, in the order the checks run."""

    MISSING = "missing"
    BAD_LENGTH = "bad_length"
    BAD_CHARSET = "bad_charset"
    BAD_CHECK_CHAR = "bad_check_char"
    BAD_BIRTH_DATE = "bad_birth_date"
    UNKNOWN_REGION = "unknown_region"
    BAD_ORG_CODE_CHECK = "bad_org_code_check"
    UNMAPPED_LEGACY_CODE = "unmapped_legacy_code"

    @property
    def message(self) -> str:
        """What is wrong, in Chinese then English, for people who cannot read the code."""
        return _MESSAGES[self]

    @property
    def advice(self) -> str:
        """What the person holding the document should do about it."""
        return _ADVICE[self]


_MESSAGES: dict[Problem, str] = {
    Problem.MISSING: "号码为空 / the number is missing",
    Problem.BAD_LENGTH: "号码位数不对 / the number has the wrong number of characters",
    Problem.BAD_CHARSET: (
        "号码含有不允许的字符 / the number contains characters that are not allowed"
    ),
    Problem.BAD_CHECK_CHAR: (
        "校验码不符 / the check character does not match the rest of the number"
    ),
    Problem.BAD_BIRTH_DATE: (
        "出生日期无效 / the birth date is not a real date, is in the future or is before 1880"
    ),
    Problem.UNKNOWN_REGION: (
        "行政区划代码不存在 / the region code is not a GB/T 2260 code of any year"
    ),
    Problem.BAD_ORG_CODE_CHECK: (
        "内含的组织机构代码校验码不符 / the embedded organisation code has a wrong check character"
    ),
    Problem.UNMAPPED_LEGACY_CODE: (
        "旧版代码无对应的统一社会信用代码 / a legacy organisation code or registration number "
        "with no known unified social credit code"
    ),
}

_ADVICE: dict[Problem, str] = {
    Problem.MISSING: "请填写号码 / fill in the number",
    Problem.BAD_LENGTH: (
        "身份证号码为18位（旧证15位），统一社会信用代码为18位，请核对是否漏输或多输 / an ID number "
        "has 18 characters (15 on old cards), a credit code 18: look for a missing or extra one"
    ),
    Problem.BAD_CHARSET: (
        "身份证号码只含数字和末位X；信用代码不含I、O、S、V、Z / an ID number is digits with an "
        "optional final X; a credit code never contains I, O, S, V or Z: look for a letter "
        "typed instead of a digit"
    ),
    Problem.BAD_CHECK_CHAR: (
        "请核对第18位及其余各位，很可能有一位输错 / check the 18th character, and re-type the "
        "number from the document: one character is probably mistyped"
    ),
    Problem.BAD_BIRTH_DATE: (
        "请核对第7至14位（出生日期YYYYMMDD） / check characters 7 to 14 (the birth date YYYYMMDD)"
    ),
    Problem.UNKNOWN_REGION: (
        "请核对行政区划代码：身份证号码前6位，信用代码第3至8位 / check the region code: the "
        "first 6 characters of an ID number, characters 3 to 8 of a credit code"
    ),
    Problem.BAD_ORG_CODE_CHECK: (
        "请核对第9至17位（组织机构代码） / check characters 9 to 17 (the organisation code)"
    ),
    Problem.UNMAPPED_LEGACY_CODE: (
        "请提供18位统一社会信用代码，或在旧码对照表中补充该代码 / ask for the 18-character unified "
        "social credit code, or add this code to the legacy-code mapping"
    ),
}


class KeyFormatError(ValueError):
    """A raw value that cannot be turned into a key.

    The message deliberately leaves the raw value out: ID numbers are personal data and error
    messages end up in logs. Callers that need the value have ``.raw``.
    """

    def __init__(self, problem: Problem, raw: str | None) -> None:
        super().__init__(f"{problem.message}; {problem.advice}")
        self.problem = problem
        self.raw = raw

    def __reduce__(self) -> tuple[type[KeyFormatError], tuple[Problem, str | None]]:
        """Survive pickling (process pools, Dagster), which replays __init__ with .args."""
        return KeyFormatError, (self.problem, self.raw)


@dataclass(frozen=True)
class KeyCheck:
    """Outcome of checking one raw value: the normalised key, or why there is none."""

    value: str | None
    problem: Problem | None

    @property
    def ok(self) -> bool:
        return self.problem is None
