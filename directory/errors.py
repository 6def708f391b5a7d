"""What can go wrong in the directory, as exceptions that carry a machine-readable code.

The message always says what to do next; the API maps each class to one HTTP status and
the CLI prints the message, so the wording is written once, here or where it is raised.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an edit: the field (a path such as `data_items[2].type`), what is
    wrong, and how to fix it."""

    field: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message} ({self.fix})"


class DirectoryError(Exception):
    """Base of every directory error; `code` is stable, `message` is for people."""

    default_code = "directory_error"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code


class NotFound(DirectoryError):
    default_code = "not_found"


class PermissionDenied(DirectoryError):
    default_code = "forbidden"


class ValidationFailed(DirectoryError):
    """An edit that breaks the catalogue's rules; nothing was written."""

    default_code = "invalid"

    def __init__(self, problems: list[Problem], subject: str = "the edit") -> None:
        count = len(problems)
        listing = "; ".join(str(p) for p in problems)
        super().__init__(f"{subject} has {count} problem{'s' * (count != 1)}: {listing}")
        self.problems = problems


class EditConflict(DirectoryError):
    """Saving over a version newer than the one the editor started from."""

    default_code = "edit_conflict"

    def __init__(
        self, code: str, yours: int, current: int, changed_by: str, fields: list[str]
    ) -> None:
        listing = ", ".join(fields) or "no fields"
        super().__init__(
            f"entry {code} is at version {current} but you edited version {yours}; "
            f"{changed_by} changed {listing} in between. Reload the entry, reapply your "
            "change and save with the new version."
        )
        self.entry_code = code
        self.yours = yours
        self.current = current
        self.changed_by = changed_by
        self.fields = fields


class InvalidState(DirectoryError):
    """An action the object's current state does not allow (approving a rejected request)."""

    default_code = "invalid_state"


class RequestRefused(DirectoryError):
    """A share request the sharing rules refuse outright (not shared, own resource, ...)."""

    default_code = "request_refused"


class AuthenticationFailed(DirectoryError):
    default_code = "unauthenticated"
