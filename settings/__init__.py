"""Every setting of onceonly, read from the environment in this one place.

Why one module: the pipelines, the directory, the API and the command line must agree on
where `$ONCEONLY_HOME` is, where snapshots are published and which keys sign and hash, so
each variable, its default and its meaning are written down once. It sits below every other
package and imports nothing of ours, so any package may read it without an upward arrow.

Why `current()` reads the environment on every call: tests, the command line and Dagster's
run processes set variables per process and per test, and a setting read once at import
would keep a stale value. Reading is a few dictionary look-ups; a value that can be wrong (a
number) is parsed when it is asked for, so one bad variable does not stop every command that
never uses it.

Defaults put everything under `var/` in the working directory, so a fresh clone runs with
nothing to set; production points the variables at real volumes and a PostgreSQL URL.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

HOME_ENV = "ONCEONLY_HOME"
LANDING_ENV = "ONCEONLY_LANDING"
POOL_ENV = "ONCEONLY_POOL"
CERTIFIED_ENV = "ONCEONLY_CERTIFIED"
SERVING_ENV = "ONCEONLY_SERVING"
DIRECTORY_URL_ENV = "ONCEONLY_DIRECTORY_URL"
DAGSTER_HOME_ENV = "DAGSTER_HOME"
KEYS_ENV = "ONCEONLY_KEYS"
AUDIT_KEY_ENV = "ONCEONLY_AUDIT_KEY"
AUDIT_RETENTION_ENV = "ONCEONLY_AUDIT_RETENTION_DAYS"
AUDIT_HEADS_ENV = "ONCEONLY_AUDIT_HEADS"
SIGNING_KEY_ENV = "ONCEONLY_SIGNING_KEY"
PSEUDONYM_KEY_ENV = "ONCEONLY_PSEUDONYM_KEY"
CALENDAR_ENV = "ONCEONLY_CALENDAR"
ANALYTICS_CONFIG_ENV = "ONCEONLY_ANALYTICS_CONFIG"
CENTRE_NAME_ENV = "ONCEONLY_CENTRE_NAME"
RATE_LIMIT_ENV = "ONCEONLY_RATE_LIMIT"
MAX_BODY_BYTES_ENV = "ONCEONLY_MAX_BODY_BYTES"
TRUSTED_PROXIES_ENV = "ONCEONLY_TRUSTED_PROXIES"
CASE_NUMBER_PATTERN_ENV = "ONCEONLY_CASE_NUMBER_PATTERN"
CASE_RECENT_DAYS_ENV = "ONCEONLY_CASE_RECENT_DAYS"
ENGINE_ENV = "ONCEONLY_ENGINE"
SPARK_MASTER_ENV = "ONCEONLY_SPARK_MASTER"
SPARK_EXECUTOR_MEMORY_ENV = "ONCEONLY_SPARK_EXECUTOR_MEMORY"
SPARK_EXECUTOR_CORES_ENV = "ONCEONLY_SPARK_EXECUTOR_CORES"
SPARK_DRIVER_MEMORY_ENV = "ONCEONLY_SPARK_DRIVER_MEMORY"
JAVA_HOME_ENV = "JAVA_HOME"
LAKE_CATALOG_ENV = "ONCEONLY_LAKE_CATALOG"
LAKE_ENV = "ONCEONLY_LAKE"
SPARK_EXCHANGE_ENV = "ONCEONLY_SPARK_EXCHANGE"
CLI_USER_ENV = "ONCEONLY_CLI_USER"
SHARDS_ENV = "ONCEONLY_SHARDS"
API_URL_ENV = "ONCEONLY_API_URL"
TOKEN_ENV = "ONCEONLY_TOKEN"
DEFAULT_API_URL = "http://127.0.0.1:8000"
PUBLIC_URL_ENV = "ONCEONLY_PUBLIC_URL"
VERIFY_RATE_LIMIT_ENV = "ONCEONLY_VERIFY_RATE_LIMIT"

DEFAULT_RETENTION_DAYS = 1825  # five years
DEFAULT_CENTRE = "郑州市政务服务中心"
DEFAULT_RATE_LIMIT = 500.0  # requests per second per token
DEFAULT_MAX_BODY_BYTES = 2 << 20
# The public verification page answers anyone: a few scans a second from one address is a
# hall's worth of phones behind one gateway; more is someone walking the id space.
DEFAULT_VERIFY_RATE_LIMIT = 2.0  # requests per second per client address (burst: ten times)
# The sample centre's case numbers are digits (region, date, serial: 41010020261120000001);
# other approval systems add capitals and hyphens (ZZ-2026-000123). Six to forty characters.
DEFAULT_CASE_NUMBER_PATTERN = r"[0-9A-Z][0-9A-Z-]{5,39}"
DEFAULT_CASE_RECENT_DAYS = 30
ENGINES = ("duckdb", "spark")  # the embedded default, and Apache Spark for a cluster
DEFAULT_SPARK_MASTER = "local[2]"
DEFAULT_SPARK_EXECUTOR_MEMORY = "1g"
# The driver collects the rows Spark decided (as Arrow) and, on `local[N]`, runs the executors
# too: a delivery of a million rows needs a few gigabytes.
DEFAULT_SPARK_DRIVER_MEMORY = "2g"
DEFAULT_SPARK_EXECUTOR_CORES = 1
# How a delivery is split into region shards (``contracts.shards``): not at all, by province
# (the first 2 digits of the region code), or by prefecture (the first 4).
SHARD_LEVELS = ("none", "province", "prefecture")


class SettingError(ValueError):
    """A variable holds a value that cannot be used: `problem` says what is wrong with it,
    `fix` what to set instead."""

    def __init__(self, variable: str, problem: str, fix: str) -> None:
        super().__init__(f"{variable}: {problem}; {fix}")
        self.variable = variable
        self.problem = problem
        self.fix = fix


@dataclass(frozen=True)
class Settings:
    """The settings of one moment's environment. Secrets are kept out of `repr`, so a
    settings value can be logged."""

    home: Path
    landing: Path
    pool: Path
    certified: Path
    serving: Path
    directory_url: str
    dagster_home: Path
    audit_heads: Path
    keys_folder: Path  # where the centre's generated keys live (`keys`)
    signing_key: Path | None  # None: generated under `keys`, never when configured
    calendar: Path
    analytics_config: Path
    centre_name: str
    trusted_proxies: str | None  # comma-separated addresses; None: believe no proxy
    audit_key: str | None = field(default=None, repr=False)
    pseudonym_key: str | None = field(default=None, repr=False)  # "" is set, and too short
    audit_retention_text: str = ""
    rate_limit_text: str = ""
    max_body_bytes_text: str = ""
    case_number_pattern_text: str = ""
    case_recent_days_text: str = ""
    engine_text: str = ""
    spark_master: str = DEFAULT_SPARK_MASTER
    spark_executor_memory: str = DEFAULT_SPARK_EXECUTOR_MEMORY
    spark_driver_memory: str = DEFAULT_SPARK_DRIVER_MEMORY
    spark_executor_cores_text: str = ""
    java_home: Path | None = None  # the JVM Spark runs on; must be Java 17
    # Certified history on the Spark path: Iceberg tables (their SQL catalog's URL) whose
    # Parquet files live under `lake`. Empty: beside the pool, under `$ONCEONLY_HOME/lake`.
    lake_catalog: str = ""
    lake: Path = Path("var") / "lake" / "warehouse"
    # Where rows pass between the pool and Spark as Parquet files: on a cluster, a folder the
    # pool's host and every executor see at the same path.
    spark_exchange: Path = Path("var") / "spark-exchange"
    shards_text: str = ""
    cli_user: str | None = None  # the directory user `onceonly` acts as when --as is not given
    # The exchange API the command line's clerk commands call (`onceonly prefill`), and the
    # clerk's token for it (kept out of `repr`, and out of shell history when set here).
    api_url: str = DEFAULT_API_URL
    token: str | None = field(default=None, repr=False)
    # The exchange's address as applicants and other offices reach it, for the QR code on a
    # printed extract; None: the address the request that issued the extract came to.
    public_url: str | None = None
    verify_rate_limit_text: str = ""

    @property
    def keys(self) -> Path:
        """The centre's key files (see `directory.key_files`): ONCEONLY_KEYS, else
        `$ONCEONLY_HOME/keys`. API hosts of one centre share it (with the snapshots and the
        directory's database): one audit key, one signing key, one file of signed heads."""
        return self.keys_folder

    @property
    def scratch(self) -> Path:
        """Temporary files (transcoded CSVs); on the same volume as the pool for fast renames."""
        return self.home / "tmp"

    @property
    def audit_retention_days(self) -> int:
        """Entries younger than this many days are never pruned (default 1825)."""
        if not self.audit_retention_text:
            return DEFAULT_RETENTION_DAYS
        if not self.audit_retention_text.isdigit():
            raise SettingError(
                AUDIT_RETENTION_ENV,
                f"{self.audit_retention_text!r} is not a number of days",
                "set a whole number of days, e.g. 1825 for five years",
            )
        return int(self.audit_retention_text)

    @property
    def rate_limit(self) -> float:
        """Requests per second one token may make (default 500)."""
        return float(self.rate_limit_text or DEFAULT_RATE_LIMIT)

    @property
    def verify_rate_limit(self) -> float:
        """Requests per second one client address may make to the public verification page."""
        text = self.verify_rate_limit_text
        try:
            rate = float(text) if text else DEFAULT_VERIFY_RATE_LIMIT
        except ValueError:
            rate = 0.0
        if not rate > 0:
            raise SettingError(
                VERIFY_RATE_LIMIT_ENV,
                f"{text!r} is not a positive rate",
                "set requests per second per address, e.g. 2",
            )
        return rate

    @property
    def max_body_bytes(self) -> int:
        """The largest request body the API reads (default 2 MiB)."""
        return int(self.max_body_bytes_text or DEFAULT_MAX_BODY_BYTES)

    @property
    def case_number_pattern(self) -> re.Pattern[str]:
        """The centre's case-number format, a regular expression the whole number must match
        (default: digits, capitals and hyphens, 6-40 characters)."""
        return _compiled(self.case_number_pattern_text or DEFAULT_CASE_NUMBER_PATTERN)

    @property
    def case_recent_days(self) -> int:
        """How long after its completion a case still justifies reads under its number
        (corrections, an appeal, a signed extract); default 30."""
        text = self.case_recent_days_text
        if text and not text.isdigit():
            raise SettingError(
                CASE_RECENT_DAYS_ENV,
                f"{text!r} is not a number of days",
                "set a whole number of days, e.g. 30",
            )
        return int(text) if text else DEFAULT_CASE_RECENT_DAYS

    @property
    def engine(self) -> str:
        """The engine that certifies: `duckdb` (embedded, the default) or `spark`."""
        engine = self.engine_text.lower() or ENGINES[0]
        if engine not in ENGINES:
            raise SettingError(
                ENGINE_ENV,
                f"{self.engine_text!r} is not an engine",
                f"set one of {', '.join(ENGINES)} (or leave it unset for duckdb)",
            )
        return engine

    @property
    def shards(self) -> str:
        """How deliveries split into region shards: `none`, `province` or `prefecture`.

        Unset, `province` on Spark (provinces certify side by side on the cluster) and `none`
        on the embedded engine, where one machine gains nothing from splitting and each shard
        would cost a Dagster run and a gate of its own."""
        level = self.shards_text.lower() or ("province" if self.engine == "spark" else "none")
        if level not in SHARD_LEVELS:
            raise SettingError(
                SHARDS_ENV,
                f"{self.shards_text!r} is not a shard level",
                f"set one of {', '.join(SHARD_LEVELS)} (or leave it unset)",
            )
        return level

    @property
    def spark_executor_cores(self) -> int:
        """Cores per Spark executor (default 1)."""
        text = self.spark_executor_cores_text
        if text and not (text.isdigit() and int(text) > 0):
            raise SettingError(
                SPARK_EXECUTOR_CORES_ENV,
                f"{text!r} is not a number of cores",
                "set a whole number of cores, e.g. 2",
            )
        return int(text) if text else DEFAULT_SPARK_EXECUTOR_CORES


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def current(environ: Mapping[str, str] | None = None) -> Settings:
    """The settings `environ` (default: this process's environment) gives now."""
    env = os.environ if environ is None else environ
    home = Path(env.get(HOME_ENV, "var"))
    pool = Path(env.get(POOL_ENV, home / "pool" / "pool.duckdb"))
    signing_key = env.get(SIGNING_KEY_ENV)
    audit_heads = env.get(AUDIT_HEADS_ENV)
    keys = Path(env.get(KEYS_ENV) or home / "keys")
    return Settings(
        home=home,
        landing=Path(env.get(LANDING_ENV, home / "landing")),
        pool=pool,
        certified=Path(env.get(CERTIFIED_ENV, pool.with_name("certified.duckdb"))),
        serving=Path(env.get(SERVING_ENV, home / "serving")),
        directory_url=env.get(DIRECTORY_URL_ENV) or f"sqlite:///{home / 'directory.sqlite'}",
        dagster_home=Path(env.get(DAGSTER_HOME_ENV) or home / "dagster"),
        audit_heads=Path(audit_heads) if audit_heads else keys / "audit_heads.jsonl",
        keys_folder=keys,
        signing_key=Path(signing_key) if signing_key else None,
        calendar=Path(env.get(CALENDAR_ENV, home / "calendar.yaml")),
        analytics_config=Path(env.get(ANALYTICS_CONFIG_ENV, home / "analytics.yaml")),
        centre_name=env.get(CENTRE_NAME_ENV) or DEFAULT_CENTRE,
        trusted_proxies=env.get(TRUSTED_PROXIES_ENV, "").strip() or None,
        audit_key=env.get(AUDIT_KEY_ENV) or None,
        pseudonym_key=env.get(PSEUDONYM_KEY_ENV),
        audit_retention_text=env.get(AUDIT_RETENTION_ENV, "").strip(),
        rate_limit_text=env.get(RATE_LIMIT_ENV, ""),
        max_body_bytes_text=env.get(MAX_BODY_BYTES_ENV, ""),
        case_number_pattern_text=env.get(CASE_NUMBER_PATTERN_ENV, ""),
        case_recent_days_text=env.get(CASE_RECENT_DAYS_ENV, "").strip(),
        engine_text=env.get(ENGINE_ENV, "").strip(),
        spark_master=env.get(SPARK_MASTER_ENV, "").strip() or DEFAULT_SPARK_MASTER,
        spark_executor_memory=env.get(SPARK_EXECUTOR_MEMORY_ENV, "").strip()
        or DEFAULT_SPARK_EXECUTOR_MEMORY,
        spark_driver_memory=env.get(SPARK_DRIVER_MEMORY_ENV, "").strip()
        or DEFAULT_SPARK_DRIVER_MEMORY,
        spark_executor_cores_text=env.get(SPARK_EXECUTOR_CORES_ENV, "").strip(),
        java_home=Path(env[JAVA_HOME_ENV]) if env.get(JAVA_HOME_ENV) else None,
        lake_catalog=env.get(LAKE_CATALOG_ENV, "").strip()
        or f"sqlite:///{home / 'lake' / 'catalog.sqlite'}",
        lake=Path(env.get(LAKE_ENV) or home / "lake" / "warehouse"),
        spark_exchange=Path(env.get(SPARK_EXCHANGE_ENV) or home / "spark-exchange"),
        shards_text=env.get(SHARDS_ENV, "").strip(),
        cli_user=env.get(CLI_USER_ENV, "").strip() or None,
        api_url=env.get(API_URL_ENV, "").strip() or DEFAULT_API_URL,
        token=env.get(TOKEN_ENV, "").strip() or None,
        public_url=env.get(PUBLIC_URL_ENV, "").strip().rstrip("/") or None,
        verify_rate_limit_text=env.get(VERIFY_RATE_LIMIT_ENV, "").strip(),
    )


def use_java_home(path: Path) -> None:
    """Point JAVA_HOME at `path` for the JVM that pyspark launches from this process (its
    launcher reads the variable; it takes no argument for it)."""
    os.environ[JAVA_HOME_ENV] = str(path)


def home() -> Path:
    """ONCEONLY_HOME (default `var`): root of every generated file."""
    return current().home
