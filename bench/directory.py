"""Directory performance: Chinese search over a large catalogue, and the grant check.

    python bench/directory.py --entries 10000

Builds (once, cached under var/bench/directory/) a catalogue of generated entries with
realistic Chinese names, abstracts and data items, plus service items and granted share
requests, all through the directory's own store; then times, in this process:
  * search: queries of every kind (two-character words, names, several terms, one
    character, fuzzy bigram matches, data items, with and without filters), p50/p95/p99;
  * the grant check ("may D read I of R for S on day T"), checks per second, half of
    them allowed.
Targets (issue 4): search p99 under 50 ms, at least 100,000 grant checks per second.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from directory.actors import SYSTEM  # noqa: E402
from directory.departments import departments  # noqa: E402
from directory.entries import VersionKind, write_new  # noqa: E402
from directory.errors import RequestRefused  # noqa: E402
from directory.store import Directory, open_directory  # noqa: E402

TOPICS = (
    "企业年报",
    "食品抽检",
    "社保缴费",
    "低保对象",
    "婚姻登记",
    "房屋交易",
    "公积金贷款",
    "车辆登记",
    "税收征管",
    "医保结算",
    "户籍迁移",
    "出入境证件",
    "建设工程",
    "环境监测",
    "交通违法",
    "学籍管理",
    "卫生许可",
    "劳动仲裁",
    "残疾人证",
    "退役军人",
    "特种设备",
    "药品经营",
    "农村土地",
    "水利工程",
    "林权登记",
    "文化市场",
    "旅游企业",
    "安全生产",
    "消防验收",
    "城市管理",
    "养老服务",
    "殡葬管理",
    "慈善组织",
    "社会团体",
    "民办学校",
    "医疗机构",
    "执业医师",
    "护士注册",
    "职业资格",
    "就业登记",
    "失业保险",
    "工伤认定",
    "生育津贴",
    "住房补贴",
    "公租房",
    "人才引进",
    "科技项目",
    "专利资助",
    "商标质押",
    "股权出质",
)
QUALIFIERS = ("基本", "变更", "注销", "统计", "明细", "汇总", "历史", "审批", "备案", "核查")
SUFFIXES = ("信息", "数据", "记录", "台账", "目录")
LABELS = (
    "统一社会信用代码",
    "公民身份号码",
    "姓名",
    "性别",
    "出生日期",
    "住所",
    "联系电话",
    "登记机关",
    "登记日期",
    "有效期至",
    "证照编号",
    "法定代表人",
    "注册资本",
    "经营范围",
    "缴费基数",
    "参保状态",
    "审批结果",
    "办理时限",
    "受理时间",
    "行政区划",
)
TYPES = ("string", "string", "string", "integer", "decimal", "date", "timestamp", "boolean")


def _entry(n: int, rng: random.Random) -> dict[str, Any]:
    department = list(departments().values())[n % len(departments())]
    topic = TOPICS[rng.randrange(len(TOPICS))]
    group = f"{TOPICS.index(topic) + 1:03d}"
    name = f"{topic}{rng.choice(QUALIFIERS)}{rng.choice(SUFFIXES)}"
    labels = rng.sample(LABELS, rng.randint(5, 15))
    items = [
        {
            "name": f"item_{k}",
            "label": label,
            "type": (kind := rng.choice(TYPES)),
            "length": rng.choice((18, 32, 100)) if kind == "string" else None,
            "description": f"{topic}的{label}",
            "classification": rng.choice(("public", "public", "personal")),
        }
        for k, label in enumerate(labels)
    ]
    sharing = rng.choice(("unconditional", "conditional", "conditional"))
    return {
        "code": f"3{department.number}{group}/{n:06d}",
        "name": name,
        "classification": {
            "category": "3",
            "subcategory": department.number,
            "group": group,
            "subgroup": "",
        },
        "provider_department": department.code,
        "provider_name": department.name,
        "abstract": f"{department.name}在{topic}工作中形成的{name}，按{rng.choice(SUFFIXES)}汇总。",
        "data_items": items,
        "sharing_type": sharing,
        "sharing_condition": "仅限办理相关政务服务事项" if sharing == "conditional" else "",
        "legal_basis": "《政务信息资源共享管理暂行办法》" if sharing == "conditional" else "",
        "sharing_methods": ["api"],
        "update_cycle": rng.choice(("daily", "monthly", "yearly")),
        "publish_date": "2026-01-01",
        "status": "published",
        "steward": f"{department.code}_steward",
    }


def _build(directory: Directory, entries: int, seed: int) -> None:
    rng = random.Random(seed)
    with directory.db.write() as session:
        for n in range(1, entries + 1):
            write_new(session, _entry(n, rng), "bench", "generated", VersionKind.created)
    services = directory.services
    for n in range(200):
        department = list(departments())[n % len(departments())]
        services.put_item(
            {
                "code": f"41019{n:05d}",
                "name": f"事项{n}",
                "department": department,
                "kind": "on_the_spot",
                "subject": "person",
            },
            SYSTEM,
        )
    # Unconditional resources are granted at once: grants through the real request path.
    open_resources = [
        e for e in directory.entries.all() if e.document.sharing_type.value == "unconditional"
    ]
    for _ in range(1000):
        resource = open_resources[rng.randrange(len(open_resources))]
        item = f"41019{rng.randrange(200):05d}"
        department = directory.services.get(item).item.department
        if department == resource.document.provider_department:
            continue
        names = [i.name for i in resource.document.data_items[:3]]
        try:
            directory.requests.submit(SYSTEM, department, resource.code, item, "bench", "", names)
        except RequestRefused:  # a duplicate draw: that grant exists already
            continue


def _queries(rng: random.Random, count: int) -> list[tuple[str, dict[str, str]]]:
    kinds = [
        lambda: (rng.choice(TOPICS), {}),  # a word, in many names
        lambda: (rng.choice(TOPICS)[:2], {}),  # two characters, very common
        lambda: (rng.choice(TOPICS) + rng.choice(QUALIFIERS), {}),  # a name prefix
        lambda: (f"{rng.choice(TOPICS)} {rng.choice(LABELS)}", {}),  # several terms
        lambda: (rng.choice("证税房社医户"), {}),  # one character
        lambda: (rng.choice(LABELS), {}),  # a data item
        lambda: (rng.choice(TOPICS)[0] + rng.choice(TOPICS)[1:], {}),  # fuzzy
        lambda: ("信息", {"department": rng.choice(list(departments()))}),
        lambda: (rng.choice(TOPICS), {"sharing_type": "conditional", "status": "published"}),
        lambda: ("", {"department": rng.choice(list(departments()))}),
    ]
    return [kinds[n % len(kinds)]() for n in range(count)]


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=10_000, help="catalogue entries")
    parser.add_argument("--queries", type=int, default=2_000, help="search queries to time")
    parser.add_argument("--checks", type=int, default=1_000_000, help="grant checks to time")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "bench" / "directory")
    args = parser.parse_args()
    path = args.work / f"directory_e{args.entries}_s{args.seed}.sqlite"
    fresh = not path.exists()
    started = time.perf_counter()
    directory = open_directory(f"sqlite:///{path}")
    if fresh:
        try:
            _build(directory, args.entries, args.seed)
        except BaseException:
            directory.close()
            for part in path.parent.glob(f"{path.name}*"):
                part.unlink()
            raise
    built = time.perf_counter() - started
    total = len(directory.entries.all())
    print(
        f"catalogue: {total:,} entries ({'built' if fresh else 'opened'} in {built:.1f} s: {path})"
    )

    rng = random.Random(args.seed)
    started = time.perf_counter()
    directory.search.search("信息")
    print(f"search index: loaded {total:,} entries in {time.perf_counter() - started:.2f} s")
    timings, matched = [], []
    for query, filters in _queries(rng, args.queries):
        started = time.perf_counter()
        result = directory.search.search(query, **filters)
        timings.append((time.perf_counter() - started) * 1000)
        matched.append(result.total)
    print(
        f"search: {len(timings):,} queries over {total:,} entries: "
        f"p50 {_percentile(timings, 0.5):.2f} ms  p95 {_percentile(timings, 0.95):.2f} ms  "
        f"p99 {_percentile(timings, 0.99):.2f} ms  max {max(timings):.2f} ms  "
        f"(median {statistics.median(matched):,.0f} matches; target p99 < 50 ms)"
    )

    grants = directory.requests.list()
    entries = {e.code: e for e in directory.entries.all()}
    day = dt.date.today()
    cases = []
    for n in range(1000):
        grant = grants[rng.randrange(len(grants))]
        items = grant.items or [i.name for i in entries[grant.resource_code].document.data_items]
        if n % 2:  # a refusal: another service item
            cases.append(
                (grant.requester_department, grant.resource_code, frozenset(items), "41019xxxxx")
            )
        else:
            cases.append(
                (
                    grant.requester_department,
                    grant.resource_code,
                    frozenset(items),
                    grant.service_item_code,
                )
            )
    check = directory.grants.check
    check(*cases[0], day)
    allowed = 0
    started = time.perf_counter()
    for n in range(args.checks):
        department, resource, items, item = cases[n % len(cases)]
        allowed += check(department, resource, items, item, day).allowed
    seconds = time.perf_counter() - started
    print(
        f"grant checks: {args.checks:,} in {seconds:.2f} s = {args.checks / seconds:,.0f} checks/s "
        f"over {len(grants):,} grants ({allowed / args.checks:.0%} allowed; target >= 100,000/s)"
    )
    directory.close()


if __name__ == "__main__":
    main()
