"""API settings from environment variables, defaulting to the embedded layout under var/."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    return Path(os.environ.get("ONCEONLY_HOME", "var"))


def serving_dir() -> Path:
    """ONCEONLY_SERVING (default `$ONCEONLY_HOME/serving`): snapshots the pipelines publish."""
    return Path(os.environ.get("ONCEONLY_SERVING", home() / "serving"))
