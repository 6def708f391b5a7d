"""A bulk prefill: a list of applicants prefilled row by row, as single prefills are.

Each row goes through the single prefill's own steps: the key normalised as the pipelines
normalise it, the read screened (`api.reads.screening.screen`: the case number's format and,
where the register is published, an open or recent case of the department for the item),
the answer computed by `api.exchange.answers.prefill` under the same access decisions, and
one audit entry written by `api.reads.prefilled.prefill_event`, as `POST /v1/prefill` writes
it; the form's values are recorded for "changed since prefill" as a single prefill's are.
What differs is only how the work is grouped: rows are read from the file in batches, each
batch's snapshot look-ups are one vectorised search per resource (`Snapshot.rows_many`), its
audit entries are committed together, and its workbook rows are written before the next
batch is read, so neither the list nor the workbook is ever held whole. The whole job reads
the one snapshot in service when the list was uploaded.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import os
from dataclasses import dataclass
from typing import cast

from api.exchange.answers import Prefill, prefill
from api.exchange.bulk_input import Applicant, ApplicantList, FileProblem
from api.exchange.bulk_workbook import PrefillWorkbook
from api.exchange.cases import CaseRegisters
from api.reads.bulk_jobs import WORKBOOK, BulkJobs, BulkState
from api.reads.prefilled import PREFILL, filled_form, prefill_event
from api.reads.request import Exchange
from api.reads.screening import screen
from contracts.keys import check_subject_key
from directory.audit import AuditEvent
from directory.prefilled import FilledForm
from directory.service_model import ServiceItemView

BATCH = 500
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Refused:
    applicant: Applicant
    key: str  # normalised if it is a key, else as given
    code: str
    reason: str


@dataclass(frozen=True)
class _Filled:
    applicant: Applicant
    key: str
    outcome: str
    answer: Prefill


def run_bulk(
    ex: Exchange,
    item: ServiceItemView,
    applicants: ApplicantList,
    jobs: BulkJobs,
    state: BulkState,
) -> None:
    """Prefill every applicant of the list into the job's workbook, saving progress after
    each batch; a job that fails says why in its state (the rows done stay audited)."""
    # The job's own index of the pinned snapshot's register: requests of a newer snapshot
    # switching the app's index back and forth would re-sort the register each time.
    ex.case_registers = CaseRegisters()
    folder = jobs.path(state.job)
    partial = folder / f"{WORKBOOK}.part"
    book = PrefillWorkbook(partial, item, ex.snapshot.version)
    try:
        rows = applicants.applicants()
        while batch := list(itertools.islice(rows, BATCH)):
            done = _batch(ex, item, batch)
            for row in done:
                if isinstance(row, _Refused):
                    a = row.applicant
                    book.refused(a.row, row.key, a.case_no, row.code, row.reason)
                else:
                    a = row.applicant
                    book.prefilled(a.row, row.key, a.case_no, row.outcome, row.answer)
            state.rows_done += len(done)
            state.served, state.partial, state.refused = (
                book.counts["served"],
                book.counts["partial"],
                book.counts["refused"],
            )
            jobs.save(state)
        book.close(ex.caller.name)
        os.replace(partial, folder / WORKBOOK)
        state.status = "done"
    except FileProblem as problem:  # the file changed under the job
        state.status, state.error = "failed", problem.message
    except Exception:
        log.exception("bulk prefill job %s failed", state.job)
        state.status = "failed"
        state.error = (
            f"the job stopped after {state.rows_done} rows; those rows are prefilled and "
            f"audited. Quote job {state.job} to the centre's administrator"
        )
    state.finished_at = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    jobs.save(state)


def _batch(ex: Exchange, item: ServiceItemView, batch: list[Applicant]) -> list[_Refused | _Filled]:
    """One batch: screened, prefilled, audited and recorded; its rows in file order."""
    item_code = item.item.code
    events: list[AuditEvent] = []
    admitted: list[tuple[int, Applicant, str]] = []
    done: list[_Refused | _Filled | None] = []
    for applicant in batch:
        checked = check_subject_key(applicant.subject)
        if checked.value is None:
            problem = checked.problem
            why = f"{problem.message}; {problem.advice}" if problem else "not an ID number or code"
            code = f"subject_{problem.value if problem else 'invalid'}"
            refused = _Refused(applicant, applicant.subject, code, why)
        elif not applicant.case_no:
            refused = _Refused(
                applicant,
                checked.value,
                "case_no_missing",
                f"row {applicant.row} has no case number: give the number of the case each "
                "applicant's read is for",
            )
        else:
            denied = screen(
                ex, PREFILL, items=[item], case_no=applicant.case_no, subjects=[checked.value]
            )
            if denied is None:
                admitted.append((len(done), applicant, checked.value))
                done.append(None)
                continue
            events += denied.events
            detail = cast(dict[str, str], denied.error.detail)  # `error`'s body
            done.append(_Refused(applicant, checked.value, detail["code"], detail["message"]))
            continue
        events.append(
            ex.event(
                PREFILL,
                service_item=item_code,
                case_no=applicant.case_no or None,
                subject=refused.key if checked.value else None,
                resources=[],
                items=[],
                refused=[],
                reason=f"{refused.code}: {refused.reason}",
            )
        )
        done.append(refused)
    forms: list[FilledForm] = []
    if admitted:
        base = ex.reader(item, None, None)
        keys = [key for _, _, key in admitted]
        prefetched = {
            contract: ex.snapshot.rows_many(contract, keys)
            for contract, wanted in base.needed().items()
            if base.decide(contract, wanted).any_allowed
        }
        for at, applicant, key in admitted:
            answer = prefill(ex.reader(item, ex.subject_hash(key), None, prefetched), key)
            event = prefill_event(
                ex, service_item=item_code, case_no=applicant.case_no, key=key, answer=answer
            )
            events.append(event)
            done[at] = _Filled(applicant, key, event.outcome, answer)
            form = filled_form(
                ex, service_item=item_code, case_no=applicant.case_no, key=key, answer=answer
            )
            if form is not None:
                forms.append(form)
    ex.audit.submit(events).result()  # every row of the batch logged before it is answered
    ex.forms.submit(forms).result()
    return [row for row in done if row is not None]
