"""The audit chain on its own: entries chained, read back and verified in memory, with no
database and no key file, as `directory.audit` feeds them from the directory."""

from __future__ import annotations

import dataclasses
import json
from types import SimpleNamespace

from directory.audit_chain import GENESIS, chain_hash, chained, record_of, walk
from directory.audit_witness import SignedHeads
from tests.directory.test_audit import event


def _log(count: int) -> tuple[list[SimpleNamespace], SimpleNamespace, SignedHeads]:
    """`count` entries chained from the genesis, their chain row and a matching signed head."""
    rows, (sequence, last) = chained((0, GENESIS), [event(n) for n in range(count)])
    entries = [SimpleNamespace(**row) for row in rows]
    ends = SimpleNamespace(
        head_sequence=sequence, head_hash=last, anchor_sequence=0, anchor_hash=GENESIS
    )
    return entries, ends, SignedHeads(heads={sequence: last}, last_head=(sequence, last))


def test_each_hash_covers_the_one_before_and_the_canonical_entry() -> None:
    entries, _, _ = _log(3)
    previous = GENESIS
    for number, entry in enumerate(entries, start=1):
        assert entry.sequence == number
        assert entry.hash == chain_hash(previous, entry.entry)
        assert json.loads(entry.entry)["sequence"] == number
        previous = entry.hash


def test_an_entry_reads_back_as_the_event_that_was_chained() -> None:
    entries, _, _ = _log(2)
    record = record_of(entries[1])
    assert {f.name: getattr(record, f.name) for f in dataclasses.fields(event())} == (
        dataclasses.asdict(event(1))
    )
    assert (record.sequence, record.hash) == (2, entries[1].hash)


def test_an_intact_chain_verifies() -> None:
    entries, ends, signed = _log(4)
    assert walk(entries, ends, signed) == (4, None, "")


def test_an_edited_entry_is_named() -> None:
    entries, ends, signed = _log(4)
    entries[2].entry = entries[2].entry.replace("wang.li", "li.wang")
    checked, bad, problem = walk(entries, ends, signed)
    assert (checked, bad) == (2, 3)
    assert "entry #3" in problem and "edited" in problem


def test_reordered_entries_are_named() -> None:
    entries, ends, signed = _log(4)
    entries[1], entries[2] = entries[2], entries[1]
    entries[1].sequence, entries[2].sequence = 2, 3
    checked, bad, problem = walk(entries, ends, signed)
    assert (checked, bad) == (1, 2)
    assert "reordered" in problem
