"""What someone with write access to the directory database (and not to the keys folder) can
do to the audit log, done in SQL on the real database: shared by the directory, API and command
line tests of `verify`."""

from __future__ import annotations

import json

from directory.audit_chain import GENESIS, chain_hash
from directory.store import Directory
from tests.directory.raw_sql import connect


def truncate_tail(directory: Directory, keep: int) -> None:
    """Delete every entry after #`keep` and move the chain's head back to #`keep`, so the
    chain alone still verifies."""
    with connect(directory) as connection:
        (kept_hash,) = connection.execute(
            "SELECT hash FROM audit_entries WHERE sequence = ?", (keep,)
        ).fetchone()
        connection.execute("DELETE FROM audit_entries WHERE sequence > ?", (keep,))
        connection.execute(
            "UPDATE audit_chain SET head_sequence = ?, head_hash = ?", (keep, kept_hash)
        )


def rewrite_from(directory: Directory, sequence: int, **changes: str) -> None:
    """Edit entry #`sequence` (its JSON and the columns repeating it), recompute its hash and
    every later one, and move the chain's head to the new last hash."""
    columns = {"user": "user_name", "department": "department", "outcome": "outcome"}
    with connect(directory) as connection:
        before = connection.execute(
            "SELECT hash FROM audit_entries WHERE sequence = ?", (sequence - 1,)
        ).fetchone()
        previous = before[0] if before else GENESIS
        rows = connection.execute(
            "SELECT sequence, entry FROM audit_entries WHERE sequence >= ? ORDER BY sequence",
            (sequence,),
        ).fetchall()
        for number, text in rows:
            if number == sequence:
                document = {**json.loads(text), **changes}
                text = json.dumps(
                    document, ensure_ascii=False, sort_keys=True, separators=(",", ":")
                )
                for name, value in changes.items():
                    connection.execute(
                        f"UPDATE audit_entries SET {columns[name]} = ? WHERE sequence = ?",
                        (value, number),
                    )
            previous = chain_hash(previous, text)
            connection.execute(
                "UPDATE audit_entries SET entry = ?, hash = ? WHERE sequence = ?",
                (text, previous, number),
            )
        connection.execute(
            "UPDATE audit_chain SET head_sequence = ?, head_hash = ?", (rows[-1][0], previous)
        )


def prune_unsigned(directory: Directory, last: int) -> None:
    """Delete entries up to #`last` and record them as pruned, as `prune` would, but without
    the signature a real prune leaves."""
    with connect(directory) as connection:
        (anchor_hash,) = connection.execute(
            "SELECT hash FROM audit_entries WHERE sequence = ?", (last,)
        ).fetchone()
        connection.execute("DELETE FROM audit_entries WHERE sequence <= ?", (last,))
        connection.execute(
            "UPDATE audit_chain SET anchor_sequence = ?, anchor_hash = ?", (last, anchor_hash)
        )
