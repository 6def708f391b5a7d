"""Test support for the analytics: a published snapshot of case records, real or made up.

`write_snapshot` writes what the certify stage publishes as far as the analytics read it: a
snapshot file with the certified `gsc_cases` history and the manifest naming it.
`synthetic_cases` makes a few service items' cases over many days on the official calendar,
so the whole build (statistics, warnings, forecasts, database) runs in a few seconds.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from snapshot.calendar import OfficialCalendar
from tests.session_builds import built_once

CASE_COLUMNS = (
    "case_no VARCHAR, service_item_code VARCHAR, service_item_name VARCHAR, department VARCHAR, "
    '"window" VARCHAR, applicant_kind VARCHAR, applicant_key VARCHAR, case_type VARCHAR, '
    "promised_days BIGINT, received_at TIMESTAMP, completed_at TIMESTAMP, "
    "_valid_from TIMESTAMP, _valid_to TIMESTAMP"
)
ITEMS = (  # code, name, department, window, promised working days (0: on the spot), per day
    ("4101000008", "居民身份证换领", "公安局", "综合窗口4", 20, 9.0),
    ("4101000011", "户籍证明开具", "公安局", "综合窗口5", 0, 4.0),
    ("4101000001", "企业设立登记", "市场监督管理局", "综合窗口1", 1, 2.5),
    ("4101000007", "药品零售企业经营许可", "市场监督管理局", "综合窗口3", 15, 0.3),
)
WEEKDAY = (1.2, 1.05, 1.0, 0.95, 0.85, 0.8, 0.8)


def case(
    case_no: str,
    received: dt.datetime,
    completed: dt.datetime | None,
    *,
    item: str = "4101000008",
    name: str = "居民身份证换领",
    department: str = "公安局",
    window: str = "综合窗口4",
    case_type: str = "承诺件",
    promised: int | None = 3,
    applicant: str = "410102199310113373",
    superseded: bool = False,
) -> dict[str, Any]:
    return {
        "case_no": case_no,
        "service_item_code": item,
        "service_item_name": name,
        "department": department,
        "window": window,
        "applicant_kind": "自然人",
        "applicant_key": applicant,
        "case_type": case_type,
        "promised_days": promised,
        "received_at": received,
        "completed_at": completed,
        "_valid_from": dt.datetime(2026, 1, 1),
        "_valid_to": dt.datetime(2026, 2, 1) if superseded else None,
    }


def write_snapshot(serving: Path, cases: list[dict[str, Any]], version: int = 1) -> Path:
    serving.mkdir(parents=True, exist_ok=True)
    path = serving / f"pool_v{version}.duckdb"
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute(f"CREATE TABLE gsc_cases ({CASE_COLUMNS})")
        names = [c.split()[0].strip('"') for c in CASE_COLUMNS.split(", ")]
        # One Arrow table, not a statement per case: DuckDB's executemany costs about 2 ms a
        # row, ten seconds for a year and a half of cases.
        con.register("cases", pa.table({n: [row[n] for row in cases] for n in names}))
        columns = ", ".join(f'"{n}"' for n in names)
        con.execute(f"INSERT INTO gsc_cases ({columns}) SELECT {columns} FROM cases")
    manifest = {
        "version": version,
        "file": path.name,
        "published_at": dt.datetime(2026, 11, 21, 6).isoformat(),
        "size_bytes": path.stat().st_size,
        "layout": f"layout_v{version}",
    }
    (serving / "current.json").write_text(json.dumps(manifest), encoding="utf-8")
    return path


def synthetic_cases(days: int, end: dt.date, seed: int = 1) -> list[dict[str, Any]]:
    """Cases of `ITEMS` on the centre's open days up to `end`; the last ones still open."""
    rng = np.random.default_rng(seed)
    calendar = OfficialCalendar()
    first = end - dt.timedelta(days=days - 1)
    rows = []
    for offset in range(days):
        day = first + dt.timedelta(days=offset)
        if not calendar.is_working_day(day):
            continue
        for code, name, department, window, promised, volume in ITEMS:
            for k in range(rng.poisson(volume * WEEKDAY[day.weekday()])):
                received = dt.datetime.combine(day, dt.time(9)) + dt.timedelta(minutes=7 * k)
                if promised:
                    used = int(rng.integers(1, promised + 1)) + (2 if rng.random() < 0.05 else 0)
                    done_day = calendar.add_working_days(day, used)
                    completed = dt.datetime.combine(done_day, dt.time(15))
                else:
                    completed = received + dt.timedelta(minutes=30)
                rows.append(
                    case(
                        f"{code}{day:%Y%m%d}{k:03d}",
                        received,
                        completed if completed.date() <= end else None,
                        item=code,
                        name=name,
                        department=department,
                        window=window,
                        case_type="承诺件" if promised else "即办件",
                        promised=promised,
                        applicant=f"41010219900101{int(rng.integers(0, 500)):04d}",
                    )
                )
    return rows


SAMPLE_END = dt.date(2026, 11, 20)
AS_OF = dt.date(2026, 11, 23)  # a Monday: judged after the weekend that follows the data
TEST_KEY = "test-pseudonym-key-0123456789"


def built_serving(scratch: Path) -> Path:
    """A serving folder with a synthetic snapshot and its analytics, built once per test
    session (`built_once`); `scratch` is the process's pytest base temporary folder."""

    def build(home: Path) -> dict[str, Any]:
        import pytest

        from pipelines.analytics.build import build_all
        from snapshot.analytics.config import AnalyticsSettings

        write_snapshot(home / "serving", synthetic_cases(520, SAMPLE_END))
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("ONCEONLY_HOME", str(home))
            patch.setenv("ONCEONLY_PSEUDONYM_KEY", TEST_KEY)
            build_all(home / "serving", home / "analytics", AnalyticsSettings(), AS_OF)
        return {}

    home, _ = built_once(scratch, "analytics-template", build)
    return home / "serving"


def install_serving(scratch: Path, home: Path) -> Path:
    """A private copy of the built serving folder at `home`/serving."""
    import shutil

    target = home / "serving"
    shutil.copytree(built_serving(scratch), target, dirs_exist_ok=True)
    return target
