"""Shared test helpers for the directory, the steward API and the catalogue CLI.

The sample directory is built once per test process into a template (a SQLite file, or a
PostgreSQL template database) and copied for each test, so every test gets its own real
database without paying for loading the sample again.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import settings
from directory.actors import Actor, Role
from directory.sample import load_sample
from directory.store import Directory, open_directory
from directory.workdays import CHINA
from tests import postgres

SAMPLE_DAY = dt.date(2026, 11, 20)  # a Friday
ADMIN = Actor("test_admin", Role.admin, "gsc")
_templates: dict[str, Path] = {}


def steward(department: str) -> Actor:
    return Actor(f"{department}_steward", Role.steward, department)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), CHINA)


def sample_template(scratch: Path) -> Path:
    """The sample directory file, loaded once per process (keyed by nothing but the process)."""
    if "sample" not in _templates:
        path = scratch / "sample-template" / "directory.sqlite"
        _load_sample(f"sqlite:///{path}")
        _templates["sample"] = path
    return _templates["sample"]


def _load_sample(url: str) -> None:
    directory = open_directory(url)
    load_sample(directory, SAMPLE_DAY)
    directory.close()


def open_sample(scratch: Path, home: Path) -> Directory:
    """A private copy of the sample directory, opened through the configured URL: on
    PostgreSQL, the database ONCEONLY_DIRECTORY_URL names becomes a copy of the sample's
    template; else the SQLite file at `home`."""
    url = settings.current().directory_url
    if postgres.is_postgresql(url):
        cluster = postgres.started()
        cluster.recreate(url, cluster.template("sample", _load_sample))
        return open_directory()
    template = sample_template(scratch)
    home.mkdir(parents=True, exist_ok=True)
    for part in template.parent.glob(f"{template.name}*"):
        shutil.copy(part, home / part.name)
    return open_directory()


def entry(code: str = "302009/000001", **changes: Any) -> dict[str, Any]:
    """A complete, valid, published conditional entry of market regulation."""
    prefix = code.split("/")[0]
    document: dict[str, Any] = {
        "code": code,
        "name": "食品经营许可信息",
        "classification": {
            "category": prefix[0],
            "subcategory": prefix[1:3],
            "group": prefix[3:6],
            "subgroup": prefix[6:],
        },
        "provider_department": "mr",
        "provider_name": "市场监督管理局",
        "abstract": "市场监管部门核发的食品经营许可证信息",
        "format": "database",
        "data_items": [
            {
                "name": "credit_code",
                "label": "统一社会信用代码",
                "type": "string",
                "length": 18,
                "description": "经营者统一社会信用代码",
                "classification": "public",
                "sharing_type": None,
            },
            {
                "name": "licence_no",
                "label": "许可证编号",
                "type": "string",
                "length": 20,
                "description": "食品经营许可证编号",
                "classification": "public",
                "sharing_type": None,
            },
            {
                "name": "legal_rep_name",
                "label": "法定代表人",
                "type": "string",
                "length": 50,
                "description": "法定代表人姓名",
                "classification": "personal",
                "sharing_type": None,
            },
        ],
        "sharing_type": "conditional",
        "sharing_condition": "仅限办理食品类政务服务事项",
        "legal_basis": "《中华人民共和国食品安全法》",
        "sharing_methods": ["api"],
        "open_to_public": False,
        "open_condition": "",
        "update_cycle": "daily",
        "publish_date": "2026-01-01",
        "related_codes": [],
        "status": "published",
        "replaced_by": None,
        "steward": "mr_steward",
        "contract_id": None,
        "contract_version": None,
    }
    document.update(changes)
    return document


def seeded(directory: Directory, contract_id: str) -> str:
    """The code of the entry seeded from a contract."""
    view = directory.entries.by_contract(contract_id)
    assert view is not None, f"{contract_id} is not seeded"
    return view.code


def bearer(
    directory: Directory, user: str, role: Role | None = None, department: str = ""
) -> dict[str, str]:
    """Authorization headers for `user`, created first when a role is given."""
    if role is not None:
        directory.identity.create_user(user, role, department)
    return {"Authorization": f"Bearer {directory.identity.issue_token(user).token}"}
