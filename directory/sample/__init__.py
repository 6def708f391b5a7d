"""A realistic sample directory: the contracts' entries completed and published, the sample
city's service items with their materials and form fields mapped to shared data, theme
bundles, stewards, and share requests in every state of their lifecycle.

`load_sample` is idempotent: run twice, the second run changes nothing and returns the same
summary, so `make run` can call it on every start.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from directory.actors import Actor, Role
from directory.departments import departments
from directory.errors import NotFound
from directory.model import Status
from directory.sharing import RequestStatus
from directory.store import Directory
from directory.summary import Summary, summarise
from directory.workdays import CHINA, add_working_days, local_today

SAMPLE_DIR = Path(__file__).parent
ADMIN = Actor("centre_admin", Role.admin, "gsc")


@cache
def _yaml(name: str) -> Any:
    # The C loader when PyYAML has it: the sample's files are read on every `make run`.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load((SAMPLE_DIR / name).read_text(encoding="utf-8"), Loader=loader)


def steward(department: str) -> Actor:
    """The sample steward of a department (a user named `<department>_steward`)."""
    return Actor(f"{department}_steward", Role.steward, department)


def load_sample(directory: Directory, today: dt.date | None = None) -> Summary:
    """Load the sample into `directory` unless it is there already; return the summary."""
    day = today or local_today()
    directory.sync_contracts()
    codes = _codes(directory)
    _users(directory)
    _publish_entries(directory, codes)
    if not directory.services.items():
        _service_items(directory, codes)
        _bundles(directory)
        _requests(directory, codes, day)
    directory.requests.expire_due(_at(day, 8))
    return summarise(directory, day)


def _codes(directory: Directory) -> dict[str, str]:
    """Contract id -> the resource code its entry was seeded under."""
    codes = {}
    for contract_id in _yaml("entries.yaml"):
        view = directory.entries.by_contract(contract_id)
        if view is None:
            raise NotFound(f"the sample needs contract {contract_id}, which is not seeded")
        codes[contract_id] = view.code
    return codes


def _users(directory: Directory) -> None:
    existing = {u.name for u in directory.identity.list_users()}
    wanted = [(ADMIN.name, Role.admin, "gsc", "政务服务中心管理员")]
    wanted += [
        (steward(d).name, Role.steward, d, f"{dept.name}数据管理员")
        for d, dept in departments().items()
    ]
    for name, role, department, display in wanted:
        if name not in existing:
            directory.identity.create_user(name, role, department, display)


def _publish_entries(directory: Directory, codes: dict[str, str]) -> None:
    for contract_id, extra in _yaml("entries.yaml").items():
        view = directory.entries.get(codes[contract_id])
        if view.document.status is not Status.draft:
            continue
        fields = {k: v for k, v in extra.items() if k != "related"}
        fields["related_codes"] = [codes[c] for c in extra.get("related", [])]
        fields["status"] = Status.published.value
        directory.entries.patch(
            view.code,
            fields,
            view.version,
            steward(view.document.provider_department),
            "补充摘要、法律依据和共享方式，审核后发布",
        )


def _service_items(directory: Directory, codes: dict[str, str]) -> None:
    for raw in _yaml("service_items.yaml")["items"]:
        item = {
            "code": raw["code"],
            "name": raw["name"],
            "department": raw["department"],
            "window": raw["window"],
            "kind": raw["kind"],
            "promised_working_days": raw["promised_working_days"],
            "subject": raw["subject"],
            "base_daily_volume": raw["base_daily_volume"],
        }
        directory.services.put_item(item, steward(raw["department"]))
    for code, mapping in _yaml("materials.yaml").items():
        materials = [
            {
                "name": m["name"],
                "required": m.get("required", True),
                "replaced_by": [
                    {"resource": codes[contract], "item": item}
                    for contract, items in m.get("replaced_by", {}).items()
                    for item in items
                ],
            }
            for m in mapping["materials"]
        ]
        form_fields = []
        for name, source in mapping.get("form_fields", {}).items():
            contract, item = source.split(".")
            form_fields.append(
                {"name": name, "source": {"resource": codes[contract], "item": item}}
            )
        department = directory.services.get(code).item.department
        directory.services.set_mapping(
            code, {"materials": materials, "form_fields": form_fields}, steward(department)
        )


def _bundles(directory: Directory) -> None:
    for bundle in _yaml("bundles.yaml"):
        directory.services.put_bundle(bundle, steward("gsc"))


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, 30), CHINA)


def _needs(directory: Directory) -> list[tuple[str, str, str, list[str]]]:
    """(department, resource code, service item, items) the mapped items read from others."""
    needs: dict[tuple[str, str, str], set[str]] = {}
    for view in directory.services.items():
        refs = [r for m in view.mapping.materials for r in m.replaced_by]
        refs += [f.source for f in view.mapping.form_fields]
        for ref in refs:
            provider = directory.entries.get(ref.resource).document.provider_department
            if provider != view.item.department:
                key = (view.item.department, ref.resource, view.item.code)
                needs.setdefault(key, set()).add(ref.item)
    return [(d, r, s, sorted(items)) for (d, r, s), items in sorted(needs.items())]


def _requests(directory: Directory, codes: dict[str, str], today: dt.date) -> None:
    plan = _yaml("requests.yaml")
    default = plan["default"]
    exceptions = {(e["service_item"], codes[e["resource"]]): e for e in plan["exceptions"]}
    requests = directory.requests
    for department, resource, service_item, items in _needs(directory):
        rule = {**default, **exceptions.get((service_item, resource), {})}
        outcome = rule.get("outcome", "approved")
        asked = add_working_days(today, -rule["submitted_working_days_ago"])
        answered = add_working_days(asked, rule["answered_after_working_days"])
        provider = steward(directory.entries.get(resource).document.provider_department)
        request = requests.submit(
            steward(department),
            department,
            resource,
            service_item,
            rule["purpose"],
            rule["legal_basis"],
            None if rule.get("whole_resource") else items,
            at=_at(asked, 9),
        )
        if request.status is not RequestStatus.pending or outcome == "pending":
            continue
        if outcome == "rejected":
            requests.reject(request.id, provider, rule["reason"], at=_at(answered, 15))
            continue
        requests.approve(
            request.id,
            provider,
            answered + dt.timedelta(days=rule["valid_days"]),
            rule["daily_quota"],
            at=_at(answered, 15),
        )
        if outcome == "revoked":
            revoked = add_working_days(today, -5)
            requests.revoke(request.id, provider, rule["reason"], at=_at(revoked, 10))
        elif outcome == "expired_then_renewed":
            requests.expire_due(_at(today, 8))
            renewed = add_working_days(today, -2)
            requests.submit(
                steward(department),
                department,
                resource,
                service_item,
                rule["purpose"],
                rule["legal_basis"],
                items,
                at=_at(renewed, 9),
            )
