"""The lifecycle of a catalogue entry: which status may follow which, in one table.

Once published, an entry is a promise other departments build on (grants, service items,
the upper-level platform's copy), so it only moves forward: it is superseded by another
resource (`deprecated`, naming its replacement) or withdrawn, and never goes back to draft or
review. Withdrawal is final: a resource that comes back is a new entry with a new code.

Every write path (the API's edit and restore, the command line's restore and import, the
console's form and bulk import) goes through `directory.entries.write_version`, which asks
`refusal` here; the bulk import's dry run asks it too, so a sheet's forbidden transition is
reported before anything is written.
"""

from __future__ import annotations

from types import MappingProxyType

from directory.errors import Problem, ValidationFailed
from directory.model import Status

ALLOWED: MappingProxyType[Status, tuple[Status, ...]] = MappingProxyType(
    {
        Status.draft: (Status.in_review, Status.published, Status.withdrawn),
        Status.in_review: (Status.draft, Status.published, Status.withdrawn),
        Status.published: (Status.deprecated, Status.withdrawn),
        Status.deprecated: (Status.withdrawn,),
        Status.withdrawn: (),
    }
)


class TransitionRefused(ValidationFailed):
    """A status change the lifecycle does not allow; nothing was written."""

    default_code = "invalid_transition"


def allowed_next(current: Status) -> tuple[Status, ...]:
    """The statuses an entry in `current` may move to (keeping its status is always allowed)."""
    return ALLOWED[current]


def refusal(current: Status, wanted: Status) -> Problem | None:
    """Why `current` may not become `wanted`, with the allowed next states; None if it may."""
    if wanted is current or wanted in ALLOWED[current]:
        return None
    options = ", ".join(s.value for s in allowed_next(current)) or "none"
    fix = (
        f"set the status to one of: {options}"
        if allowed_next(current)
        else "a withdrawn entry is final; catalogue the resource again under a new code"
    )
    return Problem(
        "status",
        f"a {current.value} entry cannot become {wanted.value} (allowed next states: {options})",
        fix,
    )


def check_transition(code: str, current: Status, wanted: Status) -> None:
    """Raise TransitionRefused when the lifecycle forbids `current` -> `wanted`."""
    problem = refusal(current, wanted)
    if problem is not None:
        raise TransitionRefused([problem], f"entry {code}")
