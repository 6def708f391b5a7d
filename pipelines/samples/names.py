"""Chinese personal and enterprise names, vectorised.

Faker's zh_CN provider builds ~9 k names per second in Python; names here are assembled
with Arrow `take` and element-wise joins from small tables, millions per second. Every
character is a common one, so that GBK files can encode every name.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.samples.hashing import I64, IndexRandom, cumulative

# The most frequent surnames with their approximate share in per mille (Ministry of Public
# Security 2020 ranking), plus a few compound surnames so that names of 3-4 characters occur.
SURNAMES = {
    "王": 71, "李": 70, "张": 67, "刘": 54, "陈": 46, "杨": 32, "黄": 24, "赵": 23, "吴": 20,
    "周": 20, "徐": 16, "孙": 15, "马": 14, "朱": 13, "胡": 13, "郭": 12, "何": 12, "林": 11,
    "高": 11, "罗": 11, "郑": 10, "梁": 9, "谢": 8, "宋": 7, "唐": 7, "许": 7, "韩": 7,
    "冯": 7, "邓": 6, "曹": 6, "彭": 6, "曾": 6, "肖": 6, "田": 5, "董": 5, "袁": 5, "潘": 5,
    "于": 5, "蒋": 5, "蔡": 5, "余": 5, "杜": 5, "叶": 4, "程": 4, "苏": 4, "魏": 4, "吕": 4,
    "丁": 4, "任": 4, "沈": 4, "姚": 4, "卢": 4, "姜": 3, "崔": 3, "钟": 3, "谭": 3, "陆": 3,
    "汪": 3, "范": 3, "金": 3, "石": 3, "廖": 3, "贾": 3, "夏": 3, "韦": 2, "付": 2, "方": 2,
    "白": 2, "邹": 2, "孟": 2, "熊": 2, "秦": 2, "邱": 2, "江": 2, "尹": 2, "薛": 2, "闫": 2,
    "段": 2, "雷": 2, "侯": 2, "龙": 2, "史": 2, "陶": 2, "黎": 2, "贺": 1, "顾": 1, "毛": 1,
    "郝": 1, "龚": 1, "邵": 1, "万": 1, "钱": 1, "严": 1, "武": 1, "戴": 1, "孔": 1, "常": 1,
    "申": 1, "牛": 1, "乔": 1, "聂": 1, "耿": 1, "靳": 1, "翟": 1, "司": 1, "路": 1,
    "欧阳": 0.2, "司马": 0.05, "上官": 0.05, "诸葛": 0.03,
}  # fmt: skip

# Given-name characters by birth era (before 1970, 1970-1989, from 1990) and gender:
# naming fashions changed enough that a clerk guesses a person's age from the name.
GIVEN_CHARS = {
    (
        "old",
        "male",
    ): "建国华明军民平德文志新忠福贵祥林春生红强保海山成富金荣东长庆光胜利发永兴世振学",
    ("old", "female"): "秀英兰珍桂芳玉凤华梅琴云霞荣淑翠爱萍素莲香花娥芬菊敏秋冬丽玲娟红",
    ("mid", "male"): "伟磊军勇涛斌超鹏辉刚杰峰强亮健波飞鑫宇浩明俊龙永林海文凯帅锋军华东涛",
    ("mid", "female"): "静丽娟燕艳敏霞玲婷丹萍红芳颖洁莉雪慧琳倩娜璐晶媛蕾利莹薇佳晓",
    ("young", "male"): "浩宇轩梓涵睿博子俊杰泽晨辰铭瑞一诺航昊然旭阳嘉奕恒豪宸毅哲凯文鹏",
    ("young", "female"): "欣怡涵梓诗雨萱可馨悦佳思琪雅若婉语梦晨彤妍菲瑶琳静依紫安然月",
}
ERA_BOUNDS = (1970, 1990)  # birth years that start the "mid" and "young" eras
SINGLE_CHAR_SHARE = (0.30, 0.18, 0.08)  # share of one-character given names per era

# Homophones and look-alikes: the same person's name as another department typed it.
VARIANTS = {
    "明": "铭", "华": "桦", "丽": "莉", "静": "婧", "伟": "玮", "军": "君", "芳": "方",
    "英": "瑛", "玲": "琳", "娟": "鹃", "刚": "钢", "峰": "锋", "杰": "洁", "磊": "蕾",
    "涛": "韬", "斌": "彬", "辉": "晖", "敏": "民", "燕": "艳", "红": "虹", "平": "萍",
    "霞": "侠", "婷": "亭", "宇": "雨", "浩": "皓", "轩": "萱", "涵": "含", "欣": "昕",
    "怡": "宜", "梓": "子", "晨": "辰", "琪": "淇", "佳": "嘉", "俊": "骏", "龙": "隆",
    "强": "羌", "鹏": "朋", "超": "潮", "勇": "永", "亮": "靓", "凤": "风", "兰": "岚",
    "云": "芸", "梅": "玫", "萍": "苹", "颖": "莹", "雪": "学", "慧": "惠", "倩": "茜",
}  # fmt: skip

ETHNICITIES = {
    "汉族": 987.0, "回族": 9.0, "满族": 1.0, "蒙古族": 0.7, "壮族": 0.4, "土家族": 0.4,
    "苗族": 0.4, "朝鲜族": 0.2, "维吾尔族": 0.2, "彝族": 0.2, "藏族": 0.1, "布依族": 0.1,
}  # fmt: skip

_SURNAME_TABLE = pa.array(list(SURNAMES))
_SURNAME_CUM = cumulative(list(SURNAMES.values()))
_POOLS = [GIVEN_CHARS[(era, g)] for era in ("old", "mid", "young") for g in ("female", "male")]
_POOL_CHARS = pa.array([c for pool in _POOLS for c in pool])
_POOL_START = np.cumsum([0] + [len(p) for p in _POOLS[:-1]])
_POOL_SIZE = np.array([len(p) for p in _POOLS])
_ETHNICITY_TABLE = pa.array(list(ETHNICITIES))
_ETHNICITY_CUM = cumulative(list(ETHNICITIES.values()))


def person_names(
    seed: int, index: I64, birth_year: I64, male: np.ndarray, surname_key: I64
) -> pa.Array:
    """Surname (drawn for `surname_key`, so a family can share it) + one or two given-name
    characters in the fashion of the birth era."""
    era = np.searchsorted(np.array(ERA_BOUNDS), birth_year, side="right")
    pool = era * 2 + male.astype(np.int64)
    drawn = IndexRandom(seed, "name.surname").pick(surname_key, _SURNAME_CUM)
    surname = _SURNAME_TABLE.take(pa.array(drawn))
    first = _given_char(seed, "name.given1", index, pool)
    second = _given_char(seed, "name.given2", index, pool)
    single = IndexRandom(seed, "name.single").uniform(index) < np.array(SINGLE_CHAR_SHARE)[era]
    second = pc.if_else(pa.array(single), pa.nulls(len(index), pa.string()), second)
    return pc.binary_join_element_wise(surname, first, second, "", null_handling="skip")


def _given_char(seed: int, stream: str, index: I64, pool: I64) -> pa.Array:
    offset = IndexRandom(seed, stream).below(index, _POOL_SIZE[pool])
    return _POOL_CHARS.take(pa.array(_POOL_START[pool] + offset))


def ethnicities(seed: int, index: I64) -> pa.Array:
    return _ETHNICITY_TABLE.take(
        pa.array(IndexRandom(seed, "person.ethnicity").pick(index, _ETHNICITY_CUM))
    )


def variant_names(names: pa.Array, rng: np.random.Generator) -> pa.Array:
    """The same names with the last character swapped for a homophone or look-alike, the
    way a second department's clerk may have typed them."""
    last = pc.utf8_slice_codeunits(names, -1)
    found = pc.index_in(last, value_set=pa.array(list(VARIANTS)))
    variant = pa.array(list(VARIANTS.values())).take(found)
    fallback = _POOL_CHARS.take(pa.array(rng.integers(0, len(_POOL_CHARS), len(names))))
    replacement = pc.coalesce(variant, fallback)
    # a fallback character may equal the original: then use the next one in the pool
    same = pc.equal(replacement, last)
    shifted = _POOL_CHARS.take(
        pa.array((rng.integers(0, len(_POOL_CHARS) - 1, len(names)) + 1) % len(_POOL_CHARS))
    )
    replacement = pc.if_else(same, shifted, replacement)
    return pc.binary_join_element_wise(pc.utf8_slice_codeunits(names, 0, -1), replacement, "")


# Enterprise names: "郑州" + two-character brand + industry + legal form, the pattern of
# almost every company name in a Chinese register.
BRAND_CHARS = (
    "华鑫恒泰瑞宏盛源达康博信通聚丰远鼎祥润嘉辰安诚正和合宇航智汇金银天中豫嵩商新锦凯德隆兴"
    "腾飞创星晟昊卓越尚品优众佳美东方大成"
)

INDUSTRIES = {
    "科技": "技术开发、技术咨询、技术服务；软件开发；信息系统集成服务",
    "商贸": "日用百货、五金交电、建筑材料、电子产品的销售",
    "建筑工程": "房屋建筑工程、市政公用工程施工；建筑劳务分包",
    "餐饮管理": "餐饮服务；餐饮管理；食品销售",
    "物流": "道路普通货物运输；仓储服务（不含危险化学品）；货物配载",
    "置业": "房地产开发与经营；物业管理",
    "医药": "药品零售；医疗器械销售；保健食品销售",
    "教育咨询": "教育信息咨询；文化艺术交流活动策划",
    "文化传媒": "广告设计、制作、代理、发布；企业形象策划；会议及展览服务",
    "农业开发": "农作物种植；农业技术推广服务；农产品初加工",
    "机械设备": "机械设备的研发、生产、销售及维修",
    "电子商务": "互联网销售；电子商务平台服务",
    "物业服务": "物业管理；保洁服务；停车场服务",
    "环保科技": "环保技术开发；污水处理及其再生利用；大气污染治理",
    "装饰工程": "室内外装饰装修工程设计与施工",
    "人力资源": "人力资源服务；劳务派遣；职业中介活动",
    "汽车销售服务": "汽车、汽车配件销售；二手车经纪；机动车维修",
    "食品": "食品生产；食品销售；农副产品加工",
    "服饰": "服装、鞋帽、针纺织品的设计及销售",
    "新能源": "太阳能发电技术服务；储能技术服务；合同能源管理",
}
SHOPS = {
    "便利店": "日用百货、预包装食品零售",
    "烩面馆": "餐饮服务",
    "五金店": "五金交电零售",
    "理发店": "理发服务",
    "服装店": "服装零售",
    "水果店": "水果零售",
    "超市": "日用百货、食品零售",
    "汽车修理部": "机动车维修",
    "手机店": "通讯器材零售及维修",
    "小吃店": "小吃服务",
    "烟酒店": "卷烟零售、酒类零售",
    "干洗店": "洗染服务",
}
COOPERATIVES = {
    "种植专业合作社": "农作物种植、销售；农业技术咨询",
    "养殖专业合作社": "畜禽养殖、销售；养殖技术咨询",
    "农机服务专业合作社": "农业机械服务；农机作业",
    "蔬菜种植专业合作社": "蔬菜种植、销售",
    "果蔬专业合作社": "水果、蔬菜种植及销售",
}


def brands(seed: int, index: I64) -> pa.Array:
    chars = pa.array(list(BRAND_CHARS))
    first = chars.take(pa.array(IndexRandom(seed, "brand.1").below(index, len(BRAND_CHARS))))
    second = chars.take(pa.array(IndexRandom(seed, "brand.2").below(index, len(BRAND_CHARS))))
    return pc.binary_join_element_wise(first, second, "")
