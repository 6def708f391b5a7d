"""The one error a landing run fails with: which file, what is wrong, what to do."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dagster._utils.error import SerializableErrorInfo


class LandingError(Exception):
    """A file that cannot be landed at all; the pool is left exactly as it was."""

    def __init__(self, path: Path, cause: str, action: str) -> None:
        self.path = path
        self.cause = cause
        self.action = action
        super().__init__(f"{path.name}: {cause}. {action}")


def asset_error_message(error: SerializableErrorInfo) -> str:
    """The message of the error an asset raised, as its run's log shows it.

    Dagster wraps the asset's error in its own (`DagsterExecutionStepExecutionError`); the
    asset's error in turn names the library error it was raised from. The message to show is
    the asset's: it says which file, what is wrong and what to do, where the library's says
    "invalid Zip archive" or quotes the SQL that failed.
    """
    chain = [error]
    while chain[-1].cause is not None:
        chain.append(chain[-1].cause)
    own = next((e for e in chain if not (e.cls_name or "").startswith("Dagster")), chain[-1])
    return own.message.strip().split(": ", 1)[-1]
