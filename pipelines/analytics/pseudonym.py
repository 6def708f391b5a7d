"""Keyed pseudonyms for applicant keys, so analysts can count repeat applicants without IDs.

A plain hash of an ID number is no protection: the key space (region x birth date x serial)
is small enough to enumerate. An HMAC under a secret key is not reversible without the key,
and the same applicant gets the same pseudonym in every build while the key stays the same.
The key comes from `ONCEONLY_PSEUDONYM_KEY`, or is generated once into
`$ONCEONLY_HOME/keys/pseudonym.key` (owner-only); it is never written to an analytical file.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pyarrow as pa

import settings
from directory.key_files import keys_dir, stored_secret

MIN_KEY_CHARS = 16
PSEUDONYM_HEX = 20  # 80 bits: no collisions in practice among a city's applicants


def key_path() -> Path:
    return keys_dir() / "pseudonym.key"


def pseudonym_key() -> bytes:
    """The configured key, else the stored one, generated on first use."""
    configured = settings.current().pseudonym_key
    if configured is not None:
        if len(configured) < MIN_KEY_CHARS:
            raise ValueError(
                f"{settings.PSEUDONYM_KEY_ENV} must be at least {MIN_KEY_CHARS} characters; "
                "generate one with "
                "`python -c 'import secrets; print(secrets.token_hex(32))'`"
            )
        return configured.encode("utf-8")
    return stored_secret(key_path())  # see directory.key_files


def pseudonymise(values: pa.Array | pa.ChunkedArray, key: bytes) -> pa.Array:
    """HMAC-SHA256 of each value (hex, truncated); nulls stay null. Each distinct value is
    hashed once: applicants come back, so a city's cases have far fewer distinct keys."""
    seen: dict[str, str] = {}
    out: list[str | None] = []
    for value in values.to_pylist():
        if value is None:
            out.append(None)
            continue
        pseudonym = seen.get(value)
        if pseudonym is None:
            digest = hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()
            pseudonym = seen[value] = digest[:PSEUDONYM_HEX]
        out.append(pseudonym)
    return pa.array(out, type=pa.string())
