"""Web console sessions, kept in the directory: the one store every API process shares.

The console calls the API with the signed-in user's own token, so that authorisation,
masking and the audit log stay the API's. The browser must not hold that token: a cookie
outlives the tab on a shared counter PC, and the server could not end it. So the cookie
carries a random session id only; the row keeps the id's SHA-256 (to find it) and the token
sealed with AES-GCM under a key derived from the id, so a copy of the database yields no
usable token, and the cookie alone yields nothing. A session ends on sign-out, after `IDLE`
without a request or `LIFETIME` after sign-in, and when its token is revoked or its user
disabled (`directory.identity` deletes the rows in the same transaction).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete, select

from directory.db import Database
from directory.entries import now
from directory.errors import AuthenticationFailed
from directory.identity import hash_token
from directory.tables import ApiToken, ConsoleSession, User

IDLE = dt.timedelta(hours=2)
LIFETIME = dt.timedelta(hours=12)  # a working day, whatever the activity
TOUCH_EVERY = dt.timedelta(minutes=1)  # last-seen writes, at most this often per session
_KEY_PURPOSE = b"onceonly console session token key"


def session_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def _key(session_id: str) -> bytes:
    return hmac.new(session_id.encode("utf-8"), _KEY_PURPOSE, hashlib.sha256).digest()


def _seal(session_id: str, token: str) -> str:
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_key(session_id)).encrypt(
        nonce, token.encode("utf-8"), session_hash(session_id).encode()
    )
    return base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def _open(session_id: str, sealed: str) -> str | None:
    raw = base64.urlsafe_b64decode(sealed.encode("ascii"))
    try:
        token = AESGCM(_key(session_id)).decrypt(
            raw[:12], raw[12:], session_hash(session_id).encode()
        )
    except InvalidTag:
        return None
    return token.decode("utf-8")


class ConsoleSessions:
    def __init__(self, db: Database) -> None:
        self._db = db

    def start(self, token: str) -> str:
        """A new session for a valid token; returns the session id for the cookie (shown
        here only, never stored)."""
        with self._db.write() as session:
            found = session.execute(
                select(ApiToken, User)
                .join(User, User.id == ApiToken.user_id)
                .where(ApiToken.token_hash == hash_token(token))
            ).first()
            if found is None:
                raise AuthenticationFailed(
                    "the token is not valid; check it was copied whole, or ask an admin for a "
                    "new one (`onceonly token create`)",
                    "token_invalid",
                )
            api_token, user = found.tuple()
            if api_token.revoked_at is not None or user.disabled_at is not None:
                raise AuthenticationFailed(
                    "the token was revoked or its user disabled; ask an admin for a new one",
                    "token_revoked",
                )
            session_id = secrets.token_urlsafe(32)
            started = now()
            session.add(
                ConsoleSession(
                    session_hash=session_hash(session_id),
                    user_id=user.id,
                    token_id=api_token.id,
                    sealed_token=_seal(session_id, token),
                    created_at=started,
                    last_seen_at=started,
                    expires_at=started + LIFETIME,
                )
            )
            return session_id

    def token_of(self, session_id: str) -> str | None:
        """The API token of a live session, or None (unknown, ended or expired: an expired
        one is deleted here). Marks the session seen."""
        key = session_hash(session_id)
        at = now()
        with self._db.read() as session:
            row = session.scalars(
                select(ConsoleSession).where(ConsoleSession.session_hash == key)
            ).first()
            if row is None:
                return None
            expired = at >= row.expires_at or at - row.last_seen_at > IDLE
            stale = at - row.last_seen_at > TOUCH_EVERY
            sealed = row.sealed_token
        if expired:
            self.end(session_id)
            return None
        if stale:
            with self._db.write() as session:
                row = session.scalars(
                    select(ConsoleSession).where(ConsoleSession.session_hash == key)
                ).first()
                if row is not None:
                    row.last_seen_at = at
        return _open(session_id, sealed)

    def end(self, session_id: str) -> bool:
        """Sign-out: the session is gone for every process at once."""
        with self._db.write() as session:
            result = session.execute(
                delete(ConsoleSession).where(
                    ConsoleSession.session_hash == session_hash(session_id)
                )
            )
            return bool(getattr(result, "rowcount", 0))

    def count(self, user_id: int | None = None) -> int:
        """Live and not yet pruned sessions, of one user or all."""
        query = select(ConsoleSession.id)
        if user_id is not None:
            query = query.where(ConsoleSession.user_id == user_id)
        with self._db.read() as session:
            return len(session.scalars(query).all())

    def prune(self) -> int:
        """Delete expired sessions (those never seen again are otherwise kept)."""
        at = now()
        with self._db.write() as session:
            result = session.execute(
                delete(ConsoleSession).where(
                    (ConsoleSession.expires_at <= at) | (ConsoleSession.last_seen_at < at - IDLE)
                )
            )
            return int(getattr(result, "rowcount", 0))
