"""Case numbers: a read names a real case of the caller's department, in the centre's format.

A subject read is justified by the case it serves (办件), so the case number is what the audit
log, the citizen's who-read-my-data page and an inspector follow. A free-text case number
proves nothing and, with a line break or a right-to-left override in it, forges lines in the
log's listings; so the number must match the centre's format (a setting), may hold no control
or format character whatever that pattern says, and, where the centre's approval system
delivers its case register (`gsc_cases`) to the pool, must name a case of the caller's
department for the service item that is open, or was completed recently.

The register is read from the published snapshot, never from the pool: its key-lookup layout
is sorted by applicant, so an index by case number is built once per snapshot version.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import unicodedata
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from snapshot.reader import Snapshot

CASE_REGISTER = "gsc_cases"
# Characters that reorder, hide or break text: no case number may hold one (Cc control,
# Cf format such as U+202E RIGHT-TO-LEFT OVERRIDE or U+200B ZERO WIDTH SPACE, Zl/Zp separators,
# and Cs, lone surrogates, which no text encoding can write).
FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
PRINTABLE_LIMIT = 80


@dataclass(frozen=True)
class CaseProblem:
    """Why a case number is refused; `code` and `message` are the error body's."""

    code: str
    message: str


def printable(case_no: str) -> str:
    """The case number as it may appear in a log line or an error message: escaped (so no
    line break, control or direction character takes effect) and cut to a readable length."""
    escaped = ascii(case_no)
    return escaped if len(escaped) <= PRINTABLE_LIMIT else escaped[: PRINTABLE_LIMIT - 3] + "..."


def format_problem(case_no: str, pattern: re.Pattern[str]) -> CaseProblem | None:
    """Why `case_no` is not a case number in the centre's format, or None."""
    hidden = [c for c in case_no if unicodedata.category(c) in FORBIDDEN_CATEGORIES]
    if hidden:
        names = ", ".join(sorted({f"U+{ord(c):04X}" for c in hidden}))
        return CaseProblem(
            "case_no_invalid",
            f"case number {printable(case_no)} holds control or invisible characters "
            f"({names}); type the case number exactly as the approval system shows it",
        )
    if pattern.fullmatch(case_no) is None:
        return CaseProblem(
            "case_no_invalid",
            f"case number {printable(case_no)} is not in the centre's case-number format "
            f"({pattern.pattern}); type the case number exactly as the approval system shows it",
        )
    return None


@dataclass(frozen=True)
class Case:
    case_no: str
    service_item: str
    department: str  # as the approval system records it: the department's name
    received_at: dt.datetime | None
    completed_at: dt.datetime | None


class CaseRegister:
    """The register's cases by case number: a sorted fixed-width key array for binary search
    over the snapshot's memory-mapped table."""

    def __init__(self, table: pa.Table) -> None:
        self._table = table
        column = pc.cast(table.column("case_no").fill_null(""), pa.binary())
        numbers = np.array(column.to_numpy(zero_copy_only=False), dtype=bytes)
        self._order = np.argsort(numbers, kind="stable")
        self._numbers = numbers[self._order]

    def find(self, case_no: str) -> Case | None:
        encoded = case_no.encode("utf-8", "replace")
        if not len(self._numbers) or len(encoded) > self._numbers.dtype.itemsize:
            return None
        probe = np.array(encoded, dtype=self._numbers.dtype)
        at = int(np.searchsorted(self._numbers, probe, side="left"))
        if at == len(self._numbers) or self._numbers[at] != probe:
            return None
        row = int(self._order[at])
        value = self._value
        return Case(
            case_no=case_no,
            service_item=str(value("service_item_code", row)),
            department=str(value("department", row) or ""),
            received_at=_moment(value("received_at", row)),
            completed_at=_moment(value("completed_at", row)),
        )

    def _value(self, column: str, row: int) -> Any:
        return self._table.column(column)[row].as_py()


def _moment(value: Any) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


class CaseRegisters:
    """The case register of the snapshot in service, indexed once per snapshot version; the
    app holds one (`api.lifespan`)."""

    def __init__(self) -> None:
        self._indexed: dict[tuple[str, int], CaseRegister | None] = {}
        self._lock = threading.Lock()

    def cached(self, snapshot: Snapshot) -> CaseRegister | bool | None:
        """The snapshot's register if already indexed (None: the snapshot has none), else
        False."""
        return self._indexed.get((str(snapshot.path), snapshot.version), False)

    def of(self, snapshot: Snapshot) -> CaseRegister | None:
        """The case register of `snapshot`, indexed on first use (in a worker thread: it
        sorts every case), or None when the centre's approval system delivers none."""
        key = (str(snapshot.path), snapshot.version)
        with self._lock:
            if key not in self._indexed:
                table = snapshot.tables.get(CASE_REGISTER)
                # Keep the newest version's only: a snapshot in service is replaced, not kept.
                self._indexed.clear()
                self._indexed[key] = CaseRegister(table) if table is not None else None
            return self._indexed[key]


def register_problem(
    register: CaseRegister,
    case_no: str,
    *,
    service_items: frozenset[str],
    department: str,
    department_name: str,
    on: dt.date,
    recent_days: int,
) -> CaseProblem | None:
    """Why `case_no` does not name an open or recent case of `department` for one of
    `service_items` on day `on`, or None."""
    case = register.find(case_no)
    items = "/".join(sorted(service_items))
    if case is None:
        return CaseProblem(
            "case_not_found",
            f"case {case_no} is not in the centre's case register; read under the number of "
            f"the case you are handling for service item {items}",
        )
    if case.service_item not in service_items or case.department not in (
        department,
        department_name,
    ):
        return CaseProblem(
            "case_not_yours",
            f"case {case_no} is not a case of {department} for service item {items}; read "
            "under the number of the case you are handling",
        )
    if case.received_at is not None and case.received_at.date() > on:
        return CaseProblem(
            "case_not_open",
            f"case {case_no} was received on {case.received_at.date()}, after {on}; read under "
            "the number of a case received by then",
        )
    if case.completed_at is not None and case.completed_at.date() < on - dt.timedelta(
        days=recent_days
    ):
        return CaseProblem(
            "case_closed",
            f"case {case_no} was completed on {case.completed_at.date()}, more than "
            f"{recent_days} days before {on}; a closed case is reviewed with as_of at its date, "
            "a new application needs a new case number",
        )
    return None
