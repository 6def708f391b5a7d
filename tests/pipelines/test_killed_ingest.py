"""A killed ingest never blocks the next one, and never changes what the API answers.

A real `onceonly ingest` is killed with SIGKILL while it lands a file, or while it certifies
it: its Dagster run stays "started" and holds the `pool_writer` concurrency slot, with nobody
left to free it. The next `onceonly ingest` must find the dead run, mark it failed, free the
slot, say so, and land the file once. A live API serving the published snapshot answers the
same before the kill, while the killed run is inside its transaction, after the kill, and
(for the applicant delivered earlier) after the rerun has published the new file.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import httpx
import pytest

from api.main import create_app
from directory.sample import load_sample
from directory.store import open_directory
from pipelines.asset_keys import POOL_WRITER
from pipelines.definitions import build_definitions
from pipelines.instance import get_instance
from pipelines.landing.runner import land_pending, publish_snapshot
from tests.live_server import ANSWER_SECONDS, serving_in_thread
from tests.pipelines.certify.support import HEADER, people
from tests.pipelines.landing import feeds

ROOT = Path(__file__).parents[2]
ONCEONLY = str(Path(sys.executable).with_name("onceonly"))
SOLE_PROPRIETOR = "4101000004"  # 个体工商户设立登记 (mr): its form's 经营者姓名 is ps_population
EARLIER, LATER = 20, 3000  # residents in the published delivery, and in the one killed
# Only a guard so that a blocked rerun fails the test instead of hanging it; never a measure.
HANG_GUARD_SECONDS = 600

CHILD = """
import sys, threading
from pathlib import Path
from pipelines.certify import duckdb_engine
from pipelines.landing import loader

stage, marker = sys.argv[1], Path(sys.argv[2])

def stop_after(original):
    def written_then_stopped(*args, **kwargs):
        # Inside the step's transaction, after its rows were written: say so, then wait
        # here for the kill, so that it lands mid-step on any machine.
        result = original(*args, **kwargs)
        marker.write_text(stage, encoding="utf-8")
        threading.Event().wait()
        return result
    return written_then_stopped

if stage == "landing":
    loader._insert_landed = stop_after(loader._insert_landed)
else:
    duckdb_engine.record_scores = stop_after(duckdb_engine.record_scores)
from onceonly_cli.main import app
app(["ingest"])
"""


@dataclass
class LiveApi:
    url: str
    clerk: dict[str, str]

    def prefill(self, subject: str) -> dict[str, Any]:
        answer = httpx.get(
            f"{self.url}/v1/prefill",
            params={"service_item": SOLE_PROPRIETOR, "subject": subject, "case_no": "ZZ-KILL"},
            headers=self.clerk,
            timeout=ANSWER_SECONDS,
        )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body


@pytest.fixture
def published(onceonly_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveApi]:
    """A first delivery landed, certified and published, and the API serving it over HTTP."""
    monkeypatch.delenv("ONCEONLY_DIRECTORY_URL", raising=False)
    directory = open_directory()
    load_sample(directory)
    directory.identity.create_user("kill.clerk", "clerk", "mr")
    clerk = {"Authorization": f"Bearer {directory.identity.issue_token('kill.clerk').token}"}
    _deliver(onceonly_home, people(EARLIER), "人口基本信息_20261120.csv")
    defs = build_definitions()
    outcomes, _ = land_pending(defs, get_instance())
    assert [o.success for o in outcomes] == [True]
    publish_snapshot(defs, get_instance())
    try:
        with serving_in_thread(create_app(directory=directory)) as url:
            yield LiveApi(url, clerk)
    finally:
        directory.close()


def _deliver(home: Path, rows: list[list[str]], name: str) -> Path:
    path = feeds.write_csv(home / "landing" / "ps" / "ps_population" / name, HEADER, rows, "gbk")
    settled = time.time() - 60
    os.utime(path, (settled, settled))
    return path


def _values(answer: dict[str, Any]) -> dict[str, Any]:
    """What the answer says about the applicant, without the request's own bookkeeping."""
    return {field["field"]: field["value"] for field in answer["fields"]}


def _pool(home: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(home / "pool" / "pool.duckdb"), read_only=True) as con:
        con.execute(f"ATTACH '{home / 'pool' / 'certified.duckdb'}' AS certified (READ_ONLY)")
        return con.execute(sql).fetchall()


def _wait_for_marker(marker: Path, child: subprocess.Popen[bytes]) -> None:
    """Until the child is inside the step; a child that ends first fails the test."""
    while not marker.exists():
        assert child.poll() is None, f"the ingest ended before the marker ({child.returncode})"
        time.sleep(0.05)


@contextmanager
def _ingest_stopped_inside(stage: str, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A real `onceonly ingest`, stopped inside the step of `stage`; killed on leaving."""
    marker = tmp_path / f"inside-{stage}"
    with (tmp_path / f"killed-{stage}.out").open("wb") as out:
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, stage, str(marker)],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for_marker(marker, child)
            yield child
        finally:
            if child.poll() is None:
                os.kill(child.pid, signal.SIGKILL)
            assert child.wait() == -signal.SIGKILL


def _slot_holders(instance: dg.DagsterInstance) -> list[str]:
    info = instance.event_log_storage.get_concurrency_info(POOL_WRITER)
    return [slot.run_id for slot in info.claimed_slots]


def _unwrapped(output: str) -> str:
    """The command's output as one line: the terminal wraps long lines where it likes."""
    return " ".join(output.split())


def _assert_recovered(dead: dg.DagsterRun, file: Path, output: str) -> None:
    """The next ingest said so, marked the run failed and freed its slot."""
    assert f"recovered run {dead.run_id[:8]} ({file.name}) stopped unfinished" in output
    assert "process is gone" in output and "marked failed" in output
    instance = get_instance()
    record = instance.get_run_by_id(dead.run_id)
    assert record is not None and record.status == dg.DagsterRunStatus.FAILURE
    assert _unfinished_runs(instance) == []
    assert _slot_holders(instance) == []


def _assert_landed_once(home: Path, residents: int) -> None:
    """Landed once, certified once: nothing doubled, every landed row accounted for."""
    assert _pool(home, "SELECT count(*) FROM landing.ps_population") == [(residents,)]
    batches = _pool(
        home,
        "SELECT rows_landed, rows_certified, rows_quarantined, rows_duplicate "
        "FROM certified.quality.batches",
    )
    assert sum(b[0] for b in batches) == residents
    assert all(landed == sum(rest) for landed, *rest in batches)
    assert _pool(home, "SELECT count(*) FROM certified.ps_population WHERE _valid_to IS NULL") == [
        (residents,)
    ]


def _unfinished_runs(instance: dg.DagsterInstance) -> list[dg.DagsterRun]:
    return list(instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])))


@pytest.mark.parametrize("stage", ["landing", "certification"])
def test_a_killed_ingest_is_recovered_by_the_next_and_the_api_never_changes(
    stage: str, published: LiveApi, onceonly_home: Path, tmp_path: Path
) -> None:
    earlier = people(EARLIER)[0][0]
    before = published.prefill(earlier)
    later = _deliver(onceonly_home, people(LATER, EARLIER + 1), "人口基本信息_20261121.csv")

    with _ingest_stopped_inside(stage, tmp_path) as child:
        during = published.prefill(earlier)
        os.kill(child.pid, signal.SIGKILL)
    instance = get_instance()
    [dead] = _unfinished_runs(instance)
    assert dead.tags["onceonly/file"] == later.name
    assert _slot_holders(instance) == [dead.run_id]  # and nobody left to free it
    after_kill = published.prefill(earlier)

    rerun = subprocess.run(
        [ONCEONLY, "ingest"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_SECONDS,
        check=False,
    )
    output = _unwrapped(rerun.stdout + rerun.stderr)
    assert rerun.returncode == 0, output[-3000:]
    _assert_recovered(dead, later, output)
    _assert_landed_once(onceonly_home, EARLIER + LATER)

    after_rerun = published.prefill(earlier)
    assert before == during == after_kill
    assert after_rerun["snapshot_version"] > before["snapshot_version"]
    assert _values(after_rerun) == _values(before)
    newcomer = published.prefill(people(1, EARLIER + 1)[0][0])
    assert _values(newcomer)["经营者姓名"] == f"居民{EARLIER + 1}"


def test_an_ingest_waiting_for_the_pool_goes_on_when_the_holder_is_killed(
    onceonly_home: Path, tmp_path: Path
) -> None:
    """Two ingests at once: the second waits for the pool_writer slot; the first is killed
    while it holds it. The waiting one must notice, free the slot and finish."""
    delivered = _deliver(onceonly_home, people(LATER), "人口基本信息_20261121.csv")
    with _ingest_stopped_inside("landing", tmp_path) as holder:
        [dead] = _unfinished_runs(get_instance())
        waiting = subprocess.Popen(
            [ONCEONLY, "ingest"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        instance = get_instance()
        while not _pending_runs(instance) - {dead.run_id}:  # observed: the second one waits
            assert waiting.poll() is None, waiting.communicate()[0]
            time.sleep(0.1)
        os.kill(holder.pid, signal.SIGKILL)
    output, _ = waiting.communicate(timeout=HANG_GUARD_SECONDS)
    output = _unwrapped(output)
    assert waiting.returncode == 0, output[-3000:]
    _assert_recovered(dead, delivered, output)
    _assert_landed_once(onceonly_home, LATER)


def _pending_runs(instance: dg.DagsterInstance) -> set[str]:
    info = instance.event_log_storage.get_concurrency_info(POOL_WRITER)
    return {step.run_id for step in info.pending_steps}


def test_the_landing_zone_sensor_fails_a_killed_run_and_frees_its_slot(
    onceonly_home: Path, tmp_path: Path
) -> None:
    """With `make ui`, the daemon's sensor is what notices: at its next tick."""
    _deliver(onceonly_home, people(LATER), "人口基本信息_20261121.csv")
    with _ingest_stopped_inside("certification", tmp_path) as holder:
        os.kill(holder.pid, signal.SIGKILL)
    instance = get_instance()
    [dead] = _unfinished_runs(instance)
    assert _slot_holders(instance) == [dead.run_id]
    defs = build_definitions()
    repository = defs.get_repository_def()
    with dg.build_sensor_context(
        instance_ref=instance.get_ref(), resources=defs.resources, repository_def=repository
    ) as context:
        repository.get_sensor_def("landing_zone_sensor").evaluate_tick(context)
    record = get_instance().get_run_by_id(dead.run_id)
    assert record is not None and record.status == dg.DagsterRunStatus.FAILURE
    assert _slot_holders(get_instance()) == []
    [failure] = get_instance().all_logs(dead.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
    assert failure.dagster_event is not None and failure.dagster_event.message is not None
    assert "process is gone" in failure.dagster_event.message  # what the UI shows for the run
