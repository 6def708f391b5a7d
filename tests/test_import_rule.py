"""The import rule `make lint` checks (pyproject.toml's `[tool.importlinter]`): it holds on
the code as it is, and it fails, naming the import, when one import breaks it. Each bad
import is added to a copy of the packages, so the real tree is never touched."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
NOT_SHIPPED = {"tests", "bench"}  # import our packages, but nothing imports them


def _root_packages() -> list[str]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return list(tomllib.load(file)["tool"]["importlinter"]["root_packages"])


def _lint_imports(where: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` as `make lint` runs it, in `where` (its packages come first on the path)."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=where,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(where)},
    )


def test_every_package_is_under_the_rule() -> None:
    """A new top-level package must join `root_packages` (and a layer): the rule cannot see
    the imports of a package it does not list."""
    packages = {
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name not in NOT_SHIPPED
    }
    assert packages == set(_root_packages())


def test_the_code_keeps_the_import_rule() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "bad_import", "contract", "named"),
    [
        (
            "contracts/model.py",
            "import directory.errors",
            "Packages import downwards only",
            "contracts.model -> directory.errors",
        ),
        (
            "settings/__init__.py",
            "import contracts.model",
            "Packages import downwards only",
            "settings -> contracts.model",
        ),
        (
            "directory/store.py",
            "import api.models",
            "Packages import downwards only",
            "directory.store -> api.models",
        ),
        (
            "api/deps.py",
            "import pipelines.asset_keys",
            "Packages import downwards only",
            "api.deps -> pipelines.asset_keys",
        ),
        (
            "pipelines/certify/history.py",
            "import api.errors",
            "Packages import downwards only",
            "pipelines.certify.history -> api.errors",
        ),
        (
            "snapshot/reader.py",
            "import pipelines.certify.publish",
            "Packages import downwards only",
            "snapshot.reader -> pipelines.certify.publish",
        ),
        (
            "snapshot/calendar.py",
            "import directory.store",
            "Packages import downwards only",
            "snapshot.calendar -> directory.store",
        ),
        (
            "contracts/returns.py",
            "import snapshot.quality",
            "Packages import downwards only",
            "contracts.returns -> snapshot.quality",
        ),
        (
            "api/routers/quality.py",
            "import api.routers.resources",
            "No router imports another router",
            "api.routers.quality -> api.routers.resources",
        ),
        (
            "pipelines/certify/scores.py",
            "import pipelines.landing.staging",
            "borrow nothing from the landing stage",
            "pipelines.certify.scores -> pipelines.landing.staging",
        ),
    ],
)
def test_one_bad_import_breaks_the_rule(
    tmp_path: Path, module: str, bad_import: str, contract: str, named: str
) -> None:
    copy = tmp_path / "onceonly"
    copy.mkdir()
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    for package in _root_packages():
        shutil.copytree(
            ROOT / package, copy / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    assert _lint_imports(copy).returncode == 0  # the copy keeps the rule, like the tree
    source = copy / module
    source.write_text(f"{bad_import}  # noqa\n" + source.read_text(encoding="utf-8"))

    result = _lint_imports(copy)

    assert result.returncode == 1, result.stdout + result.stderr
    assert contract in result.stdout and "BROKEN" in result.stdout
    assert re.search(rf"-\s+{re.escape(named)} \(l\.1\)", result.stdout), result.stdout
