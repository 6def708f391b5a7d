"""Open quarantined rows of a published snapshot, written back to their department's files.

`contracts.returns` knows the department's format and headers; this reads the rows from the
snapshot for it, one file per resource, for `onceonly quarantine export`.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from contracts.model import Contract
from contracts.returns import returned_file
from snapshot.quality import OPEN_ROWS
from snapshot.tables import QUARANTINE


def export_quarantine(
    snapshot: Path, contracts: dict[str, Contract], department: str, out: Path
) -> list[tuple[Path, int]]:
    """One file per resource of `department` with open quarantined rows; (path, rows) each."""
    written: list[tuple[Path, int]] = []
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        exists, params = QUARANTINE.exists_query()
        if not con.execute(exists, params).fetchall()[0][0]:  # nothing certified yet
            return written
        for contract in contracts.values():
            if contract.department != department:
                continue
            rows = con.execute(OPEN_ROWS, [contract.id]).fetchall()
            if rows:
                returned = returned_file(contract, rows)
                out.mkdir(parents=True, exist_ok=True)
                path = out / returned.name
                path.write_bytes(returned.content)
                written.append((path, len(rows)))
    finally:
        con.close()
    return written
