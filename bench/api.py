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

Load comes from wrk when it is on PATH (Debian: `apt-get install wrk`), else from an async
httpx client in a child process; that client costs far more CPU per request than wrk, so on a
small machine it caps the bare route and flatters the ratio. Every figure is printed with what
the machine's cores were doing meanwhile, since other work on a shared machine moves them.
`--py-spy` samples the server under prefill load (py-spy on PATH) and prints where time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import itertools
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import settings  # noqa: E402

SERVICE_ITEM = "4101000004"  # 个体工商户设立登记: population and real estate, for a clerk of mr
DEPARTMENT = "mr"
CLERK = "bench.clerk"
APPLICANTS = 20_000  # distinct subjects the load cycles through
REUSE_INGEST_FROM = 10_000_000  # persons: below this, generating the zone here is quick
SWITCH_AFTER_SECONDS = 3.0  # load before the publish, and again after the server switched
SWITCH_CAP_SECONDS = 1800  # the switch scenario ends when the switch is seen, within this
READY_TIMEOUT_SECONDS = 120.0

# wrk's script: request paths taken in turn from a file; `done` reports one JSON line. The
# check variant also reads each answer, to count failures and the snapshot versions served.
WRK_SCRIPT = """
local paths = {}
local turn = 0
local threads = {}
bad = 0
seen = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
end

function request()
  turn = turn % #paths + 1
  return wrk.format(nil, paths[turn])
end
"""
WRK_CHECK = """
function response(status, headers, body)
  local version = status == 200 and string.match(body, '"snapshot_version":(%d+)')
  if version then seen[version] = (seen[version] or 0) + 1 else bad = bad + 1 end
end
"""
WRK_DONE = """
function done(summary, latency, requests)
  local failed, versions = 0, {}
  for _, thread in ipairs(threads) do
    failed = failed + (thread:get("bad") or 0)
    for version, n in pairs(thread:get("seen") or {}) do
      versions[version] = (versions[version] or 0) + n
    end
  end
  local parts = {}
  for version, n in pairs(versions) do parts[#parts + 1] = string.format('"%s":%d', version, n) end
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"seconds":%f,"p50_ms":%f,"p99_ms":%f,"failed":%d,"versions":{%s}}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3,
    latency:percentile(99) / 1e3, failed + e.connect + e.read + e.write + e.timeout + e.status,
    table.concat(parts, ",")))
end
"""


@dataclass
class Load:
    """What one scenario's load generator saw, and what the machine did meanwhile."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    failed: int
    versions: dict[str, int]
    server_cores: float = 0.0  # CPU time of the server process / wall time
    loader_cores: float = 0.0
    machine_cores: float = 0.0  # every process on the machine, same unit
    load_average: float = 0.0

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def per_cpu_second(self) -> float:
        return self.rate / self.server_cores if self.server_cores else 0.0


@dataclass(frozen=True)
class Memory:
    """The server's resident memory (MiB): in all, anonymous (its heap), file pages mapped."""

    rss: float
    anonymous: float
    file: float
    peak: float

    def __str__(self) -> str:
        return f"{self.rss:,.0f} MiB ({self.anonymous:,.0f} anonymous, {self.file:,.0f} file)"


@dataclass
class Pool:
    home: Path
    rows: dict[str, int]  # certified rows per resource
    pending: list[tuple[str, Path]]  # later deliveries not landed yet, oldest first


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
    parser.add_argument("--py-spy", action="store_true", help="also profile prefill (py-spy)")
    parser.add_argument(
        "--drive", nargs=3, metavar=("URL", "PATHS", "TOKEN"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.drive:
        url, paths, token = args.drive
        result = asyncio.run(_drive(url, Path(paths), token, args.seconds, args.connections))
        print("RESULT " + json.dumps(result))
        return
    loader = args.loader
    if loader == "auto":
        loader = "wrk" if shutil.which("wrk") else "httpx"
    elif loader == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not on PATH; install it with `apt-get install wrk`, or use httpx")
    base = args.work / f"p{args.persons}_s{args.seed}"
    pool = _prepare(base, args.persons, args.seed)
    token = _clerk_token()
    lookups, prefills, share = _applicant_paths(base)
    print(
        f"pool: {args.persons:,} persons; "
        + ", ".join(f"{c} {n:,} rows" for c, n in pool.rows.items())
        + f"; {APPLICANTS:,} applicants cycled, {share:.0%} of them own property"
    )
    print(
        f"load: {_loader_name(loader)}, {args.connections} connections, {args.seconds:g} s per "
        f"scenario; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} before start"
    )
    drive = _Driver(loader, base, args.connections, token)
    with _server("bench.api:bare_app", pool.home) as bare:
        results = {"bare": drive(bare, _bare_paths(base), args.seconds)}
    with _server("api.main:create_app", pool.home) as server:
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


def bare_app() -> Any:
    """The framework's ceiling: FastAPI with one JSON route, no middleware, no dependencies."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/bare")
    async def bare() -> dict[str, str]:
        return {"status": "ok"}

    return app


# --- the pool ---------------------------------------------------------------------------------


def _prepare(base: Path, persons: int, seed: int) -> Pool:
    """Build the pool once (a marker file records it), then reuse it as it stands."""
    home = base / "home"
    landing = _landing_zone(base, persons, seed)
    marker = base / "pool.json"
    os.environ["ONCEONLY_HOME"] = str(home)
    for name in ("ONCEONLY_POOL", "ONCEONLY_CERTIFIED", "ONCEONLY_SERVING", "ONCEONLY_LANDING"):
        os.environ.pop(name, None)
    os.environ.pop("ONCEONLY_DIRECTORY_URL", None)
    if marker.exists():
        rows = json.loads(marker.read_text())
    else:
        shutil.rmtree(home, ignore_errors=True)
        started = time.perf_counter()
        rows = _build_pool(landing)
        marker.write_text(json.dumps(rows))
        print(f"pool landed, certified and published in {time.perf_counter() - started:.0f} s")
    return Pool(home, rows, _pending(landing))


def _landing_zone(base: Path, persons: int, seed: int) -> Path:
    shared = ROOT / "var" / "bench" / "ingest" / f"p{persons}_e{persons // 10}_s{seed}"
    if persons >= REUSE_INGEST_FROM and (shared / "generated.json").exists():
        return shared / "landing"
    landing = base / "landing"
    if not (base / "generated").exists():
        from pipelines.samples import generate_landing_zone

        shutil.rmtree(base, ignore_errors=True)
        started = time.perf_counter()
        generate_landing_zone(
            landing, persons=persons, enterprises=max(persons // 10, 100), seed=seed, case_days=1
        )
        (base / "generated").touch()
        print(f"landing zone generated in {time.perf_counter() - started:.0f} s")
    return landing


@functools.cache
def _needed_contracts() -> list[str]:
    """The contracts the service item's form fields and materials read, in certifying order."""
    from api.exchange.catalogue import CatalogueCache
    from contracts.registry import bundled_contracts, dependency_order
    from directory.sample import load_sample
    from directory.store import open_directory

    directory = open_directory(settings.current().directory_url)
    load_sample(directory)
    state = CatalogueCache(directory).current()
    mapping = state.service_items[SERVICE_ITEM].mapping
    refs = [f.source for f in mapping.form_fields]
    refs += [ref for material in mapping.materials for ref in material.replaced_by]
    needed = {state.entries_by_code[ref.resource].contract_id for ref in refs}
    return [c for c in dependency_order(bundled_contracts()) if c in needed]


def _deliveries(landing: Path) -> dict[str, list[Path]]:
    """Each needed contract's delivered files, oldest first (the full extract comes first)."""
    from contracts.registry import bundled_contracts
    from pipelines.landing.files import discover

    files, _ = discover(landing, bundled_contracts())
    needed = _needed_contracts()
    found: dict[str, list[Path]] = {c: [] for c in needed}
    for file in files:
        if file.contract_id in found:
            found[file.contract_id].append(file.path)
    return {c: sorted(paths, key=lambda p: p.name) for c, paths in found.items()}


def _build_pool(landing: Path) -> dict[str, int]:
    from contracts.registry import bundled_contracts
    from pipelines.certify.certifier import certify_batch
    from pipelines.certify.publish import publish

    contracts = bundled_contracts()
    rows = {}
    with _pool().connect() as con:
        for contract_id, paths in _deliveries(landing).items():
            batch = _land(con, contract_id, paths[0])
            certified = certify_batch(con, contracts[contract_id], batch)
            rows[contract_id] = certified.rows_certified
        publish(con, _certified_path(), _serving_path())
    return rows


def _land(con: Any, contract_id: str, path: Path) -> str:
    """Land one delivery; returns its batch (the file's content hash)."""
    from contracts.registry import bundled_contracts
    from pipelines.landing.files import LandingFile
    from pipelines.landing.loader import land_file

    contract = bundled_contracts()[contract_id]
    file = LandingFile(path, contract_id, contract.department)
    return land_file(con, file, contract, settings.current().scratch).file_hash


def _pending(landing: Path) -> list[tuple[str, Path]]:
    """Later deliveries of the needed resources that this pool has not landed yet."""
    import duckdb

    from pipelines.landing.files import content_hash

    with duckdb.connect(str(_pool_path()), read_only=True) as con:
        landed = {row[0] for row in con.execute("SELECT file_hash FROM landing.files").fetchall()}
    return [
        (contract_id, path)
        for contract_id, paths in _deliveries(landing).items()
        for path in paths[1:]
        if content_hash(path) not in landed
    ]


def _pool() -> Any:
    from pipelines.resources import PoolResource

    return PoolResource(
        path=str(_pool_path()),
        certified_path=str(_certified_path()),
        serving_path=str(_serving_path()),
    )


def _pool_path() -> Path:
    return settings.current().pool


def _certified_path() -> Path:
    return settings.current().certified


def _serving_path() -> Path:
    return settings.current().serving


def _clerk_token() -> str:
    from directory.store import open_directory

    identity = open_directory(settings.current().directory_url).identity
    if CLERK not in {u.name for u in identity.list_users()}:
        identity.create_user(CLERK, "clerk", DEPARTMENT)
    return identity.issue_token(CLERK).token


def _applicant_paths(base: Path) -> tuple[Path, Path, float]:
    """Request paths for lookup and prefill over the same random applicants of the pool, and
    the share of them owning property (the others take the "not in the pool" path)."""
    import duckdb
    import numpy as np

    from snapshot.manifest import current_version

    snapshot = current_version(_serving_path())
    assert snapshot is not None
    persons = np.load(snapshot.layout / "ps_population.keys.npy", mmap_mode="r")
    owners = np.load(snapshot.layout / "nr_real_estate.keys.npy", mmap_mode="r")
    rng = np.random.default_rng(0)
    picked = np.unique(persons[rng.choice(len(persons), min(APPLICANTS, len(persons)), False)])
    rng.shuffle(picked)
    share = float(np.isin(picked, owners).mean())
    keys = [k.decode() for k in picked]
    # A read names a case of the service item from the centre's register (else it is refused).
    cases = [
        str(row[0])
        for row in duckdb.connect(str(snapshot.path), read_only=True)
        .execute(
            "SELECT case_no FROM gsc_cases WHERE service_item_code = ? AND _valid_to IS NULL "
            "ORDER BY received_at DESC LIMIT 1000",
            [SERVICE_ITEM],
        )
        .fetchall()
    ] or [f"ZZ{i:013d}" for i in range(len(keys))]
    lookups, prefills = base / "lookup.paths", base / "prefill.paths"
    lookups.write_text(
        "\n".join(
            f"/v1/subjects/{k}?service_item={SERVICE_ITEM}&case_no={cases[i % len(cases)]}"
            for i, k in enumerate(keys)
        )
    )
    prefills.write_text(
        "\n".join(
            f"/v1/prefill?service_item={SERVICE_ITEM}&subject={k}&case_no={cases[i % len(cases)]}"
            for i, k in enumerate(keys)
        )
    )
    return lookups, prefills, share


def _bare_paths(base: Path) -> Path:
    path = base / "bare.paths"
    path.write_text("/bare")
    return path


# --- the server -------------------------------------------------------------------------------


class _Server:
    """A uvicorn process on 127.0.0.1 and an ephemeral port, serving an app factory."""

    def __init__(self, target: str, home: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, ONCEONLY_HOME=str(home))
        # One clerk token carries the whole load, far above a clerk's real rate limit.
        env["ONCEONLY_RATE_LIMIT"] = "1000000000"
        command = [sys.executable, "-m", "uvicorn", target, "--factory", "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--no-access-log", "--log-level", "warning"]
        self._launched = time.perf_counter()
        self.process = subprocess.Popen(command, cwd=ROOT, env=env)
        self.listening = self._wait_listening()

    def _wait_listening(self) -> float:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return time.perf_counter() - self._launched
            except OSError:
                time.sleep(0.01)
        raise RuntimeError("the server did not listen in time")

    def first_answer(self, path: str, token: str) -> tuple[float, float]:
        """(seconds to listening, seconds from then to the first prefill answered)."""
        started = time.perf_counter()
        status, _ = _get(self.url + path, token)
        if status != 200:
            raise RuntimeError(f"the first prefill answered {status}")
        return self.listening, time.perf_counter() - started

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def memory(self) -> Memory:
        kib = {}
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if value.strip().endswith(" kB"):
                kib[key] = int(value.split()[0])
        return Memory(
            rss=kib["VmRSS"] / 1024,
            anonymous=kib["RssAnon"] / 1024,
            file=kib["RssFile"] / 1024,
            peak=kib["VmHWM"] / 1024,
        )

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextlib.contextmanager
def _server(target: str, home: Path) -> Iterator[_Server]:
    server = _Server(target, home)
    try:
        yield server
    finally:
        server.stop()


def _get(url: str, token: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


# --- the load ---------------------------------------------------------------------------------


class _Driver:
    """Runs one load generator process against a server and measures the machine meanwhile."""

    def __init__(self, loader: str, base: Path, connections: int, token: str) -> None:
        self.loader = loader
        self.connections = connections
        self.token = token
        self.script = base / "wrk.lua"
        self.check_script = base / "wrk-check.lua"
        self.script.write_text(WRK_SCRIPT + WRK_DONE)
        self.check_script.write_text(WRK_SCRIPT + WRK_CHECK + WRK_DONE)

    def __call__(self, server: _Server, paths: Path, seconds: float) -> Load:
        return self.finish(self.start(server, paths, seconds), server)

    def start(self, server: _Server, paths: Path, seconds: float, *, check: bool = False) -> _Run:
        if self.loader == "wrk":
            script = self.check_script if check else self.script
            command = ["wrk", "-t1", f"-c{self.connections}", f"-d{seconds:g}s", "--timeout"]
            command += ["10s", "-H", f"Authorization: Bearer {self.token}", "-s", str(script)]
            command += [server.url, "--", str(paths)]
        else:
            command = [sys.executable, __file__, "--seconds", str(seconds), "--connections"]
            command += [str(self.connections), "--drive", server.url, str(paths), self.token]
        return _Run(command, server)

    def finish(self, run: _Run, server: _Server, *, interrupt: bool = False) -> Load:
        if interrupt:
            run.process.send_signal(signal.SIGINT)
        out, _ = run.process.communicate()
        wall = time.perf_counter() - run.started
        line = next(x for x in out.splitlines() if x.startswith("RESULT "))
        result = json.loads(line.removeprefix("RESULT "))
        loader_cpu = _children_cpu() - run.children_cpu
        return Load(
            requests=result["requests"],
            seconds=result["seconds"],
            p50_ms=result["p50_ms"],
            p99_ms=result["p99_ms"],
            failed=result["failed"],
            versions=result["versions"],
            server_cores=(server.cpu_seconds() - run.server_cpu) / wall,
            loader_cores=loader_cpu / wall,
            machine_cores=(_machine_busy() - run.machine_busy) / wall,
            load_average=os.getloadavg()[0],
        )


class _Run:
    def __init__(self, command: list[str], server: _Server) -> None:
        self.server_cpu = server.cpu_seconds()
        self.children_cpu = _children_cpu()
        self.machine_busy = _machine_busy()
        self.started = time.perf_counter()
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _machine_busy() -> float:
    """CPU seconds every core spent on anything but idling, since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


async def _drive(url: str, paths_file: Path, token: str, seconds: float, connections: int) -> dict:
    """The fallback load generator: `connections` clients in turn over the paths, until the
    time is up or SIGINT; reports like the wrk script does."""
    import httpx

    paths = paths_file.read_text().splitlines()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.call_later(seconds, stop.set)
    turn = itertools.count()
    latencies: list[float] = []
    versions: Counter[str] = Counter()
    failed = 0
    limits = httpx.Limits(max_connections=connections)
    headers = {"Authorization": f"Bearer {token}"}

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal failed
        while not stop.is_set():
            started = time.perf_counter()
            try:
                response = await client.get(paths[next(turn) % len(paths)])
            except httpx.HTTPError:
                failed += 1
                continue
            latencies.append(time.perf_counter() - started)
            version = response.json().get("snapshot_version") if response.is_success else None
            if response.status_code != 200:
                failed += 1
            elif version is not None:
                versions[str(version)] += 1

    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=10) as c:
        await asyncio.gather(*(client_loop(c) for _ in range(connections)))
    latencies.sort()
    return {
        "requests": len(latencies),
        "seconds": time.perf_counter() - started,
        "p50_ms": _percentile(latencies, 0.50) * 1e3,
        "p99_ms": _percentile(latencies, 0.99) * 1e3,
        "failed": failed,
        "versions": dict(versions),
    }


def _percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def _loader_name(loader: str) -> str:
    if loader == "httpx":
        return "async httpx client (wrk not on PATH: `apt-get install wrk`)"
    out = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    version = re.search(r"\d+\.\d+\.\d+", out.stdout + out.stderr)
    return f"wrk {version.group() if version else '(version unknown)'}, 1 thread"


# --- the switch -------------------------------------------------------------------------------


def _switch(
    drive: _Driver, server: _Server, prefills: Path, pool: Pool, seconds: float
) -> tuple[Load, str]:
    """Prefill under load while the next snapshot is published: certify the next pending
    delivery first (or nothing, if every delivery is in: the same data then comes out as a new
    version), start the load, publish, and stop once answers have come from the new version
    for a while."""
    from contracts.registry import bundled_contracts
    from pipelines.certify.certifier import certify_batch
    from pipelines.certify.publish import publish

    with _pool().connect() as con:
        change = "no delivery left to land: the same data republished"
        if pool.pending:
            contract_id, path = pool.pending[0]
            report = certify_batch(
                con, bundled_contracts()[contract_id], _land(con, contract_id, path)
            )
            change = f"{path.name}: {report.rows_new_versions:,} changed {contract_id} rows"
        run = drive.start(server, prefills, SWITCH_CAP_SECONDS, check=True)
        time.sleep(SWITCH_AFTER_SECONDS)
        published_at = time.perf_counter()
        snapshot = publish(con, _certified_path(), _serving_path())
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


def _wait_for_version(server: _Server, token: str, version: int) -> float:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        status, body = _get(server.url + "/ready", token)
        if status == 200 and json.loads(body)["snapshot_version"] == version:
            return time.perf_counter()
        time.sleep(0.05)
    raise RuntimeError(f"the server did not switch to v{version} in time")


# --- the profile ------------------------------------------------------------------------------


def _profile(drive: _Driver, server: _Server, prefills: Path, base: Path, seconds: float) -> str:
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
# Leaf frames of a thread waiting: a worker for work, the audit writer for events (inside
# SimpleQueue.get, C code), the event loop inside uvloop (C code, where py-spy cannot tell
# waiting on sockets from parsing HTTP).
IDLE_LEAVES = ("Condition.wait (", "Queue.get (", "GroupWriter._run (", "Runner.run (")


def _summarise_profile(folded: Path, load: Load) -> str:
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


def _report(results: dict[str, Load]) -> None:
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
