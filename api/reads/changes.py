"""The notices of values changed since prefill, for one clerk's department.

Which forms: those the department's prefills recorded (`directory.prefilled`) whose case is
still open in the case register the snapshot in service publishes (not completed: a closed
case's form is done, and a correction is a new application's business); without a published
register every recorded case counts as open. A closed case's recorded form is dropped when
it is first found closed, so what is compared stays the department's open work. What changed
is decided by `api.exchange.changes`, by running the single prefill again for the clerk who
asks, so the new value is what that clerk may read now. Each notice is a read of the
applicant's data and is logged as one, under the case's number.
"""

from __future__ import annotations

from api.exchange.answers import prefill
from api.exchange.changes import batches_moved, changed_values
from api.models_prefill import ChangeNotice
from api.reads.request import Exchange
from directory.audit import AuditEvent

ACTION = "prefill.changes"


def change_notices(ex: Exchange) -> tuple[list[ChangeNotice], list[AuditEvent]]:
    """The caller's department's open cases with values corrected since their prefill, and
    the audit entries of the notices (one per case and applicant)."""
    ex.forms.flush()  # this process's prefills so far are recorded
    register = ex.case_registers.of(ex.snapshot)
    items = ex.catalogue.current().service_items
    notices: list[ChangeNotice] = []
    events: list[AuditEvent] = []
    closed: list[tuple[str, str, str]] = []
    for form in ex.directory.prefilled.of_department(ex.caller.department):
        if register is not None:
            case = register.find(form.case_no)
            if case is not None and case.completed_at is not None:
                closed.append(form.form)  # nothing more to tell: kept no longer
                continue
            if case is None:
                continue
        item = items.get(form.service_item)
        if item is None or not batches_moved(form, ex.snapshot.rows):
            continue
        answer = prefill(ex.reader(item, form.subject_hash, None), form.subject_key)
        changes = changed_values(form.values, answer)
        if not changes:
            continue
        notices.append(
            ChangeNotice(
                case_no=form.case_no,
                service_item=form.service_item,
                subject=form.subject_key,
                prefilled_by=form.user,
                prefilled_at=form.recorded_at,
                changes=changes,
            )
        )
        events.append(
            ex.event(
                ACTION,
                service_item=form.service_item,
                case_no=form.case_no,
                subject=form.subject_key,
                resources=sorted({c.resource for c in changes}),
                items=sorted({c.item for c in changes}),
                refused=[],
            )
        )
    ex.directory.prefilled.forget(ex.caller.department, closed)
    return notices, events
