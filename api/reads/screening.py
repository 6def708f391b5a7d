"""Admission of a read, before anything is read: who may ask, for which service item, under
which case, about which subject.

Subject data goes to clerks only (`screen_role`: one rule and one status, 403, for every
route that returns or confirms subject data), for a service item their own department
handles, under a case number in the centre's format that names an open or recent case of the
department for that item where the case register is published (`screen`). A refusal here is
a `Denied`: its audit entries are written (one per subject named, so a refused probe shows in
each citizen's who-read-my-data), then it is answered 403 or 422.

`admit` is the preamble the single-item reads share (lookup, prefill, extract): screen the
role, find the service item (404), normalise the subject key (422), screen the read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from fastapi import status

from api.exchange.access import RefusalCode, department_refusal, role_refusal
from api.exchange.cases import CaseProblem, format_problem, register_problem
from api.exchange.catalogue import CatalogueCache
from api.reads.request import Denied, Exchange, error
from contracts.keys import check_subject_key
from directory.departments import departments
from directory.service_model import ServiceItemView
from directory.workdays import local_today


def normalise(raw: str) -> tuple[str, str]:
    """The subject key normalised as the pipelines normalise it, and its kind; else 422."""
    checked = check_subject_key(raw)
    if checked.value is None or checked.kind is None:
        problem = checked.problem
        raise error(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"subject_{problem.value if problem else 'invalid'}",
            f"{problem.message}; {problem.advice}" if problem else "not a key",
        )
    return checked.value, checked.kind


def find_service_item(catalogue: CatalogueCache, code: str) -> ServiceItemView:
    """The service item `code` of the catalogue in service; else 404."""
    item = catalogue.current().service_items.get(code)
    if item is None:
        raise error(
            status.HTTP_404_NOT_FOUND,
            "unknown_service_item",
            f"no service item {code}; list them at /v1/directory/services",
        )
    return item


def _denied(
    ex: Exchange,
    action: str,
    status_code: int,
    code: str,
    message: str,
    *,
    service_item: str | None,
    case_no: str | None,
    subjects: Sequence[str | None],
) -> Denied:
    """One refused entry per subject named, or one without a subject."""
    events = tuple(
        ex.event(
            action,
            service_item=service_item,
            case_no=case_no,
            subject=subject,
            resources=[],
            items=[],
            refused=[],
            reason=f"{code}: {message}",
        )
        for subject in (list(dict.fromkeys(subjects)) or [None])
    )
    return Denied(events, error(status_code, code, message))


def screen_role(
    ex: Exchange,
    action: str,
    *,
    service_item: str | None,
    case_no: str | None,
    subjects: Sequence[str],
) -> Denied | None:
    """Refuse every role but the clerk's, before the request is looked at further;
    `subjects` as given (the ones that are keys are logged, normalised)."""
    barred = role_refusal(ex.caller.role)
    if barred is None:
        return None
    code, why = barred
    return _denied(
        ex,
        action,
        status.HTTP_403_FORBIDDEN,
        code.value,
        why,
        service_item=service_item,
        case_no=case_no,
        subjects=[k for k in (check_subject_key(raw).value for raw in subjects) if k],
    )


def screen(
    ex: Exchange,
    action: str,
    *,
    items: Sequence[ServiceItemView],
    case_no: str,
    subjects: Sequence[str],
    as_of: dt.datetime | None = None,
    service_item: str | None = None,
) -> Denied | None:
    """Admit a clerk's read for `items` under `case_no`, or say why not: the service item is
    one the clerk's department handles (for a bundle: at least one of them, the others are
    refused in the answer), and the case number is in the centre's format and, where the
    case register is published, names an open or recent case of the department for that
    item. `subjects` are normalised keys, for the audit entries."""
    label = service_item or ",".join(i.item.code for i in items)
    handled = [i for i in items if i.item.department == ex.caller.department]
    if not handled:
        return department_denied(ex, action, items, label, case_no, subjects)
    problem = case_problem(
        ex, case_no, frozenset(i.item.code for i in handled), as_of.date() if as_of else None
    )
    if problem is None:
        return None
    return _denied(
        ex,
        action,
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        problem.code,
        problem.message,
        service_item=label,
        case_no=case_no,
        subjects=subjects,
    )


def department_denied(
    ex: Exchange,
    action: str,
    items: Sequence[ServiceItemView],
    label: str,
    case_no: str | None,
    subjects: Sequence[str],
) -> Denied:
    """The refusal of a read for `items`, none of which the clerk's department handles."""
    code, why = department_refusal(
        department=ex.caller.department,
        service_item=label,
        handled_by="/".join(sorted({i.item.department for i in items})),
    ) or (RefusalCode.not_handled, "")
    return _denied(
        ex,
        action,
        status.HTTP_403_FORBIDDEN,
        code.value,
        why,
        service_item=label,
        case_no=case_no,
        subjects=subjects,
    )


def case_problem(
    ex: Exchange, case_no: str, service_items: frozenset[str], on: dt.date | None
) -> CaseProblem | None:
    """Why `case_no` does not justify a read for `service_items` on day `on`, or None."""
    problem = format_problem(case_no, ex.settings.case_number_pattern)
    if problem is not None:
        return problem
    register = ex.case_registers.of(ex.snapshot)
    if register is None:  # the centre's approval system delivers no register
        return None
    known = departments().get(ex.caller.department)
    return register_problem(
        register,
        case_no,
        service_items=service_items,
        department=ex.caller.department,
        department_name=known.name if known else ex.caller.department,
        on=on or local_today(),
        recent_days=ex.settings.case_recent_days,
    )


@dataclass(frozen=True)
class Admitted:
    """A single-item read let through: its service item, and the subject key normalised."""

    item: ServiceItemView
    key: str
    kind: str


def admission(
    ex: Exchange,
    action: str,
    *,
    service_item: str,
    subject: str,
    case_no: str,
    as_of: dt.datetime | None = None,
) -> Admitted | Denied:
    """The preamble of a single-item read, in the order its refusals are decided."""
    if denied := screen_role(
        ex, action, service_item=service_item, case_no=case_no, subjects=[subject]
    ):
        return denied
    item = find_service_item(ex.catalogue, service_item)
    key, kind = normalise(subject)
    if denied := screen(ex, action, items=[item], case_no=case_no, subjects=[key], as_of=as_of):
        return denied
    return Admitted(item, key, kind)


async def admit(
    ex: Exchange,
    action: str,
    *,
    service_item: str,
    subject: str,
    case_no: str,
    as_of: dt.datetime | None = None,
) -> Admitted:
    """`admission` for an async route: a refusal is logged (awaited), then raised."""
    admitted = admission(
        ex, action, service_item=service_item, subject=subject, case_no=case_no, as_of=as_of
    )
    if isinstance(admitted, Denied):
        await ex.refuse(admitted)
    return admitted


def admit_now(
    ex: Exchange, action: str, *, service_item: str, subject: str, case_no: str
) -> Admitted:
    """`admission` for a plain `def` route (in a worker thread): a refusal is logged, then
    raised."""
    admitted = admission(ex, action, service_item=service_item, subject=subject, case_no=case_no)
    if isinstance(admitted, Denied):
        ex.refuse_now(admitted)
    return admitted
