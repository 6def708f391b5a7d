"""GB/T 2260 administrative region codes, as shipped with python-stdnum.

A resident ID number keeps the region code it was issued with for life, so a code abolished
or created in any year must be accepted for any birth year: people born in 1966 in what
became Pudong (310115, created 1993) hold 310115 numbers. ``stdnum.cn.ric`` instead demands
that the code existed in the birth year, which rejects real cards.
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np
import numpy.typing as npt
from stdnum import numdb

REGION_SPACE = 1_000_000

# A county entry reads "[1983-1994]东矿区,[1995-]古冶区": names with their years of use.
_YEARS = re.compile(r"^\[[0-9]*-[0-9]*\]")
# Prefecture-level rows that only group counties ("districts under the city") and add
# nothing to a place name.
_PLACEHOLDERS = frozenset({"市辖区", "县"})


@cache
def _names() -> dict[str, tuple[str, str]]:
    """Map each 6-digit code to (province name, current county-level name)."""
    names: dict[str, tuple[str, str]] = {}
    for length, low, high, props, children in numdb.get("cn/loc").prefixes:
        assert length == 2 and low == high, "cn/loc.dat provinces are single 2-digit codes"
        for _, c_low, c_high, c_props, _ in children:
            for suffix in range(int(c_low), int(c_high) + 1):
                names[f"{low}{suffix:04d}"] = (props["province"], _current(c_props["county"]))
    return names


def _current(county: str) -> str:
    """Latest of the names a code has carried, because that is what people recognise."""
    return _YEARS.sub("", county.split(",")[-1])


@cache
def region_codes() -> frozenset[str]:
    """Every 6-digit GB/T 2260 code that was valid in at least one year."""
    return frozenset(_names())


def is_known_region(code: str) -> bool:
    """True if ``code`` is a 6-digit GB/T 2260 code that was valid in at least one year."""
    return code in _names()


@cache
def region_lookup() -> npt.NDArray[np.bool_]:
    """Boolean array indexed by the 6-digit code as an int, for vectorised validation.

    One megabyte, built once: a gather into it is far cheaper than a hash join per row.
    """
    table = np.zeros(REGION_SPACE, dtype=np.bool_)
    table[np.fromiter((int(code) for code in _names()), dtype=np.int64)] = True
    table.flags.writeable = False
    return table


def region_name(code: str) -> str | None:
    """Province, prefecture and county joined as written in Chinese addresses, or None.

    E.g. ``"310115"`` gives ``"上海市浦东新区"`` and ``"130102"`` gives ``"河北省石家庄市长安区"``.
    """
    names = _names()
    if code not in names:
        return None
    province, county = names[code]
    parts = [province]
    prefecture = names.get(code[:4] + "00")
    if code[2:4] != "00" and code[4:] != "00" and prefecture is not None:
        parts.append(prefecture[1])
    parts.append(county)
    kept = [p for p in parts[:-1] if p not in _PLACEHOLDERS and "直辖" not in p] + parts[-1:]
    return "".join(p for i, p in enumerate(kept) if i == 0 or p != kept[i - 1])
