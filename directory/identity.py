"""Users and API tokens: who is calling, in which role, for which department.

A token is shown once when issued and kept only as its SHA-256. Tokens are 256 random bits,
so a fast unsalted hash is enough (nothing to brute-force, unlike a password) and lets a
request be authenticated with one indexed lookup. Tokens already authenticated are kept in
memory until any user or token changes (see `directory.identity_cache`), so that lookup runs
once per token, not once per request; every write here moves the change counter on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from directory.actors import Actor, Role
from directory.db import Database
from directory.departments import departments, known_codes
from directory.entries import now
from directory.errors import AuthenticationFailed, InvalidState, NotFound, Problem, ValidationFailed
from directory.identity_cache import BUMP, GenerationCache, GenerationProbe
from directory.tables import ApiToken, ConsoleSession, User

TOKEN_PREFIX = "oo_"
_USER_NAME = r"^[a-z][a-z0-9_.-]{1,63}$"


@dataclass(frozen=True)
class UserView:
    id: int
    name: str
    display_name: str
    role: Role
    department: str
    created_at: dt.datetime
    disabled: bool

    @property
    def actor(self) -> Actor:
        return Actor(self.name, self.role, self.department)


@dataclass(frozen=True)
class TokenView:
    id: int
    user: str
    prefix: str
    label: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None


@dataclass(frozen=True)
class IssuedToken:
    """The only time the secret exists outside the caller's hands."""

    token: str
    info: TokenView


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _user_view(row: User) -> UserView:
    return UserView(
        row.id,
        row.name,
        row.display_name,
        Role(row.role),
        row.department,
        row.created_at,
        row.disabled_at is not None,
    )


def _token_view(row: ApiToken, user: str) -> TokenView:
    return TokenView(row.id, user, row.prefix, row.label, row.created_at, row.revoked_at)


class Identity:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._probe = GenerationProbe(db.engine)
        self._users: GenerationCache[UserView] = GenerationCache(self._probe)

    def close(self) -> None:
        self._probe.close()

    def create_user(
        self, name: str, role: Role | str, department: str, display_name: str = ""
    ) -> UserView:
        problems = []
        if not re.match(_USER_NAME, name):
            problems.append(
                Problem(
                    "name",
                    f"{name!r} is not a user name",
                    "use 2-64 lower-case letters, digits, '.', '_' or '-', starting with a letter",
                )
            )
        if role not in {r.value for r in Role}:
            problems.append(
                Problem("role", f"unknown role {role!r}", f"use one of: {', '.join(Role)}")
            )
        if department not in departments():
            problems.append(
                Problem(
                    "department",
                    f"unknown department {department!r}",
                    f"use one of: {known_codes()}",
                )
            )
        if problems:
            raise ValidationFailed(problems, f"user {name}")
        with self._db.write() as session:
            if session.scalars(select(User).where(User.name == name)).first() is not None:
                raise InvalidState(f"user {name} already exists; issue them a token instead")
            row = User(
                name=name,
                display_name=display_name or name,
                role=Role(role).value,
                department=department,
                created_at=now(),
            )
            session.add(row)
            session.execute(BUMP)
            session.flush()
            return _user_view(row)

    def get_user(self, name: str) -> UserView:
        with self._db.read() as session:
            return _user_view(self._user(session, name))

    def list_users(self) -> list[UserView]:
        with self._db.read() as session:
            return [_user_view(r) for r in session.scalars(select(User).order_by(User.name))]

    def set_disabled(self, name: str, disabled: bool) -> UserView:
        """Disable a user (their tokens stop working at once) or enable them again."""
        with self._db.write() as session:
            row = self._user(session, name)
            row.disabled_at = (row.disabled_at or now()) if disabled else None
            if disabled:  # their console sessions end too, and stay ended if re-enabled
                session.execute(delete(ConsoleSession).where(ConsoleSession.user_id == row.id))
            session.execute(BUMP)
            return _user_view(row)

    def issue_token(self, user: str, label: str = "") -> IssuedToken:
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._db.write() as session:
            owner = self._user(session, user)
            if owner.disabled_at is not None:
                raise InvalidState(f"user {user} is disabled; enable them before issuing a token")
            row = ApiToken(
                user_id=owner.id,
                token_hash=hash_token(secret),
                prefix=secret[: len(TOKEN_PREFIX) + 6],
                label=label,
                created_at=now(),
            )
            session.add(row)
            session.execute(BUMP)
            session.flush()
            return IssuedToken(secret, _token_view(row, owner.name))

    def revoke_token(self, token_id: int) -> TokenView:
        with self._db.write() as session:
            row = session.get(ApiToken, token_id)
            if row is None:
                raise NotFound(f"no token #{token_id}; `onceonly token list` shows their ids")
            row.revoked_at = row.revoked_at or now()
            session.execute(delete(ConsoleSession).where(ConsoleSession.token_id == row.id))
            session.execute(BUMP)
            owner = session.get(User, row.user_id)
            return _token_view(row, owner.name if owner else "")

    def list_tokens(self, user: str | None = None) -> list[TokenView]:
        with self._db.read() as session:
            query = select(ApiToken, User.name).join(User, User.id == ApiToken.user_id)
            if user is not None:
                query = query.where(User.name == user)
            rows = session.execute(query.order_by(ApiToken.id)).tuples()
            return [_token_view(token, name) for token, name in rows]

    def authenticate(self, token: str) -> UserView:
        """The user a bearer token belongs to, or AuthenticationFailed saying what to do.

        Answered from memory for a token seen since the last change to any user or token;
        only valid tokens are kept (invalid ones would let anyone fill the cache)."""
        token_hash = hash_token(token)
        generation, cached = self._users.lookup(token_hash)
        if cached is not None:
            return cached
        user = self._lookup(token_hash)
        self._users.store(generation, token_hash, user)
        return user

    def claimed_by(self, token: str) -> UserView | None:
        """Whose token this is, revoked or disabled or not; None for a token never issued.
        Only for saying who a refused caller claimed to be: it authenticates nothing."""
        with self._db.read() as session:
            found = session.execute(
                select(User)
                .join(ApiToken, User.id == ApiToken.user_id)
                .where(ApiToken.token_hash == hash_token(token))
            ).scalar_one_or_none()
            return _user_view(found) if found is not None else None

    def _lookup(self, token_hash: str) -> UserView:
        with self._db.read() as session:
            found = session.execute(
                select(ApiToken, User)
                .join(User, User.id == ApiToken.user_id)
                .where(ApiToken.token_hash == token_hash)
            ).first()
            if found is None:
                raise AuthenticationFailed(
                    "the token is not valid; check it was copied whole, or ask an admin for a "
                    "new one (`onceonly token create`)",
                    "token_invalid",
                )
            api_token, user = found.tuple()
            if api_token.revoked_at is not None:
                raise AuthenticationFailed(
                    f"the token was revoked on {api_token.revoked_at:%Y-%m-%d}; ask an admin "
                    "for a new one",
                    "token_revoked",
                )
            if user.disabled_at is not None:
                raise AuthenticationFailed(
                    f"user {user.name} is disabled; ask an admin to enable the account",
                    "user_disabled",
                )
            return _user_view(user)

    @staticmethod
    def _user(session: Session, name: str) -> User:
        row = session.scalars(select(User).where(User.name == name)).first()
        if row is None:
            raise NotFound(f"no user {name}; create them with `onceonly token create`")
        return row
