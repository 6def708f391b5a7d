"""Faults: a certification killed mid-run, and readers while snapshots are published."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb

from contracts.registry import bundled_contracts
from pipelines.certify.publish import publish
from pipelines.landing.files import LandingFile
from pipelines.landing.loader import land_file
from snapshot.manifest import current_version
from tests.pipelines.certify.support import HEADER, Pool, people
from tests.pipelines.landing import feeds

CHILD = """
import datetime as dt, sys, threading
from pathlib import Path
from contracts.registry import bundled_contracts
from pipelines.certify import certifier, duckdb_engine
from pipelines.resources import PoolResource

def written_then_stopped(*args, **kwargs):
    # Inside the batch's transaction, after quarantine and history have been written: say so,
    # then wait here for the kill, so it lands in the middle on any machine.
    result = record_scores(*args, **kwargs)
    Path(sys.argv[5]).write_text("inside the transaction", encoding="utf-8")
    threading.Event().wait()
    return result

record_scores, duckdb_engine.record_scores = duckdb_engine.record_scores, written_then_stopped
pool = PoolResource(path=sys.argv[1], certified_path=sys.argv[2], serving_path=sys.argv[3])
with pool.connect() as con:
    contract = bundled_contracts()["ps_population"]
    certifier.certify_batch(con, contract, sys.argv[4], now=dt.datetime(2026, 11, 21))
print("finished", flush=True)
"""


def wait_for_marker(marker: Path, child: subprocess.Popen[str]) -> None:
    """Until the child says it is inside the work; a child that ends first fails the test."""
    while not marker.exists():
        assert child.poll() is None, f"the child ended before the marker: {child.returncode}"
        time.sleep(0.05)


def snapshot_rows(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return int(con.execute("SELECT count(*) FROM ps_population").fetchall()[0][0])


def test_killed_certification_leaves_the_snapshot_and_reruns_cleanly(tmp_path: Path) -> None:
    pool = Pool(tmp_path)
    pool.deliver(people(5), now=dt.datetime(2026, 11, 20))
    serving = Path(pool.resource.serving_path)
    with pool.connect() as con:
        before = publish(con, Path(pool.resource.certified_path), serving)
    contract = bundled_contracts()["ps_population"]
    big = feeds.write_csv(tmp_path / "人口基本信息_20261121.csv", HEADER, people(60_000, 10), "gbk")
    with pool.connect() as con:
        batch = land_file(con, LandingFile(big, contract.id, "ps"), contract, tmp_path).file_hash
    marker = tmp_path / "inside-the-transaction"
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            CHILD,
            pool.resource.path,
            pool.resource.certified_path,
            pool.resource.serving_path,
            batch,
            str(marker),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[3],
    )
    wait_for_marker(marker, child)
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait(timeout=30) == -signal.SIGKILL  # killed in the middle, not finished
    current = current_version(serving)
    assert current is not None and current.version == before.version
    assert snapshot_rows(current.path) == 5
    assert pool.query(
        "SELECT count(*) FROM certified.quality.batches WHERE batch = ?", [batch]
    ) == [(0,)]
    # The history rows the killed transaction had merged are gone with it.
    assert pool.query("SELECT count(*) FROM certified.ps_population") == [(5,)]
    report = pool.deliver(people(60_000, 10), name="人口基本信息_20261121.csv")
    assert report.status == "certified" and report.rows_certified == 60_000
    assert pool.query("SELECT count(*) FROM certified.ps_population") == [(60_005,)]
    assert pool.query("SELECT count(*) FROM certified.quality.batches") == [(2,)]


def test_readers_never_see_half_a_batch_while_snapshots_switch(tmp_path: Path) -> None:
    pool = Pool(tmp_path)
    serving = Path(pool.resource.serving_path)
    published_counts = {0}
    with pool.connect() as con:
        publish(con, Path(pool.resource.certified_path), serving)
    seen: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            try:
                snapshot = current_version(serving)
                assert snapshot is not None
                with duckdb.connect(str(serving / "current.duckdb"), read_only=True) as con:
                    tables = con.execute(
                        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'ps_population'"
                    ).fetchall()[0][0]
                    seen.append(
                        int(con.execute("SELECT count(*) FROM ps_population").fetchall()[0][0])
                        if tables
                        else 0
                    )
            except BaseException as error:  # any failed read fails the test
                errors.append(error)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for round_ in range(5):
            pool.deliver(people(200, 1 + 200 * round_), name=f"人口基本信息_2026112{round_}.csv")
            with pool.connect() as con:
                publish(con, Path(pool.resource.certified_path), serving)
            published_counts.add(200 * (round_ + 1))
    finally:
        stop.set()
        reader.join()
    assert not errors
    assert seen and set(seen) <= published_counts
