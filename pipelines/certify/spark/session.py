"""The SparkSession certification runs on, configured so Spark computes what DuckDB does.

Spark 4 and its Hadoop libraries run on Java 17 (newer JVMs refuse Hadoop's security calls),
so the session is started on a Java 17 runtime: JAVA_HOME when it is one, else Debian's
OpenJDK 17 (`make java` installs it). Timestamps are naive (TIMESTAMP_NTZ, like DuckDB's
TIMESTAMP) and ANSI mode is on (bad casts fail, as on DuckDB), whatever the cluster's defaults.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

JAVA_VERSION = 17
DEBIAN_JVMS = "/usr/lib/jvm/java-17-openjdk-*"
APP_NAME = "onceonly-certify"


@dataclass(frozen=True)
class SparkSettings:
    """Where and how big: `master` is `local[N]`, `spark://host:port` or `k8s://...`."""

    master: str = "local[2]"
    executor_memory: str = "1g"
    executor_cores: int = 1
    driver_memory: str = "1g"
    ui: bool = False
    extra: tuple[tuple[str, str], ...] = ()  # further Spark options, e.g. JVM flags for tests


# Small batches on a small machine (tests): a JVM that compiles less and plans less costs a
# fraction of the time; a cluster certifying a province keeps Spark's defaults.
SMALL_DATA = (
    ("spark.sql.shuffle.partitions", "2"),
    ("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"),
    ("spark.executor.extraJavaOptions", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"),
    ("spark.sql.adaptive.enabled", "false"),
)


class JavaNotFoundError(RuntimeError):
    """No Java 17 runtime: Spark cannot start."""


def java_major(home: Path) -> int | None:
    """The major version of the JDK or JRE at `home`, from its `release` file."""
    try:
        text = (home / "release").read_text(encoding="utf-8")
    except OSError:
        return None
    found = re.search(r'JAVA_VERSION="(?:1\.)?([0-9]+)', text)
    return int(found.group(1)) if found else None


def java17_home(current: settings.Settings | None = None) -> Path:
    """A Java 17 runtime: JAVA_HOME if it is one, else Debian's OpenJDK 17, else the `java`
    on the PATH if it is 17."""
    configured = (current or settings.current()).java_home
    on_path = shutil.which("java")
    candidates = [
        *([configured] if configured else []),
        *(Path(p) for p in sorted(glob.glob(DEBIAN_JVMS))),
        *([Path(on_path).resolve().parents[1]] if on_path else []),
    ]
    for candidate in candidates:
        if java_major(candidate) == JAVA_VERSION:
            return candidate
    raise JavaNotFoundError(
        f"Spark needs a Java {JAVA_VERSION} runtime: set JAVA_HOME to one, or run `make java` "
        "(Debian's openjdk-17-jre-headless)"
    )


def local_cores(master: str) -> int | None:
    """N of `local[N]` (`local[*]`: this machine's cores); None for a cluster's master."""
    found = re.fullmatch(r"local(?:\[(\*|[0-9]+)(?:,[0-9]+)?\])?", master.strip())
    if found is None:
        return None
    cores = found.group(1) or "1"
    return (os.cpu_count() or 1) if cores == "*" else int(cores)


def spark_conf(config: SparkSettings) -> dict[str, str]:
    """Every option the session is built with."""
    conf = {
        "spark.master": config.master,
        "spark.app.name": APP_NAME,
        "spark.executor.memory": config.executor_memory,
        "spark.executor.cores": str(config.executor_cores),
        "spark.driver.memory": config.driver_memory,
        # The driver collects only figures (counts, the gate's metrics and samples); what it
        # collects is bounded by its memory, not by a second, smaller limit.
        "spark.driver.maxResultSize": "0",
        "spark.ui.enabled": str(config.ui).lower(),
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.timestampType": "TIMESTAMP_NTZ",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.ansi.enabled": "true",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        # Python workers run the interpreter that runs this code (its pyspark, pyarrow and
        # NumPy), not whatever `python3` the PATH holds; a cluster elsewhere overrides it.
        "spark.pyspark.python": sys.executable,
    }
    # Shuffles (duplicates, key collisions, the history merge): on one machine, one partition
    # per core (measured at 1 M persons on local[2]: 75 s against 111 s with Spark's 200,
    # whose many small tasks cost most in the gate's jobs); on a cluster, Spark's 200 that
    # adaptive execution coalesces, so every executor core takes a share of each shuffle.
    cores = local_cores(config.master)
    if cores is not None:
        conf["spark.sql.shuffle.partitions"] = str(cores)
    if config.master.startswith("local") or "127.0.0.1" in config.master:
        conf["spark.driver.host"] = "127.0.0.1"
        conf["spark.driver.bindAddress"] = "127.0.0.1"
    conf.update(config.extra)
    return conf


def spark_session(config: SparkSettings) -> SparkSession:
    """The process's SparkSession for `config` (started once; later calls reuse it)."""
    settings.use_java_home(java17_home())
    from pyspark.sql import SparkSession

    builder = SparkSession.builder
    for key, value in spark_conf(config).items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("FATAL")
    return session
