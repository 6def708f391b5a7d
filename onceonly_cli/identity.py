"""Who the command line acts as: a named directory user, never the operating-system account.

The CLI opens the directory database directly, so nothing authenticates it; what it writes
(an entry's history, the audit log) must still name a person the directory knows, with a
role and a department, as the API's writes do. A login such as ``root`` names a machine
account shared by whoever holds it, so it is never recorded: each command that writes or
reads under a name takes ``--as USER`` or, failing that, ``ONCEONLY_CLI_USER``, and is
refused with what to do when neither names a user whose role allows the command.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

import typer

import settings
from directory.actors import Actor, Role
from directory.errors import NotFound, PermissionDenied
from directory.store import Directory

AsUser = Annotated[
    str | None,
    typer.Option(
        "--as",
        help="The directory user this is recorded under (default: ONCEONLY_CLI_USER); "
        "their role and department apply.",
    ),
]


class NoIdentity(PermissionDenied):
    """A command that records who acted, run without naming a directory user."""

    default_code = "no_identity"


def acting_user(
    directory: Directory, as_user: str | None, roles: Iterable[Role], what: str
) -> Actor:
    """The actor `as_user` (or ``ONCEONLY_CLI_USER``) names, if their role may do `what`.

    Raises a directory error (printed by ``guarded``) saying how to name a user, or which
    role is needed, so the command stops before it changes anything.
    """
    allowed = tuple(roles)
    needed = " or ".join(role.value for role in allowed)
    name = as_user or settings.current().cli_user
    if not name:
        raise NoIdentity(
            f"to {what} the command line must name who does it: give --as USER, or set "
            f"{settings.CLI_USER_ENV}=USER, naming a directory user who is {_a(needed)} "
            "(`onceonly token create USER --role ROLE --department DEPT` creates one)"
        )
    try:
        user = directory.identity.get_user(name)
    except NotFound:
        raise NoIdentity(
            f"no directory user {name!r} (named by --as or {settings.CLI_USER_ENV}): check "
            "the name with `onceonly token list`, or create the user with `onceonly token "
            "create USER --role ROLE --department DEPT`"
        ) from None
    if user.disabled:
        raise PermissionDenied(
            f"{name} is disabled and may not {what}: act as another user with --as"
        )
    if user.role not in allowed:
        raise PermissionDenied(
            f"{name} is {_a(user.role.value)} of {user.department} and may not {what}: only "
            f"{_a(needed)} may; give --as a user with that role"
        )
    return user.actor


def _a(noun: str) -> str:
    """The noun with its English article: "an admin", "a steward"."""
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"
