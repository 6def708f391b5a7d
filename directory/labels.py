"""Chinese labels of the catalogue's vocabularies, for spreadsheets stewards edit by hand.

Exports write the label (有条件共享), imports accept the label or the code (conditional), so a
sheet round-trips whichever way a steward typed it.
"""

from __future__ import annotations

from enum import StrEnum

from directory.model import (
    Classification,
    ItemType,
    ResourceFormat,
    SharingMethod,
    SharingType,
    Status,
    UpdateCycle,
)

LABELS: dict[type[StrEnum], dict[str, str]] = {
    SharingType: {
        "unconditional": "无条件共享",
        "conditional": "有条件共享",
        "not_shared": "不予共享",
    },
    Status: {
        "draft": "草稿",
        "in_review": "审核中",
        "published": "已发布",
        "deprecated": "已废止",
        "withdrawn": "已撤销",
    },
    ResourceFormat: {
        "database": "数据库",
        "spreadsheet": "电子表格",
        "document": "电子文件",
        "image": "图形图像",
        "streaming_media": "流媒体",
        "self_describing": "自描述格式",
        "other": "其他",
    },
    SharingMethod: {"api": "接口", "file": "文件", "database": "数据库"},
    UpdateCycle: {
        "realtime": "实时",
        "daily": "每日",
        "weekly": "每周",
        "monthly": "每月",
        "quarterly": "每季度",
        "yearly": "每年",
        "irregular": "不定期",
    },
    ItemType: {
        "string": "字符型",
        "integer": "整数型",
        "decimal": "数值型",
        "date": "日期型",
        "timestamp": "日期时间型",
        "boolean": "逻辑型",
        "text": "文本型",
        "binary": "二进制",
    },
    Classification: {"public": "公开", "personal": "个人信息", "sensitive": "敏感信息"},
}
YES, NO = "是", "否"


def label(value: StrEnum) -> str:
    return LABELS[type(value)][value.value]


def choices(enum: type[StrEnum]) -> list[str]:
    return list(LABELS[enum].values())


def parse(enum: type[StrEnum], text: str) -> StrEnum | None:
    """The member named by its label or its code; None if neither."""
    cleaned = text.strip()
    for value, name in LABELS[enum].items():
        if cleaned in (name, value) or cleaned.lower() == value:
            return enum(value)
    return None
