"""Audit log appends, one at a time and in batches, and objection flags read from memory.

    python bench/audit.py

Opens a fresh directory in a temporary folder and times, in this process:
  * audit appends one at a time (each read's own entry: the hash chain is extended and
    committed per call), target at least 300 appends/s;
  * `append_many` in batches of 500 (the bulk verify route), target at least 3x the above;
  * the open-objection flags every answer looks up, served from memory between refreshes,
    target under 5 µs a lookup.
Timing lives here rather than in the tests, whose outcome must not depend on machine load.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from directory.audit import AuditEvent  # noqa: E402
from directory.objections import Objections  # noqa: E402
from directory.store import open_directory  # noqa: E402
from directory.workdays import CHINA  # noqa: E402

AT = dt.datetime(2026, 11, 20, 10, tzinfo=CHINA)


def _event(n: int) -> AuditEvent:
    return AuditEvent(
        at=AT + dt.timedelta(seconds=n),
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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--single", type=int, default=2_000, help="appends one at a time")
    parser.add_argument("--batched", type=int, default=20_000, help="appends in batches")
    parser.add_argument("--lookups", type=int, default=200_000, help="objection flag lookups")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        os.environ["ONCEONLY_HOME"] = folder  # the audit key is generated there, not in var/
        directory = open_directory(f"sqlite:///{Path(folder) / 'directory.sqlite'}")
        try:
            log = directory.audit
            started = time.perf_counter()
            for n in range(args.single):
                log.append(_event(n))
            single = args.single / (time.perf_counter() - started)
            print(f"audit appends one at a time: {single:,.0f}/s (target >= 300/s)")

            events = [_event(args.single + n) for n in range(args.batched)]
            started = time.perf_counter()
            for chunk in range(0, len(events), 500):
                log.append_many(events[chunk : chunk + 500])
            many = args.batched / (time.perf_counter() - started)
            print(
                f"audit appends in batches of 500: {many:,.0f}/s = {many / single:.1f}x one at "
                "a time (target >= 3x)"
            )

            flags = Objections(directory.db, log.subject_hash, max_age=3600.0)
            subject = log.subject_hash("11010519491231002X")
            flags.open_items(subject)
            started = time.perf_counter()
            for _ in range(args.lookups):
                flags.open_items(subject)
            each = (time.perf_counter() - started) / args.lookups * 1e6
            print(f"objection flags from memory: {each:.2f} µs a lookup (target < 5 µs)")
        finally:
            directory.close()


if __name__ == "__main__":
    main()
