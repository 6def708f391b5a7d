from __future__ import annotations

import numpy as np
import pytest
from stdnum import numdb

from contracts.keys import is_known_region, region_lookup, region_name


@pytest.mark.parametrize(
    "code",
    [
        "110000",  # a province itself
        "110105",  # Chaoyang, Beijing, unchanged
        "310115",  # Pudong, created 1993
        "110103",  # Chongwen, merged away in 2010
        "120110",  # renamed in 1992: 东郊区 -> 东丽区
    ],
)
def test_codes_valid_in_any_year_are_known(code: str) -> None:
    assert is_known_region(code)


@pytest.mark.parametrize("code", ["000000", "990101", "110199", "11010", "1101050", "abcdef"])
def test_unknown_codes(code: str) -> None:
    assert not is_known_region(code)
    assert region_name(code) is None


def test_lookup_array_matches_the_scalar_check() -> None:
    table = region_lookup()
    assert table.shape == (1_000_000,) and table.dtype == np.bool_
    assert not table.flags.writeable
    known = np.flatnonzero(table)
    assert all(is_known_region(f"{code:06d}") for code in known)
    counties = sum(
        int(high) - int(low) + 1
        for province in numdb.get("cn/loc").prefixes
        for _, low, high, _, _ in province[4]
    )
    assert len(known) == counties
    assert region_lookup() is table  # built once


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("310115", "上海市浦东新区"),
        ("130102", "河北省石家庄市长安区"),
        ("110000", "北京市"),
        ("120110", "天津市东丽区"),
        ("110103", "北京市崇文区"),
        ("130100", "河北省石家庄市"),
    ],
)
def test_region_names(code: str, name: str) -> None:
    assert region_name(code) == name
