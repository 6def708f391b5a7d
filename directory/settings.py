"""Where the directory database lives, from the environment, defaulting to an embedded file.

SQLite under `$ONCEONLY_HOME` lets a fresh clone run with nothing to set up; production sets
ONCEONLY_DIRECTORY_URL to a PostgreSQL URL so the API's many writers share one server.
"""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    """ONCEONLY_HOME (default `var`): root of every generated file."""
    return Path(os.environ.get("ONCEONLY_HOME", "var"))


def directory_url() -> str:
    """ONCEONLY_DIRECTORY_URL (default `sqlite:///$ONCEONLY_HOME/directory.sqlite`)."""
    configured = os.environ.get("ONCEONLY_DIRECTORY_URL")
    if configured:
        return configured
    return f"sqlite:///{home() / 'directory.sqlite'}"
