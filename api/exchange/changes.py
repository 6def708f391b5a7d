"""Changed since prefill: which values of a case's form a later batch corrected at the source.

A prefill put values into a case's form (`directory.prefilled` keeps them, with their batch);
the source may later certify a superseding batch that corrects one. The comparison is made
when the clerk asks (on read), against the snapshot in service, rather than when a batch is
published: publishing is the pipelines' and knows nothing of the exchange's access rules,
while a comparison on read runs the prefill again under the rules in force for the clerk who
asks (a withdrawn grant shows no new value), always agrees with the snapshot the clerk's
next prefill would read, and holds on every API host alike, with nothing to keep in step.
Forms whose sources published no new batch are skipped before any prefill is run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from api.exchange.answers import Prefill
from api.models_prefill import ChangedValue
from directory.prefilled import FilledForm, FilledValue

Rows = Callable[[str, str], list[dict[str, Any]]]  # (resource, subject key) -> current rows


def value_text(value: Any) -> str | None:
    """A prefilled value as the form holds it: text (dates in ISO form), or None."""
    if value is None:
        return None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def batches_moved(form: FilledForm, rows: Rows) -> bool:
    """Whether any resource the form was filled from now has its latest record from another
    batch (a cheap test before the prefill is run again)."""
    recorded: dict[str, set[str]] = {}
    for value in form.values:
        recorded.setdefault(value.resource, set()).add(value.batch)
    for resource, batches in recorded.items():
        current = rows(resource, form.subject_key)
        if current and str(max(current, key=lambda r: r["_valid_from"])["_batch"]) not in batches:
            return True
    return False


def changed_values(recorded: Sequence[FilledValue], answer: Prefill) -> list[ChangedValue]:
    """The recorded values that `answer` (the prefill run again now) gives from a newer batch
    with another value; a value no longer served, or served again unchanged, is no notice."""
    now = {f.field: f for f in answer.fields if f.provenance is not None}
    changes = []
    for old in recorded:
        new = now.get(old.field)
        if new is None or new.provenance is None or new.provenance.batch == old.batch:
            continue
        certified = new.provenance.certified_at.astimezone()
        if value_text(new.value) == old.value or certified <= old.certified_at:
            continue
        changes.append(
            ChangedValue(
                field=old.field,
                resource=old.resource,
                item=old.item,
                old_value=old.value,
                new_value=new.value,
                old_batch=old.batch,
                new_batch=new.provenance.batch,
                old_certified_at=old.certified_at,
                new_certified_at=certified,
                masked=new.masked,
            )
        )
    return changes
