"""Resource codes (信息资源代码): the classification's digits, a slash, a sequence number.

类 is one digit (1 basic, 2 thematic, 3 department), 项 two, 目 three, 细目 optional digits;
the sequence number is what tells resources of one classification apart.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

CODE_PATTERN = re.compile(r"^(?P<prefix>[1-3]\d{5}\d{0,6})/(?P<sequence>\d{1,9})$")
DEPARTMENT_CATEGORY = "3"
SEQUENCE_WIDTH = 6


def is_valid(code: str) -> bool:
    return CODE_PATTERN.match(code) is not None


def prefix_of(code: str) -> str | None:
    match = CODE_PATTERN.match(code)
    return match.group("prefix") if match else None


def next_code(prefix: str, taken: Iterable[str]) -> str:
    """The first unused sequence number under `prefix`, zero-padded like the guide's examples."""
    used = {int(c.split("/", 1)[1]) for c in taken if prefix_of(c) == prefix}
    sequence = next(n for n in range(1, len(used) + 2) if n not in used)
    return f"{prefix}/{sequence:0{SEQUENCE_WIDTH}d}"


def example(prefix: str) -> str:
    return f"{prefix}/{1:0{SEQUENCE_WIDTH}d}"
