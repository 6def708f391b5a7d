"""The one error a landing run fails with: which file, what is wrong, what to do."""

from __future__ import annotations

from pathlib import Path


class LandingError(Exception):
    """A file that cannot be landed at all; the pool is left exactly as it was."""

    def __init__(self, path: Path, cause: str, action: str) -> None:
        self.path = path
        self.cause = cause
        self.action = action
        super().__init__(f"{path.name}: {cause}. {action}")
