"""What a prefill leaves behind: its audit entry, and the values it put into the case's form.

One place for both, so that a single prefill and each row of a bulk prefill are logged and
recorded the same way: the entry names the resources and items served and every refusal;
the form's values are kept (`directory.prefilled`) so that a later correction at the source
can be told to the clerks handling the case (`api.exchange.changes`).
"""

from __future__ import annotations

import datetime as dt

from api.exchange.answers import Prefill
from api.exchange.changes import value_text
from api.reads.request import Exchange
from directory.audit import AuditEvent
from directory.prefilled import FilledForm, FilledValue

PREFILL = "prefill"


def prefill_event(
    ex: Exchange, *, service_item: str, case_no: str, key: str, answer: Prefill
) -> AuditEvent:
    """The audit entry of one prefill: served, partly served or refused, with its reasons."""
    served = [f for f in answer.fields if f.provenance is not None]
    return ex.event(
        PREFILL,
        service_item=service_item,
        case_no=case_no,
        subject=key,
        resources=sorted({f.resource for f in served}),
        items=sorted({f.item for f in served}),
        refused=answer.refused,
    )


def filled_form(
    ex: Exchange, *, service_item: str, case_no: str, key: str, answer: Prefill
) -> FilledForm | None:
    """The values `answer` put into the case's form, or None when it filled nothing."""
    values = tuple(
        FilledValue(
            field=f.field,
            resource=f.resource,
            item=f.item,
            value=value_text(f.value),
            masked=f.masked,
            batch=f.provenance.batch,
            certified_at=f.provenance.certified_at.astimezone(),
        )
        for f in answer.fields
        if f.provenance is not None
    )
    if not values:
        return None
    return FilledForm(
        department=ex.caller.department,
        user=ex.caller.name,
        service_item=service_item,
        case_no=case_no,
        subject_key=key,
        subject_hash=ex.subject_hash(key),
        recorded_at=dt.datetime.now().astimezone(),
        values=values,
    )
