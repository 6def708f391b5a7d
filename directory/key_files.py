"""The centre's key files under `$ONCEONLY_HOME/keys/`: created once, atomically, 0600.

Several processes (API workers, the command line, Dagster runs) may need a key that does not
exist yet. Each writes its candidate to a private temporary file and hard-links it into place:
the file only ever appears complete, and whoever loses the race reads the winner's key. One
helper for every key file, so that rule lives in one place.

The Ed25519 key signs extracts (`api.signing`) and the audit log's chain heads
(`directory.audit_witness`): ONCEONLY_SIGNING_KEY names a PEM file, else one is generated at
`$ONCEONLY_HOME/keys/extract_signing.pem`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import settings

SIGNING_KEY_NAME = "extract_signing.pem"


class SigningKeyError(RuntimeError):
    """The signing key is missing, unreadable or not Ed25519; the message says which file."""


def keys_dir() -> Path:
    return settings.current().keys


def create_key_file(path: Path, content: bytes) -> bool:
    """Create `path` holding `content`, readable by its owner only, unless it exists already.
    Returns whether this call created it (False: another process did, keep theirs)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # 0600
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
            return True
        return False
    finally:
        os.unlink(temporary)


def stored_secret(path: Path) -> bytes:
    """The random secret kept in `path`, generated there first (64 hex digits) if there is
    none yet: the audit log's subject-hash key and the analytics pseudonym key are such files."""
    if not path.exists():
        create_key_file(path, secrets.token_hex(32).encode("ascii"))
    return path.read_bytes().strip()


def signing_key_path() -> tuple[Path, bool]:
    """(where the Ed25519 key is, whether the operator configured it: then it is never
    generated in its place)."""
    configured = settings.current().signing_key
    if configured is not None:
        return configured, True
    return keys_dir() / SIGNING_KEY_NAME, False


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as error:
        raise SigningKeyError(f"cannot read the extract signing key {path}: {error}") from error
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise SigningKeyError(
            f"{path} is not an unencrypted PEM private key ({error}); give "
            f"{settings.SIGNING_KEY_ENV} an Ed25519 key, "
            "e.g. from `openssl genpkey -algorithm ed25519`"
        ) from error
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(
            f"{path} holds a {type(key).__name__}, not an Ed25519 key; the centre signs "
            "with Ed25519 (`openssl genpkey -algorithm ed25519`)"
        )
    return key


def obtain_signing_key(path: Path, configured: bool) -> Ed25519PrivateKey:
    """The key at `path`, generated there first when it is the default place and empty."""
    if configured or path.exists():
        return load_signing_key(path)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return key if create_key_file(path, pem) else load_signing_key(path)
