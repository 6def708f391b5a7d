"""Fixtures' expensive builds done once per test session and shared by the test processes.

Under pytest-xdist every worker is its own process with its own temporary folder, so a
template an in-process cache holds is built once per worker: the same Dagster runs paid
twice on a 2-core machine. The workers' folders share a parent that lives exactly as long as
the session (`<session>/popen-gwN`), so the first worker to ask builds there under a file lock
(filelock, as pytest-xdist's documentation suggests) and the others wait for it and read it.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from filelock import FileLock

_known: dict[Path, dict[str, Any]] = {}  # this process's builds already found, by folder


def built_once(
    scratch: Path, name: str, build: Callable[[Path], dict[str, Any]]
) -> tuple[Path, dict[str, Any]]:
    """The folder `name` built by `build(folder)` once in this session, and the facts (JSON)
    `build` returned about it. `scratch` is this process's pytest base temporary folder.
    Readers copy what they change: the folder is shared."""
    root = scratch.parent if os.environ.get("PYTEST_XDIST_WORKER") else scratch
    folder = root / name
    if folder not in _known:
        recorded = folder / "built.json"
        with FileLock(f"{folder}.lock"):
            if not recorded.exists():
                shutil.rmtree(folder, ignore_errors=True)  # a build that failed halfway
                folder.mkdir(parents=True)
                recorded.write_text(json.dumps(build(folder)), encoding="utf-8")
        _known[folder] = json.loads(recorded.read_text(encoding="utf-8"))
    return folder, _known[folder]
