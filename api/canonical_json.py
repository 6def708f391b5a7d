"""The canonical form of a signed extract: the exact bytes the centre's key signs.

Its own module because it is a standard (RFC 8785, the JSON Canonicalization Scheme) that a
verifier in any language must reproduce byte for byte, whatever the keys and the document
format around it (`api.signing`). No web imports.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

_MAX_SAFE_INTEGER = 2**53 - 1  # beyond it, an IEEE double (a JS number) cannot hold an integer


class ExtractError(ValueError):
    """A payload that cannot be signed as it is; the message names the field and the fix."""


def canonical_json(value: Any) -> bytes:
    """The exact bytes that are signed: the JSON Canonicalization Scheme (RFC 8785, JCS).

    Any JCS library in any language reproduces them. Spelled out:

    - UTF-8, no byte order mark, no whitespace between tokens (`,` and `:` only).
    - Objects: members sorted by key, comparing keys as sequences of UTF-16 code units
      (for keys within the Basic Multilingual Plane, such as all Chinese in use, that is
      code point order). Keys must be strings.
    - Strings: characters are written as they are (non-ASCII kept, not `\\u` escaped), except
      `"` as `\\"`, `\\` as `\\\\`, U+0008 `\\b`, U+0009 `\\t`, U+000A `\\n`, U+000C `\\f`,
      U+000D `\\r`, and the other characters below U+0020 as `\\u00xx` with lower-case hex.
      `/` and U+007F are not escaped. Lone surrogates are refused.
    - Numbers: as ECMAScript's Number.prototype.toString of the IEEE double: integers with
      no fraction or exponent (`1.0` is `1`, `-0` is `0`), otherwise the shortest digits
      that round-trip, switching to `1e+21` / `1e-7` notation outside 1e-6 <= |x| < 1e21.
      NaN and infinities are refused, and so are integers beyond +-(2**53 - 1): a double
      cannot hold them exactly, so send such numbers (and decimals whose digits matter, such
      as amounts) as strings.
    - `true`, `false`, `null` as they are; arrays keep their order.

    Raises ExtractError naming the offending field for anything else (dates, Decimals,
    bytes, ...): dump pydantic models with `model_dump(mode="json")` first.
    """
    text = _canonical(value, "extract")
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ExtractError("a string holds a lone surrogate, which UTF-8 cannot encode") from error


def _canonical(value: Any, path: str) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int):
        if abs(value) > _MAX_SAFE_INTEGER:
            raise ExtractError(f"{path} is {value}, beyond +-(2**53 - 1); send it as a string")
        return str(int(value))
    if isinstance(value, float):
        return _number(value, path)
    if isinstance(value, Mapping):
        for key in value:
            if not isinstance(key, str):
                raise ExtractError(f"{path} has the key {key!r}; JSON keys must be strings")
        members = sorted(value, key=lambda k: k.encode("utf-16-be", "surrogatepass"))
        pairs = (f"{_canonical(k, path)}:{_canonical(value[k], f'{path}.{k}')}" for k in members)
        return "{" + ",".join(pairs) + "}"
    if isinstance(value, list | tuple):
        items = (_canonical(v, f"{path}[{i}]") for i, v in enumerate(value))
        return "[" + ",".join(items) + "]"
    raise ExtractError(
        f"{path} is a {type(value).__name__}, which JSON cannot hold; convert it first "
        '(dates to ISO-8601 strings, pydantic models with model_dump(mode="json"))'
    )


def _number(value: float, path: str) -> str:
    """ECMAScript's Number-to-String (ECMA-262, 7.1.12.1), from Python's shortest repr."""
    if not math.isfinite(value):
        raise ExtractError(f"{path} is {value}, which JSON cannot hold")
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    mantissa, _, exponent = repr(abs(value)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    # The value is 0.DIGITS x 10**point.
    if whole == "0":
        point = int(exponent or 0) - (len(fraction) - len(fraction.lstrip("0")))
    else:
        point = len(whole) + int(exponent or 0)
    digits = (whole + fraction).strip("0")
    count = len(digits)
    if count <= point <= 21:
        return sign + digits + "0" * (point - count)
    if 0 < point <= 21:
        return f"{sign}{digits[:point]}.{digits[point:]}"
    if -6 < point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    significand = digits[0] + (f".{digits[1:]}" if count > 1 else "")
    return f"{sign}{significand}e{point - 1:+d}"
