"""``prioreg state backup DIR`` / ``state restore DIR``: everything a gateway keeps, and back (issue 19 item 4).

A backup holds every file of a state directory (docs/api.md#command-line): the chain journal and its
snapshot, the index, office keys and seeds, the registrar's key, the deployment record, token
hashes, and whatever else a gateway keeps there (own numbers, documents): files are found by
walking the directory, not from a list that could miss the next kind. Left out are only what is
not state: the writer lock, SQLite's side files (``-wal``, ``-shm``, ``-journal``: their content is
in the copy) and temporary files (hidden names, ``*.tmp``).

**Consistent while a gateway runs.** A backup reads without the writer lock (docs/api.md#one-writer-per-state-directory:
a gateway keeps serving), so each kind of file is copied in the way that gives a state the gateway could have left:

- SQLite databases (found by their header, so any a gateway adds is covered) through SQLite's online
  backup API, a transactionally consistent copy whatever writes meanwhile;
- the chain journal **last**, up to the last complete record (an append in progress is not yet
  acknowledged, docs/design.md#p7-acknowledged-means-on-the-ledger, and is left out), after verifying every record;
- everything else as it is: the gateway replaces those files by rename, so an open file is whole.

The order is what makes the set consistent: the index and the snapshot are copied before the
journal, and the journal only grows, so both cover a prefix of the chain the copied journal holds.
(An index a few blocks ahead could only come from a concurrent block whose record lands after the
journal was read; the index then rolls those blocks back at start like a reorganisation.)

**Written atomically.** The copy is built in a hidden directory beside ``DIR``, every file fsynced,
``manifest.json`` written last (each file's path, size, mode and SHA-256), then renamed to ``DIR``:
a failed or killed backup leaves no ``DIR`` that looks complete.

**Restore** verifies the whole manifest first (every file present with its size and SHA-256,
nothing unlisted, no path leaving the directory, the journal's records intact), refuses a target
that holds anything, takes the target's writer lock (refused while a gateway runs on it), builds
the directory beside it and renames it into place. A restored directory serves the same data: the
same deployment, keys, tokens and chain, so the same records verify.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import stat
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from registry import __version__
from registry.errors import BackupError
from registry.ledger.embedded import Journal, JournalCorrupt, scan_journal
from registry.ops.lock import LOCK_FILE_NAME, StateLock
from registry.ops.state import StateDir

__all__ = ["FORMAT", "MANIFEST", "BackupFile", "Manifest", "backup", "restore", "verify_backup"]

#: The manifest's ``format``; a restore refuses any other.
FORMAT = "prioreg-backup 1"
MANIFEST = "manifest.json"

_SQLITE_MAGIC = b"SQLite format 3\x00"
_SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")
_CHUNK = 4 * 2**20
#: Left by a deployment that was being made (registry.ops.deployment): nothing in it can be used yet.
_CREATING = ".creating"


@dataclass(frozen=True)
class BackupFile:
    """One file of a backup: its path relative to the state directory (``/``-separated), size,
    permission bits, SHA-256 (hex) and how it was copied (``sqlite``, ``journal`` or ``file``)."""

    path: str
    size: int
    mode: int
    sha256: str
    kind: str


@dataclass(frozen=True)
class Manifest:
    """What ``manifest.json`` says about a backup."""

    format: str
    created: str
    prioreg_version: str
    source: str
    deployment: dict[str, Any] | None
    journal_records: int | None
    files: tuple[BackupFile, ...]

    def to_json(self) -> dict[str, Any]:
        """The manifest as written (lowerCamelCase, like every JSON the registry writes)."""
        return {
            "format": self.format,
            "created": self.created,
            "prioregVersion": self.prioreg_version,
            "source": self.source,
            "deployment": self.deployment,
            "journalRecords": self.journal_records,
            "files": [asdict(f) for f in self.files],
        }

    @property
    def total_bytes(self) -> int:
        """The size of all files."""
        return sum(f.size for f in self.files)


# --- backup ------------------------------------------------------------------------------------


def backup(state_dir: Path, target: Path) -> Manifest:
    """Copy everything ``state_dir`` keeps into the new directory ``target`` (see the module docstring).

    Reads without the writer lock: a gateway may keep running. Raises :class:`BackupError` when
    ``state_dir`` holds no state, when ``target`` exists and is not empty, or when the journal is
    damaged (``prioreg state check`` says how).
    """
    source = Path(state_dir)
    target = Path(target)
    if not source.is_dir():
        raise BackupError(f"{source} is not a state directory")
    if (source / _CREATING).exists():
        raise BackupError(f"a deployment is being made in {source} and did not finish: nothing there to back up yet")
    if _occupied(target):
        raise BackupError(f"{target} exists and is not empty: a backup goes into a new directory")
    try:
        if target.resolve().is_relative_to(source.resolve()):
            raise BackupError(f"{target} is inside the state directory {source}: put the backup elsewhere")
    except OSError as exc:
        raise BackupError(f"cannot resolve {target}: {exc.strerror}") from None
    files = _state_files(source)
    if not files:
        raise BackupError(f"{source} holds nothing to back up")
    journal_name = Journal.FILE_NAME
    # The order that keeps the copy consistent: databases, then plain files (the snapshot among
    # them), the journal last (see the module docstring).
    ordered = sorted(files, key=lambda rel: (2 if rel == journal_name else 0 if _is_sqlite(source / rel) else 1, rel))
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".{target.name}.partial-{secrets.token_hex(4)}"
    staging.mkdir(mode=0o700)
    try:
        copied: list[BackupFile] = []
        records: int | None = None
        for rel in ordered:
            src = source / rel
            dst = staging / rel
            _make_parents(dst, staging)
            if rel == journal_name:
                records = _copy_journal(src, dst)
                kind = "journal"
            elif _is_sqlite(src):
                _copy_sqlite(src, dst)
                kind = "sqlite"
            elif not _copy_file(src, dst):
                continue  # removed while we walked (a temporary file renamed away): not state
            else:
                kind = "file"
            mode = stat.S_IMODE(src.stat().st_mode) if src.exists() else 0o600
            os.chmod(dst, mode)
            copied.append(BackupFile(rel, dst.stat().st_size, mode, _sha256(dst), kind))
        deployment = StateDir(staging).deployment()
        manifest = Manifest(
            format=FORMAT,
            created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            prioreg_version=__version__,
            source=str(source.resolve()),
            deployment=asdict(deployment) if deployment else None,
            journal_records=records,
            files=tuple(sorted(copied, key=lambda f: f.path)),
        )
        _write_durably(staging / MANIFEST, (json.dumps(manifest.to_json(), indent=2) + "\n").encode())
        _fsync_tree(staging)
        _move_into_place(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def _state_files(root: Path) -> list[str]:
    """Every file a gateway keeps under ``root``, relative and ``/``-separated (see the module docstring)."""
    found: list[str] = []
    sqlite_files: set[str] = set()
    candidates: list[str] = []
    for directory, subdirs, names in os.walk(root, followlinks=False):
        here = Path(directory)
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        for name in sorted(names):
            path = here / name
            rel = path.relative_to(root).as_posix()
            if name.startswith(".") or name.endswith(".tmp") or rel == LOCK_FILE_NAME:
                continue
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                raise BackupError(f"{path} is a symbolic link: a state directory holds files only")
            if not stat.S_ISREG(mode):
                continue
            candidates.append(rel)
            if _is_sqlite(path):
                sqlite_files.add(rel)
    for rel in candidates:
        if any(rel == base + suffix for base in sqlite_files for suffix in _SQLITE_SIDE_FILES):
            continue  # a database's write-ahead log or lock: the online backup holds its content
        found.append(rel)
    return found


def _is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(len(_SQLITE_MAGIC)) == _SQLITE_MAGIC
    except OSError:
        return False


def _copy_sqlite(src: Path, dst: Path) -> None:
    """SQLite's online backup: a consistent copy while a writer works on ``src``."""
    try:
        source = sqlite3.connect(f"file:{src}?mode=ro", uri=True, timeout=30)
        try:
            target = sqlite3.connect(dst)
            try:
                source.backup(target)
                # One self-contained file: a restored copy needs no -wal beside it.
                target.execute("PRAGMA journal_mode=DELETE")
            finally:
                target.close()
        finally:
            source.close()
    except sqlite3.Error as exc:
        raise BackupError(f"cannot back up the database {src}: {exc}") from None
    _fsync(dst)


def _copy_journal(src: Path, dst: Path) -> int:
    """Copy the journal up to its last complete record; return how many records it holds."""
    data = src.read_bytes()  # the gateway only appends: what is read is a prefix of the journal
    try:
        scan = scan_journal(src, data)
    except JournalCorrupt as exc:
        raise BackupError(f"{exc.message}; run `prioreg state check` before backing up") from None
    end = scan.end_of(len(scan.records))  # a record still being written is left out
    _write_durably(dst, data[:end])
    return len(scan.records)


def _copy_file(src: Path, dst: Path) -> bool:
    try:
        with src.open("rb") as fin, dst.open("wb") as fout:
            shutil.copyfileobj(fin, fout, _CHUNK)
            fout.flush()
            os.fsync(fout.fileno())
    except FileNotFoundError:
        dst.unlink(missing_ok=True)
        return False
    return True


# --- verify and restore ------------------------------------------------------------------------


def verify_backup(backup_dir: Path) -> Manifest:
    """Read ``manifest.json`` and check the whole backup against it; raise :class:`BackupError` if anything differs."""
    root = Path(backup_dir)
    manifest = _read_manifest(root)
    listed = {f.path for f in manifest.files}
    for entry in manifest.files:
        path = root / entry.path
        if not path.is_file() or path.is_symlink():
            raise BackupError(f"{root} is incomplete: {entry.path} is missing")
        if path.stat().st_size != entry.size or _sha256(path) != entry.sha256:
            raise BackupError(f"{root} was altered: {entry.path} does not match its SHA-256 in the manifest")
        if entry.kind == "journal":
            try:
                scan = scan_journal(path)
            except JournalCorrupt as exc:
                raise BackupError(f"{root}: {exc.message}") from None
            if scan.torn_at is not None or len(scan.records) != manifest.journal_records:
                raise BackupError(f"{root}: the journal does not hold the {manifest.journal_records} records listed")
    for rel in _all_files(root):
        if rel != MANIFEST and rel not in listed:
            raise BackupError(f"{root} holds {rel}, which its manifest does not list: not a backup as written")
    return manifest


def restore(backup_dir: Path, state_dir: Path) -> Manifest:
    """Verify ``backup_dir`` and make ``state_dir`` (absent or empty) a copy of the state it holds.

    Takes the writer lock of ``state_dir`` (:class:`~registry.errors.StateDirLocked` when a gateway
    holds it); builds the directory beside it and renames it into place, so a failed restore leaves
    ``state_dir`` as it was.
    """
    manifest = verify_backup(backup_dir)
    target = Path(state_dir)
    if _occupied(target, allow={LOCK_FILE_NAME}):
        raise BackupError(f"{target} is not empty: restore into a new or empty state directory")
    held: StateLock | None = StateLock.acquire(target, command="prioreg state restore") if target.exists() else None
    try:
        if _occupied(target, allow={LOCK_FILE_NAME}):  # filled between the check and the lock
            raise BackupError(f"{target} is not empty: restore into a new or empty state directory")
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = target.parent / f".{target.name}.restore-{secrets.token_hex(4)}"
        lock = StateLock.acquire(staging, command="prioreg state restore")
        try:
            for entry in manifest.files:
                src = Path(backup_dir) / entry.path
                dst = staging / entry.path
                _make_parents(dst, staging)
                _copy_file(src, dst)
                os.chmod(dst, entry.mode)
                if _sha256(dst) != entry.sha256:  # the disk we wrote to, checked as well
                    raise BackupError(f"{dst} does not match the backup after copying it")
            _fsync_tree(staging)
            if held is not None:
                # Our own empty directory and its lock make way for the restored one.
                (target / LOCK_FILE_NAME).unlink(missing_ok=True)
                target.rmdir()
            _move_into_place(staging, target)
            lock.moved_to(target)
        except BaseException:
            lock.release()
            shutil.rmtree(staging, ignore_errors=True)
            raise
        lock.release()
    finally:
        if held is not None:
            held.release()
    return manifest


def _read_manifest(root: Path) -> Manifest:
    path = root / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{root} is not a prioreg backup (no {MANIFEST})") from None
    except (OSError, ValueError) as exc:
        raise BackupError(f"{path} is unreadable ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BackupError(f"{path} is not a manifest of the format {FORMAT!r}")
    try:
        files = tuple(
            BackupFile(str(f["path"]), int(f["size"]), int(f["mode"]), str(f["sha256"]), str(f["kind"]))
            for f in data["files"]
        )
        records = data.get("journalRecords")
        manifest = Manifest(
            format=FORMAT,
            created=str(data["created"]),
            prioreg_version=str(data["prioregVersion"]),
            source=str(data["source"]),
            deployment=data.get("deployment"),
            journal_records=None if records is None else int(records),
            files=files,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise BackupError(f"{path} is not a complete manifest ({exc})") from None
    for entry in files:
        _check_relative(entry.path, path)
        if not 0 <= entry.mode <= 0o777:
            raise BackupError(f"{path} gives {entry.path} the impossible mode {entry.mode:o}")
    return manifest


def _check_relative(rel: str, manifest: Path) -> None:
    """A path of the manifest names a file inside the backup, nothing else (no ``..``, no absolute path)."""
    pure = PurePosixPath(rel)
    if (
        not rel
        or pure.is_absolute()
        or "\\" in rel
        or any(part in ("", ".", "..") for part in rel.split("/"))
        or rel in (MANIFEST, LOCK_FILE_NAME)
    ):
        raise BackupError(f"{manifest} names the path {rel!r}, which is not a file inside the backup")


# --- helpers -----------------------------------------------------------------------------------


def _occupied(path: Path, allow: set[str] | None = None) -> bool:
    """Whether ``path`` exists as anything but an empty directory (or one holding only ``allow``)."""
    if not path.exists() and not path.is_symlink():
        return False
    if not path.is_dir() or path.is_symlink():
        return True
    return any(entry.name not in (allow or set()) for entry in path.iterdir())


def _all_files(root: Path) -> Iterator[str]:
    for directory, _subdirs, names in os.walk(root, followlinks=False):
        for name in names:
            yield (Path(directory) / name).relative_to(root).as_posix()


def _make_parents(path: Path, root: Path) -> None:
    parent = path.parent
    if parent != root:
        parent.mkdir(parents=True, exist_ok=True, mode=0o700)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _write_durably(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    """Make the directory entries durable too (the files were fsynced as they were written)."""
    for directory, _subdirs, _names in os.walk(root):
        _fsync(Path(directory))


def _move_into_place(staging: Path, target: Path) -> None:
    """Rename the finished directory to ``target`` (an empty directory there is replaced)."""
    try:
        os.rename(staging, target)
    except OSError as exc:
        raise BackupError(f"cannot put the copy in place at {target}: {exc.strerror}") from None
    _fsync(target.parent)
