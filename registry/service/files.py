"""The files a gateway keeps for others: reports (R15) and priority-document packages (R26).

The ledger holds only digests; the files stay with the office that wrote them (docs/api.md,
"Work-sharing in the family" and "Priority documents"). This store keeps them in the state
directory, **content-addressed** by SHA-256, so that one file is stored once, a name can never be
chosen by a caller (no path from a request ever reaches the file system), and what is read back can
be checked against the name it was stored under.

- Layout: ``files/sha256/<first two hex digits>/<64 hex digits>``, plus ``<name>.json`` beside it
  with what the bytes cannot say (``mediaType``, ``size``). Backups walk the state directory, so
  they cover this folder without a list (registry.ops.backup).
- **Written atomically**: each file goes to a temporary name in the same folder, is fsynced and
  renamed, metadata last; a crash leaves either no entry or a whole one (temporary names start with
  a dot and end in ``.tmp``, which backups leave out). Writing the same bytes twice is a no-op.
- **Read defensively**: the bytes are hashed again on every read; an entry whose bytes, size or
  metadata do not hold is reported as absent (:meth:`FileStore.get` returns ``None``) and logged,
  never served.

Two processes may write the same store (a gateway's workers): names are content hashes and renames
are atomic, so they cannot overwrite each other with different bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import structlog

__all__ = ["DEFAULT_MEDIA_TYPE", "FileStore", "StoredFile", "media_type_or_default"]

_log = structlog.get_logger(__name__)

_SHA256 = re.compile(r"[0-9a-f]{64}")
#: A media type as a gateway records it (RFC 6838 names, parameters allowed, no control characters).
_MEDIA_TYPE = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}( *;[ -~]{1,200})?"
)
#: What a file whose media type is not given (or not one :class:`FileStore` records) is kept and served as.
DEFAULT_MEDIA_TYPE = "application/octet-stream"
_FILE_MODE = 0o600
_DIR_MODE = 0o700


def media_type_or_default(value: str | None) -> str:
    """``value`` when it is a media type the store records (RFC 6838 names, no control characters), else
    :data:`DEFAULT_MEDIA_TYPE`: what an upload or another gateway declares never reaches a header unchecked."""
    if value is not None and _MEDIA_TYPE.fullmatch(value.strip()):
        return value.strip()
    return DEFAULT_MEDIA_TYPE


@dataclass(frozen=True, slots=True)
class StoredFile:
    """One file of the store: its bytes, checked against ``sha256`` when read."""

    sha256: str
    media_type: str
    data: bytes


class FileStore:
    """Content-addressed files under ``root`` (a state directory's ``files/``)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, sha256: str) -> Path:
        if not _SHA256.fullmatch(sha256):
            raise ValueError(f"not a SHA-256 in lowercase hex: {sha256!r}")
        return self.root / "sha256" / sha256[:2] / sha256

    def put(self, data: bytes, *, media_type: str) -> str:
        """Keep ``data``; return its SHA-256 (lowercase hex). The same bytes twice: stored once."""
        if not _MEDIA_TYPE.fullmatch(media_type):
            raise ValueError(f"not a media type: {media_type!r}")
        sha256 = hashlib.sha256(data).hexdigest()
        path = self._path(sha256)
        if self.get(sha256) is not None:
            return sha256
        path.parent.mkdir(mode=_DIR_MODE, parents=True, exist_ok=True)
        _write_atomically(path, data)
        meta = {"mediaType": media_type, "size": len(data)}
        # Metadata last: an entry without it is incomplete and reads as absent.
        _write_atomically(path.with_name(sha256 + ".json"), json.dumps(meta, sort_keys=True).encode())
        return sha256

    def has(self, sha256: str) -> bool:
        """Whether a whole, intact entry is kept for ``sha256``."""
        return self.get(sha256) is not None

    def get(self, sha256: str) -> StoredFile | None:
        """The file stored under ``sha256``, or ``None`` when absent or damaged (never raises on I/O)."""
        path = self._path(sha256)
        try:
            meta = json.loads(path.with_name(sha256 + ".json").read_bytes())
            data = path.read_bytes()
        except (OSError, ValueError):
            return None
        media_type = meta.get("mediaType") if isinstance(meta, dict) else None
        if (
            not isinstance(media_type, str)
            or meta.get("size") != len(data)
            or hashlib.sha256(data).hexdigest() != sha256
        ):
            _log.warning("file_store_entry_damaged", sha256=sha256, path=str(path))
            return None
        return StoredFile(sha256, media_type, data)


def _write_atomically(path: Path, data: bytes) -> None:
    # mkstemp in the same folder keeps the rename atomic; a crash leaves a hidden *.tmp, never a
    # half-written entry under its real name.
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:16]}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), _FILE_MODE)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
