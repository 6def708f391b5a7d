"""A Spark standalone cluster on 127.0.0.1: one master and workers, each its own process.

Started with pyspark's own `spark-class` (the launcher a real cluster uses), small (one core
and 512 MB per worker, 256 MB per daemon), on free ports, and torn down whatever happens.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from pipelines.certify.spark.session import java17_home

MASTER = "org.apache.spark.deploy.master.Master"
WORKER = "org.apache.spark.deploy.worker.Worker"
START_SECONDS = 240  # JVMs start slowly on a busy 2-core machine


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent


def cluster_environment(logs: Path) -> dict[str, str]:
    return {
        **os.environ,
        "JAVA_HOME": str(java17_home()),
        "SPARK_HOME": str(spark_home()),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_DAEMON_MEMORY": "256m",
        "SPARK_LOG_DIR": str(logs),
        "SPARK_NO_DAEMONIZE": "1",
    }


@contextmanager
def _process(
    command: list[str], env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _alive_workers(ui_port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{ui_port}/json/", timeout=5) as answer:
            state = json.load(answer)
    except OSError:
        return 0
    return sum(1 for worker in state.get("workers", []) if worker.get("state") == "ALIVE")


@dataclass(frozen=True)
class Cluster:
    """A running cluster: its master URL and the master's web UI (state as JSON)."""

    url: str
    ui_port: int

    def alive_workers(self) -> int:
        return _alive_workers(self.ui_port)


@contextmanager
def standalone_cluster(root: Path, workers: int = 2, memory: str = "512m") -> Iterator[Cluster]:
    """A master on 127.0.0.1 and `workers` workers (started, registering while the caller
    goes on: a driver's first job waits for them); logs under `root`."""
    root.mkdir(parents=True, exist_ok=True)
    env = cluster_environment(root)
    spark_class = str(spark_home() / "bin" / "spark-class")
    port, ui_port = free_port(), free_port()
    url = f"spark://127.0.0.1:{port}"
    with ExitStack() as stack:
        started = [
            stack.enter_context(
                _process(
                    [
                        spark_class,
                        MASTER,
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                        "--webui-port",
                        str(ui_port),
                    ],
                    env,
                    root / "master.log",
                )
            )
        ]
        deadline = time.monotonic() + START_SECONDS
        while not _answers(ui_port):
            ended = [p.args[1] for p in started if p.poll() is not None]
            if ended or time.monotonic() > deadline:
                logs = "\n".join(p.read_text(errors="replace")[-2000:] for p in root.glob("*.log"))
                raise RuntimeError(f"the master did not start:\n{logs}")
            time.sleep(0.5)
        for n in range(workers):
            work = root / f"worker-{n}"
            work.mkdir(exist_ok=True)
            started.append(
                stack.enter_context(
                    _process(
                        [
                            spark_class,
                            WORKER,
                            "--host",
                            "127.0.0.1",
                            "--port",
                            str(free_port()),
                            "--webui-port",
                            str(free_port()),
                            "--cores",
                            "1",
                            "--memory",
                            memory,
                            "--work-dir",
                            str(work),
                            url,
                        ],
                        env,
                        root / f"worker-{n}.log",
                    )
                )
            )
        yield Cluster(url, ui_port)


def _answers(ui_port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{ui_port}/json/", timeout=5):
            return True
    except OSError:
        return False
