"""Where the pipelines keep their files, from environment variables with embedded defaults.

Everything defaults to `var/` under the working directory so that a fresh clone runs with
nothing to set up; production points the variables at real volumes.
"""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    """ONCEONLY_HOME (default `var`): root of every generated file."""
    return Path(os.environ.get("ONCEONLY_HOME", "var"))


def landing_root() -> Path:
    """ONCEONLY_LANDING (default `$ONCEONLY_HOME/landing`): where departments drop files."""
    return Path(os.environ.get("ONCEONLY_LANDING", home() / "landing"))


def pool_path() -> Path:
    """ONCEONLY_POOL (default `$ONCEONLY_HOME/pool/pool.duckdb`): the pipelines' DuckDB file."""
    return Path(os.environ.get("ONCEONLY_POOL", home() / "pool" / "pool.duckdb"))


def certified_path() -> Path:
    """ONCEONLY_CERTIFIED (default beside the pool): certified history and quality records.

    A file of its own so that publishing a snapshot is a file copy, not a table copy.
    """
    return Path(os.environ.get("ONCEONLY_CERTIFIED", pool_path().with_name("certified.duckdb")))


def serving_dir() -> Path:
    """ONCEONLY_SERVING (default `$ONCEONLY_HOME/serving`): published read-only snapshots."""
    return Path(os.environ.get("ONCEONLY_SERVING", home() / "serving"))


def scratch_dir() -> Path:
    """Temporary files (transcoded CSVs); on the same volume as the pool for fast renames."""
    return home() / "tmp"
