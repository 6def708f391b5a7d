"""What `make run` prints: the catalogue, the share requests and the once-only figure."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from directory import labels
from directory.entries import EntryView
from directory.onceonly import MaterialState, OnceOnlyFigure
from directory.service_model import BundleDoc
from directory.sharing import RequestView
from directory.store import Directory
from directory.workdays import local_today


@dataclass(frozen=True)
class Summary:
    on: dt.date
    entries: list[EntryView]
    requests: list[RequestView]
    figure: OnceOnlyFigure
    bundles: list[BundleDoc]


def summarise(directory: Directory, on: dt.date | None = None) -> Summary:
    day = on or local_today()
    return Summary(
        day,
        directory.entries.all(),
        directory.requests.list(today=day),
        directory.once_only(day),
        directory.services.bundles(),
    )


def _pad(text: str, width: int) -> str:
    """Left-justify counting CJK characters as two columns, so tables line up in a terminal."""
    wide = sum(1 for ch in text if ord(ch) > 0x2E80)
    return text + " " * max(width - len(text) - wide, 0)


def _request_line(r: RequestView) -> str:
    state = r.status.value
    if r.status.value == "granted":
        state += f" until {r.valid_until}" if r.valid_until else " (unconditional)"
    elif r.status.value == "pending":
        state += f", {r.age_working_days} working days" + (" OVERDUE" if r.overdue else "")
    return (
        f"  #{r.id:<3} {_pad(r.requester_department, 5)}<- {_pad(r.resource_name, 20)}"
        f"for {r.service_item_code}  {state}"
    )


def format_summary(summary: Summary) -> str:
    lines = [f"Resource catalogue: {len(summary.entries)} entries"]
    for view in summary.entries:
        d = view.document
        lines.append(
            f"  {d.code}  {_pad(d.name, 20)}{_pad(d.provider_name, 30)}"
            f"{_pad(labels.label(d.sharing_type), 12)}{_pad(labels.label(d.status), 8)}"
            f"{len(d.data_items):>3} items  v{view.version}"
        )
    by_status = Counter(r.status.value for r in summary.requests)
    overdue = sum(r.overdue for r in summary.requests)
    counts = ", ".join(f"{n} {s}" for s, n in sorted(by_status.items()))
    lines += ["", f"Share requests: {len(summary.requests)} ({counts}; {overdue} overdue)"]
    lines += [_request_line(r) for r in summary.requests]
    figure = summary.figure
    lines += [
        "",
        f"Once-only figure on {figure.on}: {figure.materials_replaced} of "
        f"{figure.materials_total} materials no longer needed from applicants "
        f"({figure.share:.0%}; {figure.demand_weighted_share:.0%} weighted by demand); "
        f"{figure.form_fields_prefilled} of {figure.form_fields} form fields prefilled",
    ]
    for item in figure.items:
        lines.append(
            f"  {item.code} {_pad(item.name, 28)}{item.materials_replaced}/"
            f"{item.materials_total} materials"
        )
        for material in item.materials:
            if material.state is MaterialState.blocked:
                lines.append(f"      blocked: {material.name}: {material.reason}")
    lines += ["", f"Theme bundles: {len(summary.bundles)}"]
    lines += [f"  {b.code}: {b.name} ({', '.join(b.service_items)})" for b in summary.bundles]
    return "\n".join(lines)
