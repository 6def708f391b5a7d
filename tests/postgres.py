"""A throw-away PostgreSQL cluster for the tests: initdb into a temporary folder, pg_ctl start on
a free port with its socket in that folder, stopped and removed at the end.

Why a cluster of our own rather than a service: `make test` on a fresh clone must need nothing
running, two suites side by side must not share databases, and no test may touch a real
directory. One cluster per test process (each pytest-xdist worker starts its own); each test
gets a fresh database, cloned from a migrated template (`CREATE DATABASE ... TEMPLATE`), which
costs a few milliseconds instead of running the migrations again.

PostgreSQL refuses to run as root, so as root the server runs as the `postgres` system user
Debian's package creates, owning the folder. A watchdog process outlives nothing: it waits on
a pipe from the test process and, when that closes (the suite ended, failed or was killed),
stops the server and removes the folder, so no stray server is left behind.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from directory.db import driver_url

SUPERUSER = "postgres"
# A test cluster holds nothing worth keeping: no fsync, no full-page writes, small buffers.
SERVER_OPTIONS = (
    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
    "-c shared_buffers=32MB -c max_connections=300 -c max_wal_size=1GB"
)
# What a bench measures on: every commit durable, as in production.
DURABLE_OPTIONS = "-c shared_buffers=128MB -c max_connections=300 -c max_wal_size=1GB"
SERVER_USER = "postgres"  # the system user of Debian's package, when the tests run as root

_WATCHDOG = """\
import shutil, subprocess, sys
sys.stdin.read()  # returns when the test process closes the pipe or dies
subprocess.run(sys.argv[1:-1], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
shutil.rmtree(sys.argv[-1], ignore_errors=True)
"""


class ServerMissing(RuntimeError):
    """initdb and pg_ctl are not installed."""


def server_programs() -> Path:
    """The folder holding initdb and pg_ctl: Debian's /usr/lib/postgresql/<version>/bin (the
    newest), else the PATH's."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    for folder in reversed(found):
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return Path(initdb).resolve().parent
    raise ServerMissing("PostgreSQL's initdb and pg_ctl are not installed: run `make postgres`")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Cluster:
    """A running throw-away cluster; `database()` makes fresh databases on it."""

    def __init__(self, options: str = SERVER_OPTIONS) -> None:
        programs = server_programs()
        self.root = Path(tempfile.mkdtemp(prefix="onceonly-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam(SERVER_USER)
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self._as_user = ["runuser", "-u", SERVER_USER, "--"]
        self._pg_ctl = [str(programs / "pg_ctl"), "-D", str(self.data)]
        self._run(
            str(programs / "initdb"),
            "-D",
            str(self.data),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        )
        # Stops the server and removes the folder whenever this process goes away.
        self._watchdog = subprocess.Popen(
            [
                sys.executable,
                "-c",
                _WATCHDOG,
                *self._as_user,
                *self._pg_ctl,
                "stop",
                "-m",
                "immediate",
                str(self.root),
            ],
            stdin=subprocess.PIPE,
            start_new_session=True,
            cwd=self.root,
        )
        options = f"{options} -k {self.root} -p {self.port} -c listen_addresses=127.0.0.1"
        self._run(*self._pg_ctl, "-w", "-l", str(self.root / "server.log"), "-o", options, "start")
        self._names = itertools.count()
        self._templates: dict[str, str] = {}

    def _run(self, *command: str) -> None:
        done = subprocess.run(
            [*self._as_user, *command], capture_output=True, text=True, cwd=self.root
        )
        if done.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{command[0]} failed: {done.stderr or done.stdout}\n{tail}")

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of `database`, through the cluster's socket."""
        return f"postgresql+psycopg://{SUPERUSER}@/{database}?host={self.root}&port={self.port}"

    @contextlib.contextmanager
    def admin(self) -> Iterator[psycopg.Connection]:
        with psycopg.connect(
            host=str(self.root), port=self.port, user=SUPERUSER, dbname="postgres", autocommit=True
        ) as connection:
            yield connection

    def database(self, template: str | None = None) -> str:
        """A fresh database (a copy of `template`, else empty); returns its URL."""
        name = f"t{os.getpid()}_{next(self._names)}"
        with self.admin() as connection:
            if template:
                _copy(connection, name, template)
            else:
                connection.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def recreate(self, url: str, template: str) -> None:
        """Replace the database at `url` with a fresh copy of `template`."""
        name = database_name(url)
        with self.admin() as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            _copy(connection, name, template)

    def drop(self, url: str) -> None:
        with self.admin() as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {database_name(url)} WITH (FORCE)")

    def template(self, key: str, build: Callable[[str], None]) -> str:
        """The name of the template database `key`, made once by `build(url)`."""
        if key not in self._templates:
            name = f"template_{key}"
            with self.admin() as connection:
                connection.execute(f"CREATE DATABASE {name}")
            build(self.url(name))
            self._templates[key] = name
        return self._templates[key]

    def stop(self) -> None:
        """Stop the server and remove the folder (the watchdog does it, and is waited for)."""
        if self._watchdog.stdin is not None:
            self._watchdog.stdin.close()
        self._watchdog.wait(timeout=60)


def _copy(connection: psycopg.Connection, name: str, template: str) -> None:
    """CREATE DATABASE `name` as a copy of `template`, ending whatever session its builder
    left open on the template first (PostgreSQL copies no database that is in use)."""
    connection.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (template,)
    )
    connection.execute(f"CREATE DATABASE {name} TEMPLATE {template}")


def database_name(url: str) -> str:
    name = make_url(url).database
    assert name, url
    return name


def is_postgresql(url: str) -> bool:
    return driver_url(url).get_backend_name() == "postgresql"


_cluster: Cluster | None = None


def started() -> Cluster:
    """This process's cluster, started on first use."""
    global _cluster
    if _cluster is None:
        _cluster = Cluster()
    return _cluster


def stop() -> None:
    global _cluster
    if _cluster is not None:
        _cluster.stop()
        _cluster = None
