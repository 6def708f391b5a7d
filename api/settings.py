"""API settings from environment variables, defaulting to the embedded layout under var/."""

from __future__ import annotations

import os
from pathlib import Path


def pool_path() -> Path:
    """ONCEONLY_POOL (default `$ONCEONLY_HOME/pool/pool.duckdb`), shared with the pipelines."""
    home = Path(os.environ.get("ONCEONLY_HOME", "var"))
    return Path(os.environ.get("ONCEONLY_POOL", home / "pool" / "pool.duckdb"))
