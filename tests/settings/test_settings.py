"""One settings module: every variable and default in one place, and no other module of
ours reading the environment behind its back."""

from __future__ import annotations

import ast
import stat
from pathlib import Path

import pytest

import settings
from directory.audit import retention_days
from directory.errors import ValidationFailed
from pipelines.analytics.pseudonym import key_path, pseudonym_key

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("contracts", "pipelines", "directory", "api", "onceonly_cli")


def test_defaults_put_everything_under_the_home() -> None:
    found = settings.current({"ONCEONLY_HOME": "/srv/centre"})
    home = Path("/srv/centre")
    assert found.home == home
    assert found.landing == home / "landing"
    assert found.pool == home / "pool" / "pool.duckdb"
    assert found.certified == home / "pool" / "certified.duckdb"
    assert found.serving == home / "serving"
    assert found.directory_url == "sqlite:////srv/centre/directory.sqlite"
    assert found.dagster_home == home / "dagster"
    assert found.keys == home / "keys"
    assert found.audit_heads == home / "keys" / "audit_heads.jsonl"
    assert found.signing_key is None
    assert found.calendar == home / "calendar.yaml"
    assert found.analytics_config == home / "analytics.yaml"
    assert found.centre_name == settings.DEFAULT_CENTRE
    assert found.trusted_proxies is None
    assert found.audit_retention_days == settings.DEFAULT_RETENTION_DAYS
    assert found.rate_limit == settings.DEFAULT_RATE_LIMIT
    assert found.max_body_bytes == settings.DEFAULT_MAX_BODY_BYTES
    assert settings.current({}).home == Path("var")


def test_each_variable_overrides_its_default() -> None:
    found = settings.current(
        {
            "ONCEONLY_POOL": "/data/pool.duckdb",
            "ONCEONLY_DIRECTORY_URL": "postgresql://centre/directory",
            "ONCEONLY_SIGNING_KEY": "/etc/onceonly/signing.pem",
            "ONCEONLY_TRUSTED_PROXIES": " 10.0.0.1 ",
            "ONCEONLY_AUDIT_RETENTION_DAYS": "30",
            "ONCEONLY_RATE_LIMIT": "20",
        }
    )
    assert found.certified == Path("/data/certified.duckdb")  # beside the configured pool
    assert found.directory_url == "postgresql://centre/directory"
    assert found.signing_key == Path("/etc/onceonly/signing.pem")
    assert found.trusted_proxies == "10.0.0.1"
    assert (found.audit_retention_days, found.rate_limit) == (30, 20.0)


def test_secrets_stay_out_of_the_printed_settings() -> None:
    found = settings.current({"ONCEONLY_AUDIT_KEY": "k" * 40, "ONCEONLY_PSEUDONYM_KEY": "p" * 40})
    assert found.audit_key == "k" * 40
    assert "k" * 40 not in repr(found) and "p" * 40 not in repr(found)


def test_a_bad_number_fails_only_where_it_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONCEONLY_AUDIT_RETENTION_DAYS", "five years")
    assert settings.current().home  # every other setting still reads
    with pytest.raises(ValidationFailed) as caught:
        retention_days()
    problem = caught.value.problems[0]
    assert problem.field == "ONCEONLY_AUDIT_RETENTION_DAYS"
    assert "set a whole number of days" in problem.fix


def test_the_pseudonym_key_is_a_key_file_like_the_others(onceonly_home: Path) -> None:
    """Generated through `directory.key_files`: the keys folder is private too, not just
    the file."""
    key = pseudonym_key()
    assert len(key) == 64 and key == pseudonym_key()
    assert stat.S_IMODE(key_path().stat().st_mode) == 0o600
    assert stat.S_IMODE(key_path().parent.stat().st_mode) == 0o700


def _environment_reads(path: Path) -> list[str]:
    """`os.environ.get(...)`, `os.environ[...]` read and `os.getenv(...)` in one file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        environ = (
            isinstance(node, ast.Attribute)
            and node.attr in {"environ", "getenv"}
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
        )
        if environ:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_only_the_settings_module_reads_the_environment() -> None:
    """Writing DAGSTER_HOME for Dagster's own library is the one use of `os.environ` left."""
    reads = [
        place
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        for place in _environment_reads(path)
    ]
    assert [place.split(":")[0] for place in reads] == ["pipelines/instance.py"], reads


def test_one_setting_switches_the_certification_engine() -> None:
    embedded = settings.current({})
    assert embedded.engine == "duckdb" and embedded.spark_master == "local[2]"
    cluster = settings.current(
        {
            "ONCEONLY_ENGINE": "Spark",
            "ONCEONLY_SPARK_MASTER": "spark://10.0.0.5:7077",
            "ONCEONLY_SPARK_EXECUTOR_MEMORY": "8g",
            "ONCEONLY_SPARK_EXECUTOR_CORES": "4",
        }
    )
    assert (cluster.engine, cluster.spark_master) == ("spark", "spark://10.0.0.5:7077")
    assert (cluster.spark_executor_memory, cluster.spark_executor_cores) == ("8g", 4)
    with pytest.raises(settings.SettingError, match="duckdb, spark"):
        _ = settings.current({"ONCEONLY_ENGINE": "flink"}).engine
    with pytest.raises(settings.SettingError, match="number of cores"):
        _ = settings.current({"ONCEONLY_SPARK_EXECUTOR_CORES": "many"}).spark_executor_cores


def test_the_shard_level_follows_the_engine_unless_set() -> None:
    assert settings.current({}).shards == "none"
    assert settings.current({"ONCEONLY_ENGINE": "spark"}).shards == "province"
    chosen = {"ONCEONLY_ENGINE": "spark", "ONCEONLY_SHARDS": "Prefecture"}
    assert settings.current(chosen).shards == "prefecture"
    with pytest.raises(settings.SettingError, match="none, province, prefecture"):
        _ = settings.current({"ONCEONLY_SHARDS": "county"}).shards


def test_the_engine_resource_follows_the_settings() -> None:
    from pipelines.certify.duckdb_engine import DuckDBEngine
    from pipelines.certify.engine_resource import EngineResource

    embedded = EngineResource.from_settings(settings.current({}))
    assert embedded.factory() is DuckDBEngine  # no JVM for the embedded default
    cluster = EngineResource.from_settings(
        settings.current({"ONCEONLY_ENGINE": "spark", "ONCEONLY_SPARK_EXECUTOR_CORES": "2"})
    )
    assert (cluster.engine, cluster.spark_master, cluster.spark_executor_cores) == (
        "spark",
        "local[2]",
        2,
    )


def test_the_command_line_identity_is_a_setting_and_unset_by_default() -> None:
    assert settings.current({}).cli_user is None
    assert settings.current({"ONCEONLY_CLI_USER": "  "}).cli_user is None
    assert settings.current({"ONCEONLY_CLI_USER": "wang.li"}).cli_user == "wang.li"
