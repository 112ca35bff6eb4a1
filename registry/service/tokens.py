"""A gateway's API tokens: minted, listed and revoked from a terminal, used by the running API.

docs/api.md#who-is-calling, "Who is calling" and the ``prioreg tokens`` row: a token is bound to one ST.3 office,
shown once, kept only as its SHA-256 at rest (``tokens.json`` in the gateway's state directory,
owner-only) and in memory, and may carry an expiry. ``prioreg tokens`` does not take the state
directory's writer lock — a gateway holds that for its whole life — so the file is replaced
atomically (``os.replace``) under a small lock of its own (``tokens.lock``, for two ``tokens``
commands at once), and a running gateway reads it again when its modification time or size
changes, checked at most every :data:`RELOAD_INTERVAL` seconds: a created or revoked token takes
effect within a second, without a restart.

A presented token is compared with every stored hash by :func:`hmac.compare_digest`, without
stopping at the first match, so neither the stored form nor the timing reveals a token.

File format (version 2)::

    {"version": 2, "tokens": {"<id>": {"office": "JP", "sha256": "<hex>",
                                       "created": "<RFC 3339>", "expires": "<RFC 3339>" | null}}}

The first format, ``{"JP": "<sha256>"}`` (one token an office, ``serve --demo`` before this
module), is still read: each entry becomes the token ``legacy-<office>`` without expiry.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from registry.errors import InvalidInput, NotFound, RegistryError

__all__ = ["RELOAD_INTERVAL", "TOKENS_FILE", "StoredToken", "TokenStore", "edit_tokens", "mint_token"]

#: The token-hash file of a state directory.
TOKENS_FILE = "tokens.json"
_EDIT_LOCK = "tokens.lock"
#: How often a watching store looks at its file (docs/api.md: a change is picked up within a second).
RELOAD_INTERVAL = 0.25
_MAX_FILE_BYTES = 16 * 2**20  # a token file is input too: bounded before it is parsed


def mint_token() -> str:
    """A new bearer token: 256 bits from :mod:`secrets`."""
    return "prt_" + secrets.token_urlsafe(32)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


@dataclass(frozen=True)
class StoredToken:
    """One token as kept: never the token itself."""

    id: str
    office: str
    sha256: str
    created: dt.datetime
    expires: dt.datetime | None

    def expired(self, now: dt.datetime) -> bool:
        """Whether the token no longer opens anything at ``now``."""
        return self.expires is not None and now >= self.expires

    def to_json(self) -> dict[str, Any]:
        """``{id, office, created, expires}`` as ``tokens list --json`` prints it (no hash)."""
        return {
            "id": self.id,
            "office": self.office,
            "created": self.created.isoformat().replace("+00:00", "Z"),
            "expires": self.expires.isoformat().replace("+00:00", "Z") if self.expires else None,
        }


class TokenStore:
    """Which token hash belongs to which office; optionally following a file on disk."""

    def __init__(self, hashes: dict[str, str] | None = None) -> None:
        self._tokens: dict[str, StoredToken] = {}
        self._path: Path | None = None
        self._seen: tuple[int, int, int] | None = None
        self._checked = 0.0
        self._reload_lock = threading.Lock()
        for office, digest in (hashes or {}).items():
            self._put(StoredToken(f"legacy-{office}", office, digest, _now(), None))

    # ── on disk ──────────────────────────────────────────────────────────────────────────

    @classmethod
    def load(cls, path: Path) -> TokenStore:
        """Read the token hashes in ``path`` (an empty store when the file is missing)."""
        store = cls()
        store._tokens = _read(path)
        return store

    @classmethod
    def watching(cls, path: Path) -> TokenStore:
        """A store that follows ``path``: changes written by ``prioreg tokens`` apply within a second."""
        store = cls.load(path)
        store._path = path
        store._seen = _signature(path)
        store._checked = time.monotonic()
        return store

    def save(self, path: Path) -> None:
        """Write the hashes (never the tokens) atomically, owner-only."""
        _write(path, self._tokens)

    def _refresh(self) -> None:
        if self._path is None:
            return
        now = time.monotonic()
        if now - self._checked < RELOAD_INTERVAL:
            return
        with self._reload_lock:
            if now - self._checked < RELOAD_INTERVAL:
                return
            self._checked = now
            seen = _signature(self._path)
            if seen == self._seen:
                return
            try:
                self._tokens = _read(self._path)
            except RegistryError:
                return  # a file being replaced by hand: keep what was valid, look again next time
            self._seen = seen

    # ── minting ──────────────────────────────────────────────────────────────────────────

    def create(self, office: str, *, expires_in: dt.timedelta | None = None) -> tuple[StoredToken, str]:
        """Mint a new token for ``office`` beside its others; return it with the token — shown once."""
        token = mint_token()
        created = _now()
        stored = StoredToken(
            "tok_" + secrets.token_hex(6), office, _hash(token), created, created + expires_in if expires_in else None
        )
        self._put(stored)
        return stored, token

    def issue(self, office: str) -> str:
        """Mint a token for ``office`` replacing its previous ones (``serve --demo``) and return it."""
        for stored in [t for t in self._tokens.values() if t.office == office]:
            del self._tokens[stored.id]
        return self.create(office)[1]

    def adopt(self, office: str, token: str) -> None:
        """Accept an existing token for ``office`` (read from an operator's tokens file)."""
        self._put(StoredToken(f"adopted-{office}", office, _hash(token), _now(), None))

    def revoke(self, token_id: str) -> StoredToken:
        """Remove the token ``token_id`` (NotFound when there is none)."""
        stored = self._tokens.pop(token_id, None)
        if stored is None:
            raise NotFound(f"no token {token_id!r} in this gateway (see `prioreg tokens list`)")
        return stored

    def _put(self, stored: StoredToken) -> None:
        self._tokens[stored.id] = stored

    # ── reading ──────────────────────────────────────────────────────────────────────────

    def office_for(self, token: str) -> str | None:
        """The office a live token belongs to, or None; constant-time over all stored hashes."""
        self._refresh()
        presented = _hash(token)
        now = _now()
        found: str | None = None
        for stored in list(self._tokens.values()):
            # Every hash is compared, expired or not: the time taken says nothing about which matched.
            if hmac.compare_digest(presented, stored.sha256) and not stored.expired(now):
                found = stored.office
        return found

    def offices(self) -> list[str]:
        """Offices that have a live token."""
        self._refresh()
        now = _now()
        return sorted({t.office for t in self._tokens.values() if not t.expired(now)})

    def list(self) -> list[StoredToken]:
        """Every stored token (expired ones too), oldest first."""
        self._refresh()
        return sorted(self._tokens.values(), key=lambda t: (t.created, t.id))


@contextmanager
def edit_tokens(state_dir: Path) -> Iterator[TokenStore]:
    """Read, change and write back a state directory's tokens, one editor at a time.

    Not the writer lock (a gateway holds that while it serves): a lock of the token file's own,
    held only for the read-modify-write; the gateway sees the result through :meth:`TokenStore.watching`.
    """
    if not state_dir.is_dir():
        raise RegistryError(f"{state_dir} is not a state directory")
    fd = os.open(state_dir / _EDIT_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        store = TokenStore.load(state_dir / TOKENS_FILE)
        yield store
        store.save(state_dir / TOKENS_FILE)
    finally:
        os.close(fd)  # releases the flock


def parse_expiry(days: int | None) -> dt.timedelta | None:
    """``--expires DAYS`` (None: never)."""
    if days is None:
        return None
    if days < 1 or days > 36_600:
        raise InvalidInput(f"--expires {days}: give a number of days from 1 to 36600", code="notAllowedValue")
    return dt.timedelta(days=days)


# ── the file ────────────────────────────────────────────────────────────────────────────


def _signature(path: Path) -> tuple[int, int, int] | None:
    # The inode too: os.replace gives the file a new one even when mtime and size look the same.
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _read(path: Path) -> dict[str, StoredToken]:
    try:
        with path.open("rb") as fh:
            raw = fh.read(_MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        return {}
    if len(raw) > _MAX_FILE_BYTES:
        raise RegistryError(f"{path} is larger than {_MAX_FILE_BYTES} bytes: not a token-hash file")
    try:
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("not an object")
        if data.get("version") == 2:
            return {str(k): _stored(str(k), v) for k, v in dict(data["tokens"]).items()}
        now = _now()  # the first format: {office: sha256}
        return {f"legacy-{k}": StoredToken(f"legacy-{k}", str(k), str(v), now, None) for k, v in data.items()}
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise RegistryError(f"{path} is not a token-hash file ({exc})") from None


def _stored(token_id: str, value: Any) -> StoredToken:
    expires = value.get("expires")
    return StoredToken(
        token_id,
        str(value["office"]),
        str(value["sha256"]),
        dt.datetime.fromisoformat(str(value["created"])),
        dt.datetime.fromisoformat(str(expires)) if expires else None,
    )


def _write(path: Path, tokens: dict[str, StoredToken]) -> None:
    data = {
        "version": 2,
        "tokens": {
            t.id: {
                "office": t.office,
                "sha256": t.sha256,
                "created": t.created.isoformat(),
                "expires": t.expires.isoformat() if t.expires else None,
            }
            for t in tokens.values()
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tokens.")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, sort_keys=True)
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
