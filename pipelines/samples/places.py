"""The sample city (郑州市) and the rest of the country, from python-stdnum's GB/T 2260 table.

Region codes come from the same table the ID validators use (`stdnum/cn/loc.dat`), with the
year each code came into use, so that every clean generated ID number passes
`stdnum.cn.ric.is_valid`, which rejects a region code that did not exist in the holder's
birth year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from stdnum import numdb

from pipelines.samples.hashing import F64, I64, IndexRandom, cumulative

CITY_CODE = 410100
CITY_NAME = "郑州市"
CITY_SHORT = "郑州"
PROVINCE_NAME = "河南省"
PROVINCE_SHORT = "豫"  # the abbreviation in front of real-estate certificate numbers

# Resident population of each current county-level division, in 10,000 persons (2020 census,
# rounded): it decides where residents live and where enterprises register.
COUNTY_POPULATION = {
    410102: 120, 410103: 95, 410104: 80, 410105: 165, 410106: 15, 410108: 60,
    410122: 115, 410181: 80, 410182: 75, 410183: 80, 410184: 120, 410185: 70,
}  # fmt: skip

# Share of nonlocal ID numbers from the rest of the same province: most migrants move
# within the province.
SAME_PROVINCE_WEIGHT = 4.0

ROADS = [
    "中原路",
    "建设路",
    "嵩山路",
    "文化路",
    "花园路",
    "农业路",
    "黄河路",
    "金水路",
    "紫荆山路",
    "航海路",
    "大学路",
    "陇海路",
    "郑汴路",
    "商都路",
    "桐柏路",
    "伏牛路",
    "秦岭路",
    "工人路",
    "淮河路",
    "长江路",
    "南阳路",
    "丰产路",
    "东风路",
    "红旗路",
    "人民路",
    "解放路",
    "经三路",
    "经五路",
    "纬二路",
    "纬四路",
    "政七街",
    "未来路",
    "中州大道",
    "京广路",
    "大同路",
    "二七路",
    "民主路",
    "淮南街",
    "兴华街",
    "冉屯路",
    "陇海西路",
    "须水路",
    "汝河路",
    "华山路",
    "长椿路",
    "科学大道",
    "莲花街",
    "西三环",
    "北三环",
    "东风东路",
    "商鼎路",
    "康平路",
    "龙湖中环路",
    "如意西路",
    "平安大道",
    "中兴路",
    "新华路",
    "青年路",
    "府前街",
    "光明路",
    "建业路",
    "迎宾路",
    "滨河路",
    "交通路",
    "育才街",
]
TOWNS = [
    "城关镇",
    "官渡镇",
    "白沙镇",
    "刘集镇",
    "韩寺镇",
    "姚家镇",
    "大孟镇",
    "狼城岗镇",
    "米庄镇",
    "竹林镇",
    "回郭镇",
    "小关镇",
    "广武镇",
    "高村乡",
    "汜水镇",
    "曲梁镇",
    "超化镇",
    "来集镇",
    "牛店镇",
    "龙湖镇",
    "孟庄镇",
    "郭店镇",
    "辛店镇",
    "告成镇",
    "大金店镇",
    "卢店镇",
    "唐庄镇",
    "颍阳镇",
]
VILLAGE_ROOTS = [
    "王",
    "李",
    "张",
    "刘",
    "陈",
    "杨",
    "赵",
    "黄",
    "周",
    "吴",
    "孙",
    "马",
    "朱",
    "胡",
    "郭",
    "高",
    "何",
    "罗",
    "郑",
    "梁",
    "宋",
    "谢",
    "韩",
    "冯",
    "于",
]
VILLAGE_SUFFIXES = ["庄村", "寨村", "营村", "庙村", "岗村", "楼村", "湾村", "店村", "沟村", "河村"]


def _current_name(text: str) -> tuple[str, int, int | None]:
    """(name, first year, last year) of the newest naming of a code in loc.dat."""
    last = text.split(",")[-1]
    match = re.fullmatch(r"\[(\d*)-(\d*)\](.*)", last)
    if not match:
        return last, 0, None
    start, end, name = match.groups()
    return name, int(start or 0), int(end) if end else None


@cache
def _county_table() -> list[tuple[int, str, int]]:
    """(code, name, first year) of every county-level code still in use today."""
    rows: list[tuple[int, str, int]] = []
    for _, low, high, _props, children in numdb.get("cn/loc").prefixes:
        if low != high or int(low) >= 71:  # Taiwan, Hong Kong, Macao issue no resident IDs
            continue
        for _, c_low, c_high, c_props, _ in children:
            name, start, end = _current_name(c_props.get("county", ""))
            if c_low != c_high or end is not None or c_low.endswith("00"):
                continue
            if "市辖区" in name or "区划" in name:
                continue
            rows.append((int(low + c_low), name, start))
    return rows


@dataclass(frozen=True)
class Counties:
    """The city's county-level divisions, in one fixed order used as `county` indices."""

    codes: npt.NDArray[np.int64]
    names: tuple[str, ...]
    first_year: npt.NDArray[np.int64]
    weights: F64
    is_district: npt.NDArray[np.bool_]

    @property
    def cumulative(self) -> F64:
        return cumulative(self.weights)

    def prefixes(self, county: I64, *, province: bool) -> pa.Array:
        """ "河南省郑州市金水区" (or without the province) for each county index."""
        head = (PROVINCE_NAME if province else "") + CITY_NAME
        return pa.array([head + n for n in self.names]).take(pa.array(county))

    def offices(self, county: I64, suffix: str) -> pa.Array:
        """Office names as departments write them: districts carry the city ("郑州市金水区
        民政局"), county-level cities and counties stand alone ("巩义市民政局")."""
        names = [
            (CITY_NAME + n if district else n) + suffix
            for n, district in zip(self.names, self.is_district, strict=True)
        ]
        return pa.array(names).take(pa.array(county))


@cache
def city_counties() -> Counties:
    rows = [r for r in _county_table() if r[0] // 100 == CITY_CODE // 100]
    missing = {code for code, _, _ in rows} ^ set(COUNTY_POPULATION)
    if missing:
        raise RuntimeError(f"python-stdnum region table and COUNTY_POPULATION differ: {missing}")
    return Counties(
        codes=np.array([r[0] for r in rows], dtype=np.int64),
        names=tuple(r[1] for r in rows),
        first_year=np.array([r[2] for r in rows], dtype=np.int64),
        weights=np.array([COUNTY_POPULATION[r[0]] for r in rows], dtype=np.float64),
        is_district=np.array([r[1].endswith("区") for r in rows]),
    )


@dataclass(frozen=True)
class Elsewhere:
    """County codes outside the city, sorted by first year, for migrants' ID numbers."""

    codes: npt.NDArray[np.int64]
    first_year: npt.NDArray[np.int64]
    cumulative_weight: F64

    def pick(self, rand: IndexRandom, index: I64, birth_year: I64) -> I64:
        """A code valid in each birth year: only the prefix of codes introduced by then."""
        available = np.searchsorted(self.first_year, birth_year, side="right")
        limit = self.cumulative_weight[available - 1]
        chosen = np.searchsorted(self.cumulative_weight, rand.uniform(index) * limit, "right")
        return self.codes[np.minimum(chosen, available - 1)]


@cache
def elsewhere() -> Elsewhere:
    rows = sorted(
        (r for r in _county_table() if r[0] // 100 != CITY_CODE // 100), key=lambda r: r[2]
    )
    province = CITY_CODE // 10000
    weights = np.array([SAME_PROVINCE_WEIGHT if r[0] // 10000 == province else 1.0 for r in rows])
    return Elsewhere(
        codes=np.array([r[0] for r in rows], dtype=np.int64),
        first_year=np.array([r[2] for r in rows], dtype=np.int64),
        cumulative_weight=np.cumsum(weights),
    )


def digits(values: npt.ArrayLike, width: int) -> npt.NDArray[np.uint8]:
    """(n, width) decimal digit values of non-negative integers, most significant first."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((np.asarray(values, dtype=np.int64)[:, None] // powers) % 10).astype(np.uint8)


def number_strings(values: npt.ArrayLike, width: int = 0) -> pa.Array:
    text = pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())
    return pc.utf8_lpad(text, width, padding="0") if width else text


def addresses(seed: int, stream: str, keys: I64, county: I64, *, province: bool) -> pa.Array:
    """Street addresses in each row's county, a pure function of (seed, stream, key).

    Districts get flats ("农业路123号5号楼2单元301室"); in counties and county-level cities
    two in five are village addresses ("官渡镇王庄村56号"), as in their real registers.
    """
    counties = city_counties()
    r = [IndexRandom(seed, f"{stream}.{part}") for part in range(7)]
    road = pa.array(ROADS).take(pa.array(r[0].below(keys, len(ROADS))))
    number = number_strings(1 + r[1].below(keys, 399))
    building = number_strings(1 + r[2].below(keys, 28))
    unit = number_strings(1 + r[3].below(keys, 4))
    room = number_strings((1 + r[4].below(keys, 26)) * 100 + 1 + r[5].below(keys, 4))
    flat = pc.binary_join_element_wise(
        road, number, "号", building, "号楼", unit, "单元", room, "室", ""
    )
    town = pa.array(TOWNS).take(pa.array(r[6].below(keys, len(TOWNS))))
    village_root = pa.array(VILLAGE_ROOTS).take(pa.array(r[2].below(keys, len(VILLAGE_ROOTS))))
    village_suffix = pa.array(VILLAGE_SUFFIXES).take(
        pa.array(r[3].below(keys, len(VILLAGE_SUFFIXES)))
    )
    village = pc.binary_join_element_wise(town, village_root, village_suffix, number, "号", "")
    rural = ~counties.is_district[county] & (r[5].uniform(keys) < 0.4)
    street = pc.if_else(pa.array(rural, type=pa.bool_()), village, flat)
    return pc.binary_join_element_wise(counties.prefixes(county, province=province), street, "")
