"""Exchange API throughput: prefill and subject lookup on a live uvicorn, next to a bare route.

    python bench/api.py --persons 100000
    python bench/api.py --persons 10000000      # the issue's measure

Outside the timing, a pool of N persons is built under var/bench/api/: the sample landing zone
(generated here; at 10 M the ingestion bench's zone is read instead, generating it again would
take the better part of an hour), the full deliveries of only the resources service item
4101000004 reads, landed, certified and published by the pipelines' own functions, and the
sample directory with a clerk of department mr. Then, each server a uvicorn process of its
own on 127.0.0.1 and the load from another process, for a bounded time per scenario:
  * bare: a FastAPI app with one JSON route and nothing else (the framework's ceiling);
  * lookup: GET /v1/subjects/{id} over many different applicants;
  * prefill: GET /v1/prefill for 4101000004 over the same applicants;
  * switch: prefill while a new snapshot is published (the next population delivery, when one
    is still pending), counting failed answers and the snapshot versions answers came from.
Targets (issue 5): prefill at least 50% of the bare route's requests/s, p99 under 20 ms, no
failed request during the switch.

Then the production topology (`--processes 1,2 --directory both`): the bare route and prefill
on 1 and on 2 API processes (uvicorn workers sharing the port), with the directory, hence the
audit log, on SQLite and on PostgreSQL (a throw-away cluster with durable commits, its
directory copied from the SQLite one). Targets: 2 processes at 1.7x one or better, p99 under
20 ms, and per CPU-second of the API processes prefill at 30% of the bare route or better.

Load comes from wrk when it is on PATH (Debian: `apt-get install wrk`), else from an async
httpx client in a child process; that client costs far more CPU per request than wrk, so on a
small machine it caps the bare route and flatters the ratio. Every figure is printed with what
the machine's cores were doing meanwhile, since other work on a shared machine moves them.
`--py-spy` samples the server under prefill load (py-spy on PATH) and prints where time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Siblings: a script's own folder is on sys.path when it runs.
import api_load  # noqa: E402
import api_pool  # noqa: E402

SWITCH_AFTER_SECONDS = 3.0  # load before the publish, and again after the server switched
SWITCH_CAP_SECONDS = 1800  # the switch scenario ends when the switch is seen, within this


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=20.0, help="per scenario")
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "bench" / "api")
    parser.add_argument("--loader", choices=["auto", "wrk", "httpx"], default="auto")
    parser.add_argument("--no-switch", action="store_true", help="skip the switch scenario")
    parser.add_argument(
        "--processes", default="1,2", help="API process counts to compare, e.g. 1,2 ('' skips)"
    )
    parser.add_argument(
        "--directory",
        choices=["sqlite", "postgresql", "both"],
        default="both",
        help="where the directory (and the audit log) lives for the process comparison",
    )
    parser.add_argument("--py-spy", action="store_true", help="also profile prefill (py-spy)")
    parser.add_argument(
        "--drive", nargs=3, metavar=("URL", "PATHS", "TOKEN"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.drive:
        url, paths, token = args.drive
        result = asyncio.run(
            api_load.drive(url, Path(paths), token, args.seconds, args.connections)
        )
        print("RESULT " + json.dumps(result))
        return
    loader = args.loader
    if loader == "auto":
        loader = "wrk" if shutil.which("wrk") else "httpx"
    elif loader == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not on PATH; install it with `apt-get install wrk`, or use httpx")
    base = args.work / f"p{args.persons}_s{args.seed}"
    pool = api_pool.prepare(base, args.persons, args.seed)
    token = api_pool.clerk_token()
    lookups, prefills, share = api_pool.applicant_paths(base)
    print(
        f"pool: {args.persons:,} persons; "
        + ", ".join(f"{c} {n:,} rows" for c, n in pool.rows.items())
        + f"; {api_pool.APPLICANTS:,} applicants cycled, {share:.0%} of them own property"
    )
    print(
        f"load: {api_load.loader_name(loader)}, {args.connections} connections, "
        f"{args.seconds:g} s per scenario; {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.2f} before start"
    )
    drive = api_load.Driver(loader, base, args.connections, token)
    with api_load.server("bench.api_load:bare_app", pool.home) as bare:
        results = {"bare": drive(bare, api_pool.bare_paths(base), args.seconds)}
    with api_load.server("api.main:create_app", pool.home) as server:
        started = server.first_answer(prefills.read_text().split("\n", 1)[0], token)
        memory_started = server.memory()
        results["lookup"] = drive(server, lookups, args.seconds)
        results["prefill"] = drive(server, prefills, args.seconds)
        if not args.no_switch:
            results["switch"], switched = _switch(drive, server, prefills, pool, args.seconds)
        if args.py_spy:
            profile = _profile(drive, server, prefills, base, args.seconds)
        memory_end = server.memory()
    print(
        f"server: uvicorn, 1 worker; listening {started[0]:.2f} s after launch, first prefill "
        f"answered {started[1] * 1e3:.0f} ms later"
    )
    print(
        f"server memory: RSS {memory_started} after start, {memory_end} at the end, peak "
        f"{memory_end.peak:,.0f} MiB; file pages are the memory-mapped snapshots, which the "
        "kernel shares with its page cache and can drop"
    )
    _report(results)
    if "switch" in results:
        print(switched)
    if args.py_spy:
        print(profile)
    processes = [int(n) for n in args.processes.split(",") if n.strip()]
    if processes:
        backends = ["sqlite", "postgresql"] if args.directory == "both" else [args.directory]
        _report_topology(
            _topology(
                drive,
                pool.home,
                (api_pool.bare_paths(base), prefills),
                token,
                processes,
                backends,
                args.seconds,
            ),
            processes,
            backends,
        )


def _switch(
    drive: api_load.Driver,
    server: api_load.Server,
    prefills: Path,
    pool: api_pool.Pool,
    seconds: float,
) -> tuple[api_load.Load, str]:
    """Prefill under load while the next snapshot is published: certify the next pending
    delivery first (or nothing, if every delivery is in: the same data then comes out as a new
    version), start the load, publish, and stop once answers have come from the new version
    for a while."""
    from contracts.registry import bundled_contracts
    from pipelines.certify.certifier import certify_batch
    from pipelines.certify.publish import publish

    with api_pool.pool_resource().connect() as con:
        change = "no delivery left to land: the same data republished"
        if pool.pending:
            contract_id, path = pool.pending[0]
            report = certify_batch(
                con, bundled_contracts()[contract_id], api_pool.land(con, contract_id, path)
            )
            change = f"{path.name}: {report.rows_new_versions:,} changed {contract_id} rows"
        run = drive.start(server, prefills, SWITCH_CAP_SECONDS, check=True)
        time.sleep(SWITCH_AFTER_SECONDS)
        published_at = time.perf_counter()
        snapshot = publish(con, api_pool.certified_path(), api_pool.serving_path())
        publish_seconds = time.perf_counter() - published_at
    seen = _wait_for_version(server, drive.token, snapshot.version)
    time.sleep(max(SWITCH_AFTER_SECONDS, seconds - (time.perf_counter() - run.started)))
    load = drive.finish(run, server, interrupt=True)
    versions = ", ".join(f"v{v}: {n:,}" for v, n in sorted(load.versions.items()))
    verdict = "target 0: met" if load.failed == 0 else "target 0: MISSED"
    return load, (
        f"switch: {change}; v{snapshot.version} published in {publish_seconds:.1f} s under load, "
        f"served {seen - published_at - publish_seconds:.2f} s after its manifest; answers by "
        f"version {versions}; {load.failed} failed ({verdict})"
    )


def _wait_for_version(server: api_load.Server, token: str, version: int) -> float:
    deadline = time.monotonic() + api_load.READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        status, body = api_load.get(server.url + "/ready", token)
        if status == 200 and json.loads(body)["snapshot_version"] == version:
            return time.perf_counter()
        time.sleep(0.05)
    raise RuntimeError(f"the server did not switch to v{version} in time")


# --- the profile ------------------------------------------------------------------------------


def _profile(
    drive: api_load.Driver, server: api_load.Server, prefills: Path, base: Path, seconds: float
) -> str:
    """Sample the server with py-spy under prefill load; the share of request time per part."""
    py_spy = shutil.which("py-spy")
    if py_spy is None:
        return "profile: py-spy is not on PATH (`pip install py-spy`, outside the project venv)"
    output = base / "prefill.folded"
    run = drive.start(server, prefills, seconds)
    command = [py_spy, "record", "--pid", str(server.process.pid), "--duration", str(int(seconds))]
    command += ["--rate", "250", "--format", "raw", "--output", str(output)]
    sampler = subprocess.run(command, capture_output=True, text=True, check=False)
    load = drive.finish(run, server)
    if sampler.returncode != 0:
        return f"profile: py-spy failed: {sampler.stderr.strip()[-300:]}"
    return _summarise_profile(output, load)


# The parts of a request, by frames found in a sample's stack: a sample counts for the first
# part that matches, so a token lookup inside dependency solving counts as the token lookup.
PROFILE_PARTS = (
    (
        "audit: queued, then group-committed by the writer thread (directory/audit*.py)",
        ("AuditLog.append", "AuditLog.submit", "GroupWriter."),
    ),
    ("bearer token: change counter, cached user (directory/identity.py)", ("Identity.authent",)),
    ("catalogue cache (api/exchange/catalogue.py)", ("CatalogueCache.",)),
    ("snapshot reads: keys, Arrow rows, quarantine (api/serving.py)", ("Snapshot.",)),
    ("access decisions and grants (api/exchange/access.py)", ("decide (", "GrantIndex.")),
    ("answer: fields, materials, provenance (api/exchange/answers.py)", ("api/exchange/",)),
    ("key normalisation and subject hash", ("check_subject_key", "subject_hash")),
    ("response model validation and JSON", ("serialize_response", "Response.__init__")),
    (
        "rest of the route and its plumbing (api/routers/clerk.py, api/reads/)",
        ("api/routers/clerk.py", "api/reads/"),
    ),
    ("threadpool hand-offs (sync routes and dependencies)", ("run_in_threadpool",)),
    ("FastAPI dependency solving and parameter parsing", ("solve_dependencies",)),
    ("threadpool hand-offs (sync routes and dependencies)", ("WorkerThread.run",)),
    ("uvicorn HTTP, middleware, routing, event loop", ("",)),
)
# Leaf frames of a thread waiting: a worker for work, the audit and form writers for events (inside
# SimpleQueue.get, C code), the event loop inside uvloop (C code, where py-spy cannot tell
# waiting on sockets from parsing HTTP).
IDLE_LEAVES = (
    "Condition.wait (",
    "Queue.get (",
    "GroupWriter._run (",
    "FormRecorder._run (",
    "Runner.run (",
)


def _summarise_profile(folded: Path, load: api_load.Load) -> str:
    totals: Counter[str] = Counter()
    idle = 0
    for line in folded.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if frames[-1].startswith(IDLE_LEAVES):
            idle += int(count)
            continue
        part = next(name for name, markers in PROFILE_PARTS if _matches(frames, markers))
        totals[part] += int(count)
    busy = sum(totals.values())
    cpu_ms = load.server_cores / load.rate * 1e3 if load.rate else 0.0
    lines = [
        f"profile of the server under prefill load: {busy:,} busy samples ({idle:,} idle or in "
        f"uvloop's C code left out), {load.rate:,.0f} req/s, {cpu_ms:.2f} ms of server CPU per "
        f"request; samples are wall time, shared out as CPU ms per request ({folded.name}):"
    ]
    lines += [
        f"  {n / busy:6.1%}  {n / busy * cpu_ms:5.2f} ms  {part}"
        for part, n in totals.most_common()
    ]
    return "\n".join(lines)


def _matches(frames: list[str], markers: tuple[str, ...]) -> bool:
    return any(marker in frame for frame in frames for marker in markers)


# --- the report -------------------------------------------------------------------------------


def _topology(
    drive: api_load.Driver,
    home: Path,
    paths: tuple[Path, Path],
    token: str,
    processes: list[int],
    backends: list[str],
    seconds: float,
) -> dict[str, api_load.Load]:
    """Bare and prefill on each number of API processes, the directory on each backend."""
    results: dict[str, api_load.Load] = {}
    bare_paths, prefills = paths
    first = prefills.read_text().split("\n", 1)[0]
    for backend in backends:
        url = _postgresql_directory() if backend == "postgresql" else None
        if url is not None:
            os.environ["ONCEONLY_DIRECTORY_URL"] = url
        try:
            for n in processes:
                if backend == backends[0]:
                    with api_load.server("bench.api_load:bare_app", home, n) as bare:
                        results[f"bare x{n}"] = drive(bare, bare_paths, seconds)
                with api_load.server("api.main:create_app", home, n) as server:
                    for _ in range(4 * n):  # every worker has opened the snapshot
                        server.first_answer(first, token)
                    results[f"prefill x{n} {backend}"] = drive(server, prefills, seconds)
        finally:
            os.environ.pop("ONCEONLY_DIRECTORY_URL", None)
    return results


def _postgresql_directory() -> str:
    """A PostgreSQL database holding a copy of the bench's SQLite directory, on a throw-away
    cluster with durable commits (stopped when this process ends)."""
    import settings
    from tests import postgres
    from tests.backends import copy_directory, migrate_directory

    cluster = postgres.Cluster(postgres.DURABLE_OPTIONS)
    url = cluster.database(cluster.template("empty", migrate_directory))
    copy_directory(settings.current().directory_url, url)
    return url


def _report_topology(
    results: dict[str, api_load.Load], processes: list[int], backends: list[str]
) -> None:
    print(
        f"{'topology':<24}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'failed':>8}{'req/CPU-s':>11}"
        f"{'vs 1 proc':>11}{'CPU vs bare':>13}"
    )
    for name, r in results.items():
        kind, count, *where = name.split()
        one = results.get(" ".join([kind, "x1", *where]))
        scale = f"{r.rate / one.rate:.2f}x" if one and one.rate else "-"
        bare = results.get(f"bare {count}")
        versus = (
            f"{r.per_cpu_second / bare.per_cpu_second:.0%}"
            if kind == "prefill" and bare and bare.per_cpu_second
            else "-"
        )
        print(
            f"{name:<24}{r.rate:>9,.0f}{r.p50_ms:>9.2f}{r.p99_ms:>9.2f}{r.failed:>8}"
            f"{r.per_cpu_second:>11,.0f}{scale:>11}{versus:>13}"
        )
    print(
        "targets: 2 processes >= 1.7x one; prefill p99 under 20 ms; prefill per CPU-second "
        ">= 30% of the bare route's; every read durably logged (PostgreSQL fsync on)"
    )
    if 1 in processes and 2 in processes:
        for backend in backends:
            one, two = results[f"prefill x1 {backend}"], results[f"prefill x2 {backend}"]
            gain = two.rate / one.rate if one.rate else 0.0
            print(
                f"{backend}: 2 processes {gain:.2f}x one "
                f"({'met' if gain >= 1.7 else 'MISSED'}); p99 {two.p99_ms:.1f} ms with 2 "
                f"({'met' if two.p99_ms < 20 else 'MISSED'})"
            )


def _report(results: dict[str, api_load.Load]) -> None:
    """The table; req/CPU-s (answers per second of server CPU) is the figure that other work
    on a shared machine moves least, since a starved server answers less but costs the same."""
    print(
        f"{'scenario':<9}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'failed':>8}{'req/CPU-s':>11}   "
        "cores busy: server / load generator / whole machine, load average"
    )
    for name, r in results.items():
        print(
            f"{name:<9}{r.rate:>9,.0f}{r.p50_ms:>9.2f}{r.p99_ms:>9.2f}{r.failed:>8}"
            f"{r.per_cpu_second:>11,.0f}   {r.server_cores:.2f} / {r.loader_cores:.2f} / "
            f"{r.machine_cores:.2f} of {os.cpu_count()}, {r.load_average:.2f}"
        )
    bare, prefill = results["bare"], results["prefill"]
    ratio = prefill.rate / bare.rate if bare.rate else 0.0
    per_cpu = prefill.per_cpu_second / bare.per_cpu_second if bare.per_cpu_second else 0.0
    print(
        f"prefill / bare: {ratio:.0%} of the bare route's requests/s, {per_cpu:.0%} per CPU "
        f"second (target 50%: {'met' if ratio >= 0.5 else 'MISSED'}); prefill p99 "
        f"{prefill.p99_ms:.1f} ms (target under 20 ms: "
        f"{'met' if prefill.p99_ms < 20 else 'MISSED'})"
    )


if __name__ == "__main__":
    main()
