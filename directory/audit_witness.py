"""Signed chain heads: the audit chain anchored outside the database, as X-Road signs and
timestamps its message log.

A hash chain alone proves nothing to someone who can write the database: they can delete
the newest entries and move the head back, or edit an entry and recompute every later hash.
So after every commit group the writer signs the new head (sequence and hash) with the
centre's Ed25519 key, and every prune signs the new start of the log (the anchor), each as
one JSON line appended to a file the database knows nothing about:
ONCEONLY_AUDIT_HEADS, default `$ONCEONLY_HOME/keys/audit_heads.jsonl`. `verify` then holds
the entries to the last signed head: a log cut below it, or rewritten under it, no longer
reaches the signature, and nobody without the key can sign a new one.

Why it is built this way:
- Append-only in practice: opened with O_APPEND, one `write` per line, never rewritten. The
  operator may point ONCEONLY_AUDIT_HEADS at write-once storage or a file another host
  collects; whoever can replace the key can also forge heads, so the key and this file must
  live where the database's writers cannot reach.
- Heads are signed in commit order: writers hold an exclusive lock on the file from before
  their transaction until the head is written, and `verify` takes a shared lock while it
  opens its view of the database and reads the file, so every head it sees committed is
  signed. Every process writing one log must write the same file (like ONCEONLY_AUDIT_KEY).
- A line signs its own fields in canonical JSON; `read` checks every signature and that
  sequences never go down, so a line edited, dropped from the middle or reordered shows.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import settings
from directory.key_files import obtain_signing_key, signing_key_path

HEADS_NAME = "audit_heads.jsonl"
FORMAT = "onceonly-audit-head/1"
HEAD, ANCHOR = "head", "anchor"

Mark = tuple[int, str]  # (sequence, hash)


def heads_path() -> Path:
    """ONCEONLY_AUDIT_HEADS, else `$ONCEONLY_HOME/keys/audit_heads.jsonl`."""
    return settings.current().audit_heads


def key_id_of(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def _signed_text(fields: dict[str, object]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode("utf-8")


@dataclass
class SignedHeads:
    """What the signed-heads file vouches for: every signed head by sequence, the newest
    head and anchor, and the first thing wrong with the file itself ("" when nothing)."""

    heads: dict[int, str] = field(default_factory=dict)
    last_head: Mark | None = None
    anchor: Mark | None = None
    problem: str = ""


class Witness:
    """Signs heads into the signed-heads file and reads them back, for one process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: Ed25519PrivateKey | None = None
        self._key_id = ""
        self._path: Path | None = None
        self._descriptor: int | None = None
        self._pid = 0

    def prepare(self) -> None:
        """Load (or create) the key and open the file, before any transaction that must be
        signed: a missing key fails the append instead of leaving an unsigned commit."""
        with self._lock:
            if self._key is None:
                self._key = obtain_signing_key(*signing_key_path())
                self._key_id = key_id_of(self._key)
            if self._descriptor is None or self._pid != os.getpid():
                # A forked child shares its parent's open file, and with it the lock.
                path = heads_path()
                path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
                self._descriptor = os.open(path, flags, 0o600)
                self._path, self._pid = path, os.getpid()

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the file's lock across a commit and the signing of its head."""
        self.prepare()
        assert self._descriptor is not None
        fcntl.flock(self._descriptor, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._descriptor, fcntl.LOCK_UN)

    def sign(self, kind: str, mark: Mark) -> None:
        """Append one signed line for `mark`; call inside `exclusive`, after the commit."""
        assert self._key is not None and self._descriptor is not None
        fields: dict[str, object] = {
            "format": FORMAT,
            "kind": kind,
            "sequence": mark[0],
            "hash": mark[1],
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
            "key_id": self._key_id,
        }
        signature = base64.b64encode(self._key.sign(_signed_text(fields))).decode("ascii")
        line = json.dumps({**fields, "signature": signature}, sort_keys=True) + "\n"
        os.write(self._descriptor, line.encode("utf-8"))

    @contextlib.contextmanager
    def shared(self) -> Iterator[None]:
        """No writer between commit and signature while held (its own open file, so that
        the lock conflicts with this process's writer too)."""
        path = heads_path()
        if not path.exists():
            yield
            return
        with path.open("rb") as file:
            fcntl.flock(file.fileno(), fcntl.LOCK_SH)
            try:
                yield
            finally:
                fcntl.flock(file.fileno(), fcntl.LOCK_UN)

    def read(self) -> SignedHeads:
        """Every line checked: signature by this centre's key, sequences never going down."""
        path = heads_path()
        found = SignedHeads()
        if not path.exists():
            return found
        self.prepare()
        assert self._key is not None
        public = self._key.public_key()
        with path.open("rb") as file:
            for number, raw in enumerate(file, start=1):
                where = f"line {number} of the signed-heads file {path}"
                try:
                    document = json.loads(raw)
                    fields = {k: v for k, v in document.items() if k != "signature"}
                    kind, mark = fields["kind"], (int(fields["sequence"]), str(fields["hash"]))
                    signature = base64.b64decode(document["signature"], validate=True)
                except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
                    found.problem = f"{where} is not a signed head: the file was edited or cut"
                    return found
                if fields.get("key_id") != self._key_id:
                    found.problem = (
                        f"{where} was signed by key {fields.get('key_id')}, not this centre's "
                        f"key {self._key_id}: verify with the key that signed it"
                    )
                    return found
                try:
                    public.verify(signature, _signed_text(fields))
                except InvalidSignature:
                    found.problem = f"{where} does not match its signature: it was edited"
                    return found
                previous = found.last_head if kind == HEAD else found.anchor
                if previous is not None and (
                    mark[0] < previous[0] or (mark[0] == previous[0] and mark[1] != previous[1])
                ):
                    found.problem = (
                        f"{where} signs {kind} #{mark[0]} after #{previous[0]}: signed heads "
                        "never go back, so lines were reordered or spliced in"
                    )
                    return found
                if kind == HEAD:
                    found.heads[mark[0]] = mark[1]
                    found.last_head = mark
                elif kind == ANCHOR:
                    found.anchor = mark
        return found
