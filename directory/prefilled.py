"""What each prefill put into an open case's form, so a later correction can be told.

A clerk fills a case's form from a prefill; when the source later certifies a superseding
batch, the form still holds the old value. Keeping, per case, applicant, service item and
form field, the value the prefill returned and the batch it came from lets the exchange
compare it with what the snapshot in service says now (`api.exchange.changes`) and tell the
clerks of the department handling the case. The latest prefill of a form replaces what an
earlier one recorded for it: the form then holds the newer values.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass

from sqlalchemy import Table, bindparam, delete, insert, select

from directory.db import Database
from directory.tables import PrefilledValue

_TABLE: Table = PrefilledValue.__table__  # type: ignore[assignment]  # a Table, typed wider
_COLUMNS = _TABLE.c
# One form's recorded values, by the leading columns of the table's unique key.
_DELETE_FORM = delete(_TABLE).where(
    _COLUMNS.department == bindparam("k_department"),
    _COLUMNS.case_no == bindparam("k_case_no"),
    _COLUMNS.subject_hash == bindparam("k_subject_hash"),
    _COLUMNS.service_item == bindparam("k_service_item"),
)


def _form_key(
    department: str, case_no: str, subject_hash: str, service_item: str
) -> dict[str, str]:
    return {
        "k_department": department,
        "k_case_no": case_no,
        "k_subject_hash": subject_hash,
        "k_service_item": service_item,
    }


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FilledValue:
    """One form field's value as a prefill returned it (text, or None), and its batch."""

    field: str
    resource: str
    item: str
    value: str | None
    masked: bool
    batch: str
    certified_at: dt.datetime


@dataclass(frozen=True)
class FilledForm:
    """One prefill of a case's form: whose case, for which applicant, and what it held."""

    department: str
    user: str
    service_item: str
    case_no: str
    subject_key: str
    subject_hash: str
    recorded_at: dt.datetime
    values: tuple[FilledValue, ...]

    @property
    def form(self) -> tuple[str, str, str]:
        return (self.case_no, self.subject_hash, self.service_item)


class PrefilledForms:
    """Record prefilled forms and read a department's back."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def record(self, forms: Sequence[FilledForm]) -> None:
        """Keep `forms`, each replacing what an earlier prefill of the same form recorded;
        one transaction.

        Core statements run as executemany, not ORM objects: the writer runs once per
        prefill group, and the unit of work's bookkeeping per row cost more than the rows.
        Each form's old values go by equality on the unique key's leading columns, an index
        seek whatever the table holds (an IN over row values seeks the department alone and
        scans its rows, a cost that grew with every prefill ever recorded)."""
        latest = {(f.department, *f.form): f for f in forms}  # the last of a batch wins
        if not latest:
            return
        with self._db.write() as session:
            session.execute(_DELETE_FORM, [_form_key(*key) for key in latest])
            rows = [
                {
                    "department": form.department,
                    "user": form.user,
                    "service_item": form.service_item,
                    "case_no": form.case_no,
                    "subject_key": form.subject_key,
                    "subject_hash": form.subject_hash,
                    "field": value.field,
                    "resource": value.resource,
                    "item": value.item,
                    "value": value.value,
                    "masked": value.masked,
                    "batch": value.batch,
                    "certified_at": value.certified_at,
                    "recorded_at": form.recorded_at,
                }
                for form in latest.values()
                for value in form.values
            ]
            if rows:
                session.execute(insert(_TABLE), rows)

    def forget(self, department: str, forms: Sequence[tuple[str, str, str]]) -> None:
        """Drop the recorded `forms` (case number, subject hash, service item) of
        `department`: a closed case's form can no longer be told anything."""
        keys = list(dict.fromkeys(forms))
        if not keys:
            return
        with self._db.write() as session:
            session.execute(_DELETE_FORM, [_form_key(department, *key) for key in keys])

    def of_department(self, department: str) -> list[FilledForm]:
        """Every form recorded for `department`, in case-number order."""
        forms: dict[tuple[str, str, str], FilledForm] = {}
        values: dict[tuple[str, str, str], list[FilledValue]] = {}
        with self._db.read() as session:
            rows = session.scalars(
                select(PrefilledValue)
                .where(PrefilledValue.department == department)
                .order_by(PrefilledValue.case_no, PrefilledValue.id)
            )
            for row in rows:
                key = (row.case_no, row.subject_hash, row.service_item)
                if key not in forms:
                    forms[key] = FilledForm(
                        department=row.department,
                        user=row.user,
                        service_item=row.service_item,
                        case_no=row.case_no,
                        subject_key=row.subject_key,
                        subject_hash=row.subject_hash,
                        recorded_at=row.recorded_at,
                        values=(),
                    )
                values.setdefault(key, []).append(
                    FilledValue(
                        field=row.field,
                        resource=row.resource,
                        item=row.item,
                        value=row.value,
                        masked=row.masked,
                        batch=row.batch,
                        certified_at=row.certified_at,
                    )
                )
        return [
            FilledForm(**{**form.__dict__, "values": tuple(values[key])})
            for key, form in forms.items()
        ]


class FormRecorder:
    """Records prefilled forms off the request path, in one writer thread that groups what
    queued while it wrote: a prefill is answered without waiting for a write transaction of
    its own (a few milliseconds each, more than the answer), and a burst of prefills costs a
    transaction per group, not per prefill. A reader that must see every form recorded so
    far in this process calls `flush` first."""

    def __init__(self, forms: PrefilledForms) -> None:
        self._forms = forms
        self._queue: queue.SimpleQueue[tuple[list[FilledForm], Future[None]] | None] = (
            queue.SimpleQueue()
        )
        self._thread = threading.Thread(target=self._run, name="form-recorder", daemon=True)
        self._thread.start()

    def submit(self, forms: Sequence[FilledForm]) -> Future[None]:
        """Queue `forms`; the future resolves once they are committed (or fails with why)."""
        done: Future[None] = Future()
        self._queue.put((list(forms), done))
        return done

    def flush(self) -> None:
        """Wait until everything queued before this call is committed."""
        self.submit([]).result()

    def close(self) -> None:
        """Commit what is queued, then stop the writer."""
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            group = [first]
            stop = False
            while True:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                group.append(more)
            try:
                self._forms.record([form for forms, _ in group for form in forms])
            except Exception as error:  # each waiter hears why; nobody waiting is logged
                log.exception("prefilled forms could not be recorded")
                for _, done in group:
                    done.set_exception(error)
            else:
                for _, done in group:
                    done.set_result(None)
            if stop:
                return
