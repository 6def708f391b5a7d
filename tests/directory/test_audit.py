"""The audit log on a real SQLite file: appends and filtered reads, keyed subject hashes, the
hash chain catching entries tampered with in SQL behind the log's back, retention pruning
that keeps the chain verifiable, concurrent appends from threads and another process. (Append
throughput is measured by `bench/audit.py`.)"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from directory.actors import Actor, Role
from directory.audit import AuditEvent
from directory.audit_chain import GENESIS, chain_hash
from directory.errors import InvalidState, ValidationFailed
from directory.store import Directory, open_directory
from directory.workdays import CHINA
from tests.directory.audit_attacks import prune_unsigned, rewrite_from, truncate_tail
from tests.directory.raw_sql import connect, stores

# How long a writer process may take before it is called hung: an upper bound, not a speed
# (a child starting Python on a busy 2-core machine can take a minute).
HUNG_SECONDS = 600

PERSON = "11010519491231002X"
AT = dt.datetime(2026, 11, 20, 10, tzinfo=CHINA)
ROOT = Path(__file__).resolve().parents[2]
FIELDS = dataclasses.fields(AuditEvent)


def event(n: int = 0, **changes: Any) -> AuditEvent:
    base = AuditEvent(
        at=AT + dt.timedelta(minutes=n),
        user="wang.li",
        department="mr",
        role="clerk",
        action="prefill",
        outcome="served",
        service_item="4101000001",
        case_no=f"GSC-2026-{n:06d}",
        subject_hash="a" * 64,
        resources=("ps_population",),
        items=("name", "id_number"),
        request_id=f"req-{n}",
    )
    return dataclasses.replace(base, **changes)


def sql(directory: Directory, *statements: str) -> None:
    """Change the database directly, as someone with access to it could."""
    with connect(directory) as connection:
        for statement in statements:
            connection.execute(statement)


def test_append_and_read_back_with_filters(directory: Directory) -> None:
    log = directory.audit
    first = log.append(event(0))
    rest = log.append_many(
        [
            event(1, user="li.na", department="ps", outcome="refused", items=(), reason="no"),
            event(2, action="subject.lookup", subject_hash="b" * 64),
            event(3, outcome="partial", reason="hpf_account: no grant"),
        ]
    )
    assert (first, rest) == (1, [2, 3, 4])
    everything = log.entries()
    assert [e.sequence for e in everything] == [4, 3, 2, 1]
    oldest = everything[-1]
    assert AuditEvent(**{f.name: getattr(oldest, f.name) for f in FIELDS}) == event(0)
    assert oldest.at == AT and oldest.items == ("name", "id_number")
    assert [e.sequence for e in log.entries(user="li.na")] == [2]
    assert [e.sequence for e in log.entries(department="mr")] == [4, 3, 1]
    assert [e.sequence for e in log.entries(subject_hash="b" * 64)] == [3]
    assert [e.sequence for e in log.entries(action="prefill", outcome="partial")] == [4]
    window = log.entries(since=AT + dt.timedelta(minutes=1), until=AT + dt.timedelta(minutes=3))
    assert [e.sequence for e in window] == [3, 2]
    assert [e.sequence for e in log.entries(limit=2, offset=1)] == [3, 2]


def test_reads_of_a_subject_are_the_served_reads(directory: Directory) -> None:
    log = directory.audit
    mine = log.subject_hash(PERSON)
    log.append_many(
        [
            event(0, subject_hash=mine),
            event(1, subject_hash=mine, outcome="refused", items=(), reason="no grant"),
            event(2, subject_hash=mine, action="objection.file", items=()),
            event(3, subject_hash="b" * 64),
            event(4, subject_hash=mine, outcome="partial", department="hrss"),
        ]
    )
    reads = log.reads_of(mine)
    assert [(r.sequence, r.department, r.outcome) for r in reads] == [
        (5, "hrss", "partial"),
        (1, "mr", "served"),
    ]


def test_subject_hash_is_keyed_and_normalised(
    directory: Directory, onceonly_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spellings = [PERSON, PERSON.lower(), "110105491231002", "１１０１０５１９４９１２３１００２Ｘ"]
    hashes = {directory.audit.subject_hash(s) for s in spellings}
    assert len(hashes) == 1 and len(next(iter(hashes))) == 64
    key_file = onceonly_home / "keys" / "audit.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    again = open_directory()
    assert again.audit.subject_hash(PERSON) in hashes  # the stored key is reused
    again.close()
    monkeypatch.setenv("ONCEONLY_AUDIT_KEY", "a key the centre configures")
    configured = open_directory()
    assert configured.audit.subject_hash(PERSON) not in hashes
    configured.audit.append(event(0, subject_hash=configured.audit.subject_hash(PERSON)))
    configured.close()
    assert not stores(directory, PERSON)


def test_events_are_checked_before_anything_is_written(directory: Directory) -> None:
    with pytest.raises(ValidationFailed) as failed:
        directory.audit.append_many(
            [event(0), event(1, at=dt.datetime(2026, 11, 20), outcome="maybe", user="")]
        )
    assert [p.field for p in failed.value.problems] == [
        "events[1].at",
        "events[1].outcome",
        "events[1].user",
    ]
    assert directory.audit.entries() == []
    assert directory.audit.verify().head_sequence == 0


def _rehash(directory: Directory, sequence: int, **changes: str) -> str:
    """SQL that rewrites entry `sequence` with `changes` and a hash recomputed from the entry
    before it: an editor who knows how the chain is built."""
    with connect(directory) as connection:
        (text,) = connection.execute(
            "SELECT entry FROM audit_entries WHERE sequence = ?", (sequence,)
        ).fetchone()
        previous = connection.execute(
            "SELECT hash FROM audit_entries WHERE sequence = ?", (sequence - 1,)
        ).fetchone()
    document = {**json.loads(text), **changes}
    edited = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    new_hash = chain_hash(previous[0] if previous else GENESIS, edited)
    columns = ", ".join(f"{'user_name' if k == 'user' else k} = '{v}'" for k, v in changes.items())
    return (
        f"UPDATE audit_entries SET entry = '{edited}', hash = '{new_hash}', {columns} "
        f"WHERE sequence = {sequence}"
    )


def _swap(first: int, second: int) -> list[str]:
    return [
        f"UPDATE audit_entries SET sequence = -1 WHERE sequence = {first}",
        f"UPDATE audit_entries SET sequence = {first} WHERE sequence = {second}",
        f"UPDATE audit_entries SET sequence = {second} WHERE sequence = -1",
    ]


def _swap_renumbered(directory: Directory) -> list[str]:
    """Swap entries 2 and 4 whole, renumbering their JSON too, so only the chain can tell."""
    columns = "at, user_name, department, action, outcome, subject_hash, entry, hash"
    with connect(directory) as connection:
        rows = {
            row[0]: row[1:]
            for row in connection.execute(
                f"SELECT sequence, {columns} FROM audit_entries WHERE sequence IN (2, 4)"
            )
        }
    statements = []
    for target, source in ((2, 4), (4, 2)):
        *values, text, digest = rows[source]
        renumbered = text.replace(f'"sequence":{source}', f'"sequence":{target}')
        assignments = ", ".join(
            f"{name} = '{value}'"
            for name, value in zip(columns.split(", "), [*values, renumbered, digest], strict=True)
        )
        statements.append(f"UPDATE audit_entries SET {assignments} WHERE sequence = {target}")
    return statements


Tamper = Callable[[Directory], list[str]]
TAMPERING: dict[str, tuple[Tamper, int, str]] = {
    "edited column": (
        lambda d: ["UPDATE audit_entries SET department = 'ps' WHERE sequence = 3"],
        3,
        "department changed since",
    ),
    "edited entry and column": (
        lambda d: [
            "UPDATE audit_entries SET department = 'ps', "
            'entry = replace(entry, \'"department":"mr"\', \'"department":"ps"\') '
            "WHERE sequence = 3"
        ],
        3,
        "does not match its hash",
    ),
    "edited and re-hashed": (
        lambda d: [_rehash(d, 3, department="ps")],
        3,
        "entry #3 was edited after it was signed",
    ),
    "last edited and re-hashed": (lambda d: [_rehash(d, 5, user="nobody")], 5, "was edited"),
    "deleted": (lambda d: ["DELETE FROM audit_entries WHERE sequence = 3"], 3, "missing"),
    "last deleted": (lambda d: ["DELETE FROM audit_entries WHERE sequence = 5"], 5, "end of"),
    "reordered": (lambda d: _swap(2, 4), 2, "reordered"),
    "reordered and renumbered": (_swap_renumbered, 2, "does not match its hash"),
    "appended behind the log's back": (
        lambda d: [
            "INSERT INTO audit_entries SELECT 6, at, user_name, department, action, outcome, "
            "subject_hash, entry, hash FROM audit_entries WHERE sequence = 5"
        ],
        6,
        "behind the log's back",
    ),
}


@pytest.mark.parametrize("how", TAMPERING)
def test_verify_catches_tampering(directory: Directory, how: str) -> None:
    for n in range(5):  # one commit group, and one signed head, each
        directory.audit.append(event(n))
    intact = directory.audit.verify()
    assert (intact.ok, intact.checked, intact.head_sequence) == (True, 5, 5)
    tamper, first_bad, words = TAMPERING[how]
    sql(directory, *tamper(directory))
    broken = directory.audit.verify()
    assert not broken.ok
    assert broken.first_bad_sequence == first_bad, broken.problem
    assert words in broken.problem


def test_prune_keeps_the_chain_verifiable(
    directory: Directory, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = directory.audit
    old = dt.datetime(2019, 3, 1, 9, tzinfo=CHINA)
    log.append_many(event(n, at=old + dt.timedelta(days=n)) for n in range(4))
    log.append(event(9))
    log.append(event(10, at=old))  # written late: kept, since pruning keeps the chain whole
    auditor = Actor("cli:ops", Role.admin, "gsc")
    with pytest.raises(ValidationFailed, match="inside the retention period"):
        log.prune(dt.datetime(2026, 1, 1, tzinfo=CHINA), auditor, at=AT)
    assert log.prune(dt.datetime(2020, 1, 1, tzinfo=CHINA), auditor, at=AT) == 4
    kept = log.entries()
    assert [e.sequence for e in kept] == [7, 6, 5]
    assert kept[0].action == "audit.prune" and "anchor #4" in kept[0].reason
    checked = log.verify()
    assert (checked.ok, checked.checked, checked.head_sequence) == (True, 3, 7)
    monkeypatch.setenv("ONCEONLY_AUDIT_RETENTION_DAYS", "0")
    tomorrow = AT + dt.timedelta(days=1)
    assert log.prune(tomorrow, auditor, at=tomorrow) == 3
    assert log.verify().ok and log.verify().checked == 1
    log.append(event(11))
    sql(directory, "UPDATE audit_entries SET outcome = 'refused' WHERE sequence = 9")
    assert log.verify().first_bad_sequence == 9
    with pytest.raises(InvalidState, match="does not verify"):
        log.prune(tomorrow, auditor, at=tomorrow)


_WRITER = """
import sys
from directory.store import open_directory
from tests.directory.test_audit import event
directory = open_directory()
for n in range(int(sys.argv[1])):
    directory.audit.append(event(n, user="other.process"))
directory.close()
"""


def test_appends_from_threads_and_another_process_keep_one_chain(
    directory: Directory,
) -> None:
    other = subprocess.Popen([sys.executable, "-c", _WRITER, "300"], cwd=ROOT, env={**os.environ})
    errors: list[BaseException] = []

    def append(thread: int) -> None:
        try:
            for n in range(150):
                if n % 10:
                    directory.audit.append(event(n, user=f"thread{thread}"))
                else:
                    directory.audit.append_many(event(n, user=f"thread{thread}") for _ in "ab")
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=append, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert other.wait(timeout=HUNG_SECONDS) == 0 and not errors
    result = directory.audit.verify()
    assert result.ok, result.problem
    assert result.checked == result.head_sequence == 4 * 165 + 300
    assert len(directory.audit.entries(user="other.process", limit=None)) == 300


_NAMED_WRITER = """
import sys
from directory.store import open_directory
from tests.directory.test_audit import event
directory = open_directory()
for n in range(int(sys.argv[1])):
    directory.audit.append(event(n, user=sys.argv[2]))
directory.close()
"""


@pytest.mark.postgresql  # SQLite's writers queue on its file lock (the test above)
def test_appends_from_several_processes_keep_one_chain_in_each_writers_order(
    directory: Directory,
) -> None:
    # Four writers at once (three processes and this one), each appending one by one: the
    # log holds every entry once, each writer's in the order it appended them, in one chain.
    count = 80
    writers = [f"process{p}" for p in range(3)]
    others = [
        subprocess.Popen(
            [sys.executable, "-c", _NAMED_WRITER, str(count), name], cwd=ROOT, env={**os.environ}
        )
        for name in writers
    ]
    for n in range(count):
        directory.audit.append(event(n, user="this.process"))
    assert [other.wait(timeout=HUNG_SECONDS) for other in others] == [0, 0, 0]
    result = directory.audit.verify()
    assert result.ok, result.problem
    assert result.checked == result.head_sequence == 4 * count
    for name in ["this.process", *writers]:
        appended = reversed(directory.audit.entries(user=name, limit=None))  # oldest first
        assert [e.request_id for e in appended] == [f"req-{n}" for n in range(count)]


def test_awaited_appends_share_commits_and_keep_one_chain(directory: Directory) -> None:
    async def requests(client: int) -> list[int]:
        # As an async route does: queue the entry and wait for its commit without a thread.
        return [
            (await asyncio.wrap_future(directory.audit.submit([event(n, user=f"c{client}")])))[0]
            for n in range(50)
        ]

    async def load() -> list[list[int]]:
        return await asyncio.gather(*(requests(c) for c in range(20)))

    sequences = sorted(s for client in asyncio.run(load()) for s in client)
    assert sequences == list(range(1, 1001))
    result = directory.audit.verify()
    assert result.ok and result.checked == 1000


def test_a_group_that_cannot_be_committed_fails_every_caller(directory: Directory) -> None:
    directory.audit.append(event(0))
    sql(directory, "ALTER TABLE audit_entries RENAME TO hidden")
    futures = [directory.audit.submit([event(n)]) for n in range(1, 6)]
    for future in futures:
        with pytest.raises(Exception, match="audit_entries"):
            future.result(timeout=30)
    sql(directory, "ALTER TABLE hidden RENAME TO audit_entries")
    assert directory.audit.append(event(9)) == 2  # nothing of the failed group was kept
    assert directory.audit.verify().ok


def _heads_file(directory: Directory) -> Path:
    return Path(os.environ["ONCEONLY_HOME"]) / "keys" / "audit_heads.jsonl"


def _appended_one_by_one(directory: Directory, count: int) -> None:
    for n in range(count):
        directory.audit.append(event(n))


def test_truncating_the_tail_and_moving_the_head_is_reported(directory: Directory) -> None:
    _appended_one_by_one(directory, 6)
    truncate_tail(directory, keep=4)
    broken = directory.audit.verify()
    assert (broken.ok, broken.first_bad_sequence, broken.checked) == (False, 5, 4)
    assert "entries #5 to #6 are missing" in broken.problem, broken.problem
    assert broken.signed_sequence == 6


def test_rewriting_an_entry_and_every_later_hash_is_reported(directory: Directory) -> None:
    _appended_one_by_one(directory, 6)
    rewrite_from(directory, 3, department="ps")
    broken = directory.audit.verify()
    assert (broken.ok, broken.first_bad_sequence, broken.checked) == (False, 3, 2)
    assert "entry #3 was edited after it was signed" in broken.problem, broken.problem


def test_a_rewrite_inside_one_commit_group_names_the_group(directory: Directory) -> None:
    """One signature per commit group vouches for the group as a whole."""
    _appended_one_by_one(directory, 2)
    directory.audit.append_many(event(n) for n in range(4))  # entries #3 to #6
    rewrite_from(directory, 5, user="nobody")
    broken = directory.audit.verify()
    assert (broken.first_bad_sequence, broken.checked) == (3, 2)
    assert "one of entries #3 to #6 was edited" in broken.problem


def test_a_prune_that_was_not_signed_is_reported(directory: Directory) -> None:
    _appended_one_by_one(directory, 5)
    prune_unsigned(directory, last=2)
    broken = directory.audit.verify()
    assert (broken.ok, broken.first_bad_sequence) == (False, 1)
    assert "entries #1 to #2 were deleted without a signed prune" in broken.problem


def test_the_signed_heads_file_is_checked_too(directory: Directory) -> None:
    _appended_one_by_one(directory, 4)
    heads = _heads_file(directory)
    lines = heads.read_bytes().splitlines(keepends=True)
    assert len(lines) == 4 and stat.S_IMODE(heads.stat().st_mode) == 0o600
    assert directory.audit.verify().ok
    heads.write_bytes(b"".join(lines[:2]))  # cut below entries it had signed
    cut = directory.audit.verify()
    assert (cut.ok, cut.first_bad_sequence) == (False, 3)
    assert "entries #3 to #4 are not covered by a signed head" in cut.problem
    edited = json.loads(lines[3])
    edited["hash"] = "f" * 64
    heads.write_bytes(b"".join(lines[:3]) + json.dumps(edited).encode() + b"\n")
    forged = directory.audit.verify()
    assert not forged.ok and "line 4" in forged.problem and "signature" in forged.problem
    heads.write_bytes(lines[0] + lines[2] + lines[1] + lines[3])
    reordered = directory.audit.verify()
    assert not reordered.ok and "never go back" in reordered.problem


def test_prune_is_a_signed_truncation_that_verify_accepts(
    directory: Directory, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = dt.datetime(2019, 3, 1, 9, tzinfo=CHINA)
    for n in range(4):
        directory.audit.append(event(n, at=old + dt.timedelta(days=n)))
    directory.audit.append(event(9))
    admin = Actor("cli:ops", Role.admin, "gsc")
    assert directory.audit.prune(dt.datetime(2020, 1, 1, tzinfo=CHINA), admin, at=AT) == 4
    checked = directory.audit.verify()
    assert checked.ok and checked.signed_sequence == checked.head_sequence == 6, checked.problem
    kinds = [json.loads(line)["kind"] for line in _heads_file(directory).read_text().splitlines()]
    assert kinds[-2:] == ["anchor", "head"]
    truncate_tail(directory, keep=5)  # the prune entry itself cut off: still caught
    assert directory.audit.verify().first_bad_sequence == 6
