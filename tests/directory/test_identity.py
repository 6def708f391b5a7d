"""Users and API tokens: shown once, stored as a hash, revocable."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from directory.actors import Role
from directory.errors import AuthenticationFailed, InvalidState, ValidationFailed
from directory.identity import hash_token
from directory.store import Directory, open_directory
from directory.tables import ApiToken


def test_a_token_is_shown_once_and_kept_as_a_hash(directory: Directory) -> None:
    directory.identity.create_user("wang.li", Role.steward, "mr", "王丽")
    issued = directory.identity.issue_token("wang.li", "前台 3")
    assert issued.token.startswith("oo_") and len(issued.token) > 40
    with directory.db.read() as session:
        stored = session.scalars(select(ApiToken.token_hash)).one()
    assert stored == hash_token(issued.token) != issued.token
    assert issued.token not in repr(directory.identity.list_tokens())
    caller = directory.identity.authenticate(issued.token)
    assert (caller.name, caller.role, caller.department) == ("wang.li", Role.steward, "mr")


def test_invalid_revoked_and_disabled(directory: Directory) -> None:
    directory.identity.create_user("li.na", Role.clerk, "hrss")
    first = directory.identity.issue_token("li.na")
    second = directory.identity.issue_token("li.na")
    with pytest.raises(AuthenticationFailed) as invalid:
        directory.identity.authenticate(first.token + "x")
    assert invalid.value.code == "token_invalid"
    directory.identity.revoke_token(first.info.id)
    with pytest.raises(AuthenticationFailed) as revoked:
        directory.identity.authenticate(first.token)
    assert revoked.value.code == "token_revoked" and "ask an admin" in revoked.value.message
    assert directory.identity.authenticate(second.token).name == "li.na"
    directory.identity.set_disabled("li.na", True)
    with pytest.raises(AuthenticationFailed) as disabled:
        directory.identity.authenticate(second.token)
    assert disabled.value.code == "user_disabled"
    directory.identity.set_disabled("li.na", False)
    assert directory.identity.authenticate(second.token).name == "li.na"
    tokens = directory.identity.list_tokens("li.na")
    assert [(t.id, t.revoked_at is not None) for t in tokens] == [
        (first.info.id, True),
        (second.info.id, False),
    ]


def test_a_change_made_by_another_process_reaches_cached_tokens(directory: Directory) -> None:
    directory.identity.create_user("li.na", Role.clerk, "hrss")
    issued = directory.identity.issue_token("li.na")
    assert directory.identity.authenticate(issued.token).name == "li.na"  # now cached
    cli = open_directory()  # as `onceonly token revoke` opens it, on the same file
    try:
        cli.identity.set_disabled("li.na", True)
        with pytest.raises(AuthenticationFailed) as disabled:
            directory.identity.authenticate(issued.token)
        assert disabled.value.code == "user_disabled"
        cli.identity.set_disabled("li.na", False)
        assert directory.identity.authenticate(issued.token).name == "li.na"
        cli.identity.revoke_token(issued.info.id)
        with pytest.raises(AuthenticationFailed) as revoked:
            directory.identity.authenticate(issued.token)
        assert revoked.value.code == "token_revoked"
    finally:
        cli.close()


def test_users_are_validated(directory: Directory) -> None:
    with pytest.raises(ValidationFailed) as failed:
        directory.identity.create_user("Wang Li", "boss", "xx")
    assert {p.field for p in failed.value.problems} == {"name", "role", "department"}
    directory.identity.create_user("zhao", Role.admin, "gsc")
    with pytest.raises(InvalidState, match="already exists"):
        directory.identity.create_user("zhao", Role.admin, "gsc")
