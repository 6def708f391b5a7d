"""The API bench's server and load: a uvicorn process per app, wrk (or an async httpx client
when wrk is absent) driving it from another process, and what the machine's cores did meanwhile."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import re
import resource
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


class Server:
    """A uvicorn process on 127.0.0.1 and an ephemeral port, serving an app factory."""

    def __init__(self, target: str, home: Path, workers: int = 1) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        env = dict(os.environ, ONCEONLY_HOME=str(home))
        # One clerk token carries the whole load, far above a clerk's real rate limit.
        env["ONCEONLY_RATE_LIMIT"] = "1000000000"
        command = [sys.executable, "-m", "uvicorn", target, "--factory", "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--no-access-log", "--log-level", "warning"]
        if workers > 1:
            command += ["--workers", str(workers)]
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
        status, _ = get(self.url + path, token)
        if status != 200:
            raise RuntimeError(f"the first prefill answered {status}")
        return self.listening, time.perf_counter() - started

    def cpu_seconds(self) -> float:
        """CPU time of the server: its process and, with workers, every process under it."""
        import psutil

        root = psutil.Process(self.process.pid)
        total = 0.0
        for process in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.NoSuchProcess):
                times = process.cpu_times()
                total += times.user + times.system
        return total

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
def server(target: str, home: Path, workers: int = 1) -> Iterator[Server]:
    server = Server(target, home, workers)
    try:
        yield server
    finally:
        server.stop()


def get(url: str, token: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class Driver:
    """Runs one load generator process against a server and measures the machine meanwhile."""

    def __init__(self, loader: str, base: Path, connections: int, token: str) -> None:
        self.loader = loader
        self.connections = connections
        self.token = token
        self.script = base / "wrk.lua"
        self.check_script = base / "wrk-check.lua"
        self.script.write_text(WRK_SCRIPT + WRK_DONE)
        self.check_script.write_text(WRK_SCRIPT + WRK_CHECK + WRK_DONE)

    def __call__(self, server: Server, paths: Path, seconds: float) -> Load:
        return self.finish(self.start(server, paths, seconds), server)

    def start(self, server: Server, paths: Path, seconds: float, *, check: bool = False) -> Run:
        if self.loader == "wrk":
            script = self.check_script if check else self.script
            command = ["wrk", "-t1", f"-c{self.connections}", f"-d{seconds:g}s", "--timeout"]
            command += ["10s", "-H", f"Authorization: Bearer {self.token}", "-s", str(script)]
            command += [server.url, "--", str(paths)]
        else:
            command = [
                sys.executable,
                str(ROOT / "bench" / "api.py"),
                "--seconds",
                str(seconds),
                "--connections",
            ]
            command += [str(self.connections), "--drive", server.url, str(paths), self.token]
        return Run(command, server)

    def finish(self, run: Run, server: Server, *, interrupt: bool = False) -> Load:
        if interrupt:
            run.process.send_signal(signal.SIGINT)
        out, _ = run.process.communicate()
        wall = time.perf_counter() - run.started
        line = next(x for x in out.splitlines() if x.startswith("RESULT "))
        result = json.loads(line.removeprefix("RESULT "))
        loader_cpu = children_cpu() - run.children_cpu
        return Load(
            requests=result["requests"],
            seconds=result["seconds"],
            p50_ms=result["p50_ms"],
            p99_ms=result["p99_ms"],
            failed=result["failed"],
            versions=result["versions"],
            server_cores=(server.cpu_seconds() - run.server_cpu) / wall,
            loader_cores=loader_cpu / wall,
            machine_cores=(machine_busy() - run.machine_busy) / wall,
            load_average=os.getloadavg()[0],
        )


class Run:
    def __init__(self, command: list[str], server: Server) -> None:
        self.server_cpu = server.cpu_seconds()
        self.children_cpu = children_cpu()
        self.machine_busy = machine_busy()
        self.started = time.perf_counter()
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def machine_busy() -> float:
    """CPU seconds every core spent on anything but idling, since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


async def drive(url: str, paths_file: Path, token: str, seconds: float, connections: int) -> dict:
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
        "p50_ms": percentile(latencies, 0.50) * 1e3,
        "p99_ms": percentile(latencies, 0.99) * 1e3,
        "failed": failed,
        "versions": dict(versions),
    }


def percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def loader_name(loader: str) -> str:
    if loader == "httpx":
        return "async httpx client (wrk not on PATH: `apt-get install wrk`)"
    out = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    version = re.search(r"\d+\.\d+\.\d+", out.stdout + out.stderr)
    return f"wrk {version.group() if version else '(version unknown)'}, 1 thread"


def bare_app() -> Any:
    """The framework's ceiling: FastAPI with one JSON route, no middleware, no dependencies."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/bare")
    async def bare() -> dict[str, str]:
        return {"status": "ok"}

    return app


# --- the switch -------------------------------------------------------------------------------
