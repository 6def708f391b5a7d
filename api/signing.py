"""Signed extracts: a clerk's answer, signed by the centre, that replaces a paper certificate.

A document looks like this (`format` names the version of everything below)::

    {
      "format": "onceonly-extract/1",
      "extract": {
        ...the payload (facts, provenance, case number, ...),
        "issuer": "郑州市政务服务中心",
        "issued_at": "2026-11-20T10:00:00+08:00",
        "key_id": "3f1c0a9d2b7e4c55",
        "extract_id": "9b2e4f0c6d8a41b7a3c5e1f2d4b6a8c0"
      },
      "signature": {"alg": "Ed25519", "key_id": "3f1c0a9d2b7e4c55", "value": "<base64>"}
    }

Only `extract` is signed, so nothing else may ride along: verification refuses unknown
fields outside it. The signature is Ed25519 (RFC 8032) over `canonical_json(extract)`, and
`value` is its 64 bytes in standard base64 with padding (RFC 4648 section 4). `key_id` is the
first 16 hex digits (lower case) of the SHA-256 of the 32 raw bytes of the public key, so a
verifier can tell "wrong key" from "changed extract" without trying keys.

The key is a PEM file: ONCEONLY_SIGNING_KEY names it, or one is generated on first use at
`$ONCEONLY_HOME/keys/extract_signing.pem` (0600) with the public key beside it as
`extract_signing.pub.pem`, which is what the centre hands to whoever checks its extracts.
The same key signs the audit log's chain heads; `directory.key_files` loads and creates it.
The canonical form is `api.canonical_json`'s. This module has no web imports: the API, the
CLI and the tests share it.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

import settings
from api.canonical_json import ExtractError as ExtractError
from api.canonical_json import canonical_json as canonical_json
from directory.key_files import (
    SIGNING_KEY_NAME,
    SigningKeyError,
    load_signing_key,
    obtain_signing_key,
    signing_key_path,
)
from directory.workdays import CHINA
from settings import DEFAULT_CENTRE as DEFAULT_CENTRE  # the issuer a signer names by default

FORMAT = "onceonly-extract/1"
ALGORITHM: Final = "Ed25519"
PRIVATE_KEY_NAME = SIGNING_KEY_NAME
PUBLIC_KEY_NAME = "extract_signing.pub.pem"
# `extract_id` (32 random hex digits) names the extract on paper and in its verification URL
# (`api.extract_seal`); extracts signed before it existed have none and still verify.
ADDED_BY_SIGNER = frozenset({"issuer", "issued_at", "key_id", "extract_id"})
_SIGNATURE_BYTES = 64


# ---- keys -----------------------------------------------------------------------------------


def key_id_of(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def _public_pem(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@dataclass(frozen=True)
class SignerSettings:
    """Where the key is and who signs; a value, so a process can keep one signer per setting."""

    key_path: Path
    configured: bool  # ONCEONLY_SIGNING_KEY given: never generate a key in its place
    centre: str

    @classmethod
    def from_env(cls) -> SignerSettings:
        """ONCEONLY_SIGNING_KEY (a PEM path; default a generated key under ONCEONLY_HOME) and
        ONCEONLY_CENTRE_NAME (default 郑州市政务服务中心)."""
        centre = settings.current().centre_name
        return cls(*signing_key_path(), centre)


def installed_public_key_pem() -> bytes:
    """This centre's public key, without generating a key when there is none yet."""
    settings = SignerSettings.from_env()
    if not settings.key_path.exists():
        raise SigningKeyError(
            f"no extract signing key at {settings.key_path} yet, so this centre has no public "
            "key to check against"
        )
    return _public_pem(load_signing_key(settings.key_path).public_key())


# ---- verification ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    """The verdict on a document. `key_id`, `issued_at` and `issuer` are what the document
    claims, read even when it is invalid so the reason can be put in context; trust them
    only when `valid`."""

    valid: bool
    reason: str
    key_id: str | None = None
    issued_at: dt.datetime | None = None
    issuer: str | None = None


class _Invalid(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def verify(document: Any, public_key_pem: bytes) -> Verification:
    """Check `document` against the issuing centre's public key, offline.

    Never raises on bad input (document or key): what is wrong comes back as the reason.
    """
    key_id, issued_at, issuer = _claims(document)
    try:
        extract, signature = _check_document(document)
        public_key = _public_key(public_key_pem)
        _check_key(extract, signature, public_key)
        value = _signature_bytes(signature)
        try:
            message = canonical_json(extract)
        except ExtractError as error:
            raise _Invalid(f"the extract is not canonical JSON: {error}") from error
        try:
            public_key.verify(value, message)
        except InvalidSignature as error:
            raise _Invalid(
                "the signature does not match the extract: it was changed after it was signed"
            ) from error
    except _Invalid as invalid:
        return Verification(False, invalid.reason, key_id, issued_at, issuer)
    reason = f"signed by {issuer} at {extract['issued_at']} with key {key_id}; unchanged since"
    return Verification(True, reason, key_id, issued_at, issuer)


def _claims(document: Any) -> tuple[str | None, dt.datetime | None, str | None]:
    extract = document.get("extract") if isinstance(document, dict) else None
    if not isinstance(extract, dict):
        return None, None, None
    key_id, issuer = extract.get("key_id"), extract.get("issuer")
    return (
        key_id if isinstance(key_id, str) else None,
        _timestamp(extract.get("issued_at")),
        issuer if isinstance(issuer, str) else None,
    )


def _timestamp(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _exactly(what: str, found: dict[str, Any], expected: tuple[str, ...]) -> None:
    missing = [k for k in expected if k not in found]
    unexpected = sorted(k for k in found if k not in expected)
    if missing:
        raise _Invalid(f"{what} lacks {', '.join(missing)}; it needs {', '.join(expected)}")
    if unexpected:
        raise _Invalid(
            f"{what} has unexpected field(s) {', '.join(unexpected)}; only "
            f"{', '.join(expected)} may be there, since nothing outside the extract is signed"
        )


def _check_document(document: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    if not isinstance(document, dict):
        raise _Invalid(
            f"an extract document is a JSON object with format, extract and signature, "
            f"not a {type(document).__name__}"
        )
    _exactly("the document", document, ("format", "extract", "signature"))
    if document["format"] != FORMAT:
        raise _Invalid(f"the format is {document['format']!r}; this verifier reads {FORMAT!r}")
    extract, signature = document["extract"], document["signature"]
    if not isinstance(extract, dict):
        raise _Invalid("extract must be a JSON object")
    if not isinstance(signature, dict):
        raise _Invalid("signature must be a JSON object with alg, key_id and value")
    _exactly("the signature", signature, ("alg", "key_id", "value"))
    if signature["alg"] != ALGORITHM:
        raise _Invalid(f"the signature's alg is {signature['alg']!r}; extracts use {ALGORITHM}")
    for field in ("issuer", "issued_at", "key_id"):
        if not isinstance(extract.get(field), str) or not extract[field]:
            raise _Invalid(f"the extract lacks {field}, which the signer always adds")
    if _timestamp(extract["issued_at"]) is None:
        raise _Invalid(
            f"issued_at {extract['issued_at']!r} is not an ISO-8601 timestamp with a time zone"
        )
    return extract, signature


def _public_key(pem: bytes) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise _Invalid(f"the public key is not a PEM public key: {error}") from error
    if not isinstance(key, Ed25519PublicKey):
        raise _Invalid(f"the public key is a {type(key).__name__}, not an Ed25519 key")
    return key


def _check_key(
    extract: dict[str, Any], signature: dict[str, Any], public_key: Ed25519PublicKey
) -> None:
    if signature["key_id"] != extract["key_id"]:
        raise _Invalid(
            f"the signature names key {signature['key_id']!r} but the extract names key "
            f"{extract['key_id']!r}"
        )
    given = key_id_of(public_key)
    if extract["key_id"] != given:
        raise _Invalid(
            f"the extract was signed with key {extract['key_id']}, but the public key given is "
            f"key {given}: check it against {extract['issuer']}'s public key for that key id"
        )


def _signature_bytes(signature: dict[str, Any]) -> bytes:
    value = signature["value"]
    try:
        decoded = base64.b64decode(value, validate=True) if isinstance(value, str) else b""
    except (binascii.Error, ValueError):
        decoded = b""
    if len(decoded) != _SIGNATURE_BYTES:
        raise _Invalid(
            f"the signature value is not {_SIGNATURE_BYTES} bytes in standard base64 (RFC 4648)"
        )
    return decoded


# ---- signing --------------------------------------------------------------------------------


class ExtractSigner:
    """Signs extracts with the centre's key, loading (or generating) it on first use."""

    def __init__(self, settings: SignerSettings | None = None) -> None:
        self.settings = settings or SignerSettings.from_env()
        self._key: Ed25519PrivateKey | None = None
        self._lock = threading.Lock()

    @property
    def centre(self) -> str:
        return self.settings.centre

    def _private_key(self) -> Ed25519PrivateKey:
        with self._lock:
            if self._key is None:
                self._key = self._obtain_key()
            return self._key

    def _obtain_key(self) -> Ed25519PrivateKey:
        path = self.settings.key_path
        key = obtain_signing_key(path, self.settings.configured)
        if not self.settings.configured:
            # Kept in step with the key: a stale public file would fail every extract.
            public, pem = path.with_name(PUBLIC_KEY_NAME), _public_pem(key.public_key())
            if not public.exists() or public.read_bytes() != pem:
                public.write_bytes(pem)
        return key

    @property
    def key_id(self) -> str:
        return key_id_of(self._private_key().public_key())

    def public_key(self) -> Ed25519PublicKey:
        return self._private_key().public_key()

    def public_key_pem(self) -> bytes:
        return _public_pem(self.public_key())

    def sign(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """A signed document for `payload`, a JSON-ready mapping (see `canonical_json`).

        The signer adds issuer, issued_at, key_id and extract_id, so the payload may not hold
        them. The
        returned extract is re-read from the signed bytes: it is a deep copy of exactly what
        was signed, safe to serialise however the caller likes.
        """
        clash = sorted(ADDED_BY_SIGNER & payload.keys())
        if clash:
            raise ExtractError(f"the payload may not set {', '.join(clash)}: the signer adds them")
        key_id = self.key_id
        message = canonical_json(
            {
                **payload,
                "issuer": self.centre,
                "issued_at": dt.datetime.now(CHINA).isoformat(timespec="seconds"),
                "key_id": key_id,
                "extract_id": uuid.uuid4().hex,
            }
        )
        value = base64.b64encode(self._private_key().sign(message)).decode("ascii")
        return {
            "format": FORMAT,
            "extract": json.loads(message),
            "signature": {"alg": ALGORITHM, "key_id": key_id, "value": value},
        }

    def sign_bytes(self, message: bytes) -> bytes:
        """The raw Ed25519 signature of `message`, for the extract's verification seal
        (`api.extract_seal`), whose messages begin with a context of their own, so no seal
        can be taken for a signed extract or an audit head."""
        return self._private_key().sign(message)

    def verify(self, document: Any, public_key_pem: bytes | None = None) -> Verification:
        """`verify` against `public_key_pem`, by default this centre's own key."""
        return verify(document, self.public_key_pem() if public_key_pem is None else public_key_pem)
