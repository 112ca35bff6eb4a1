"""The chain journal: the append-only record of every transaction the embedded chain accepted.

docs/design.md#p7-acknowledged-means-on-the-ledger: every transaction the chain accepts is appended to ``chain.journal``
— its raw signed bytes and the timestamp of the block that included it — and fsynced as soon as it is mined,
before the next one is and before the write is acknowledged. The journal is the source of truth
the chain is rebuilt from (:mod:`registry.ledger.embedded`).

Journal format (version 1): a header line ``PRIOREG-JOURNAL 1 <genesis timestamp>\\n``, then
records ``length (4, big-endian) | crc32 (4) | timestamp (8) | raw transaction``. A corrupt
record is never used: :class:`JournalCorrupt` reports where it is. The one exception is a *torn
tail* (see :func:`scan_journal`): the last record cut short by a crash is moved aside and the
journal truncated before it, with a warning.
"""

from __future__ import annotations

import logging
import os
import struct
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from registry.errors import JournalCorrupt

if TYPE_CHECKING:
    from registry.ledger.embedded.snapshots import Snapshotter

__all__ = [
    "MAX_RECORD_BYTES",
    "REPAIR_HINT",
    "Journal",
    "JournalCorrupt",
    "JournalScan",
    "fsync_dir",
    "read_journal",
    "scan_journal",
    "scan_journal_prefix",
]

log = logging.getLogger("prioreg.embedded")

MAGIC = b"PRIOREG-JOURNAL 1 "
_RECORD_HEAD = 8  # length + crc32
#: The largest record a torn tail may be part of. Real nodes refuse transactions over 128 KiB and
#: the client never builds one over 120 KB; a torn header claiming more is damage, not a tear.
MAX_RECORD_BYTES = 2**20


#: What the CLI adds to a message about a journal that cannot be used.
REPAIR_HINT = "`prioreg state check` shows what is wrong; `--repair` keeps every record before it"


@dataclass(frozen=True)
class JournalScan:
    """A verified journal: its records, where each ends, and the torn tail found after them, if any.

    ``ends[i]`` is the byte offset just after record ``i`` (``header_end`` before the first), so
    the prefix that holds the first ``n`` records is ``data[:end_of(n)]``.
    """

    genesis_timestamp: int
    header_end: int
    records: list[tuple[int, bytes]]
    ends: list[int]
    torn_at: int | None
    size: int

    def end_of(self, count: int) -> int:
        """The byte offset just after the first ``count`` records."""
        return self.header_end if count == 0 else self.ends[count - 1]


def scan_journal(path: Path, data: bytes | None = None) -> JournalScan:
    """Read and verify a whole journal; a torn tail is reported in ``torn_at``, not raised.

    A *torn tail* is what a crash (SIGKILL, power loss) leaves when it interrupts the last append:
    after the last good record, fewer than 8 header bytes, or a header whose plausible length
    (at most :data:`MAX_RECORD_BYTES`) runs past the end of the file, or nothing but zero bytes
    (a file the file system extended before the data landed) — and no complete, valid record
    anywhere inside it. Such a record was never acknowledged: the chain acknowledges a write only
    after the fsync that follows its append, and an fsynced record is complete on disk (a
    process killed in ``write`` leaves a prefix of the record, never wrong bytes). So the tail is
    safe to drop, and refusing to start over it would turn every crash into an outage.

    Everything else is :class:`JournalCorrupt` and needs a person: a checksum mismatch in any
    *complete* record, even the last one (a complete record may have been fsynced and
    acknowledged; bit rot in it must be seen, not truncated away), an impossible length, or a
    "tail" that holds a valid record after the damage (a damaged length field in the middle).
    """
    scan, fault = scan_journal_prefix(path, data)
    if fault is not None:
        raise fault
    return scan


def scan_journal_prefix(path: Path, data: bytes | None = None) -> tuple[JournalScan, JournalCorrupt | None]:
    """Like :func:`scan_journal`, but the good records before a corrupt one are returned with it.

    The scan holds every record up to the first corrupt one; the error (``None`` when there is
    none) says where that one starts and which it is. A bad header is raised: nothing before it
    is a record.
    """
    if data is None:
        data = path.read_bytes()
    line_end = data.find(b"\n")
    if not data.startswith(MAGIC) or line_end < 0:
        raise JournalCorrupt(f"{path} is not a prioreg chain journal (bad header)", offset=0)
    try:
        genesis = int(data[len(MAGIC) : line_end])
    except ValueError:
        raise JournalCorrupt(f"{path} has an unreadable genesis timestamp", offset=0) from None
    records: list[tuple[int, bytes]] = []
    ends: list[int] = []
    offset = line_end + 1
    end = len(data)
    torn_at: int | None = None
    while offset < end:
        length, crc = struct.unpack_from(">II", data, offset) if end - offset >= _RECORD_HEAD else (0, 0)
        fits = end - offset >= _RECORD_HEAD and 8 <= length <= end - offset - _RECORD_HEAD
        fault: str | None = None
        if not fits:
            if _is_torn_tail(data, offset):
                torn_at = offset
                break
            fault = f"length {length} does not fit the file"
        else:
            body = data[offset + _RECORD_HEAD : offset + _RECORD_HEAD + length]
            if zlib.crc32(body) != crc:
                fault = "checksum mismatch"
        if fault is not None:
            number = len(records) + 1
            partial = JournalScan(genesis, line_end + 1, records, ends, None, offset)
            return partial, JournalCorrupt(
                f"{path} has a corrupt record: record {number} at byte {offset} ({fault})", offset=offset, record=number
            )
        (timestamp,) = struct.unpack_from(">Q", body)
        records.append((timestamp, bytes(body[8:])))
        offset += _RECORD_HEAD + length
        ends.append(offset)
    return JournalScan(genesis, line_end + 1, records, ends, torn_at, end), None


def _is_torn_tail(data: bytes, offset: int) -> bool:
    """Whether the bytes from ``offset`` to the end can only be one append cut short (see :func:`scan_journal`)."""
    tail = memoryview(data)[offset:]
    if not any(tail):
        return True  # zero-filled: the file grew, its data never landed
    if len(tail) >= _RECORD_HEAD:
        (length,) = struct.unpack_from(">I", tail)
        if not 8 <= length <= MAX_RECORD_BYTES:
            return False  # no append writes such a header: this is damage, not a tear
    # A tear leaves part of one record, so no complete, valid record can start inside it; finding
    # one means a damaged length field in the middle, and truncating there would lose real records.
    end = len(tail)
    for start in range(1, end - _RECORD_HEAD - 8 + 1):
        length, crc = struct.unpack_from(">II", tail, start)
        if 8 <= length <= end - start - _RECORD_HEAD and zlib.crc32(tail[start + 8 : start + 8 + length]) == crc:
            return False
    return True


def read_journal(path: Path) -> tuple[int, list[tuple[int, bytes]]]:
    """Read and verify a whole journal: the genesis timestamp and the ``(timestamp, raw)`` records.

    Read-only: a torn tail is reported as :class:`JournalCorrupt` here; :meth:`Journal.open`
    (which owns the file) is the one that moves it aside.
    """
    scan = scan_journal(path)
    if scan.torn_at is not None:
        raise JournalCorrupt(
            f"{path} ends in a torn record at byte {scan.torn_at} (a write was cut short); "
            "the transactions before it are intact, and opening the chain moves the tail aside",
            offset=scan.torn_at,
        )
    return scan.genesis_timestamp, scan.records


class Journal:
    """The append-only record of every transaction the embedded chain accepted."""

    FILE_NAME = "chain.journal"

    def __init__(self, path: Path, genesis_timestamp: int, *, records: int = 0, size: int = 0, crc: int = 0) -> None:
        self.path = path
        self.genesis_timestamp = genesis_timestamp
        self._file = path.open("ab")
        self._lock = threading.Lock()
        self._dirty = False
        #: Records in the file, its size and the crc32 of all its bytes: what a snapshot covers.
        self.records = records
        self.size = size
        self.crc = crc
        self._snapshots: Snapshotter | None = None

    @classmethod
    def open(cls, state_dir: Path, *, now: int) -> tuple[Journal, list[tuple[int, bytes]]]:
        """Open (or create) the journal in ``state_dir``; return it with the records to replay."""
        journal, scan = cls.open_scanned(state_dir, now=now)
        return journal, scan.records

    @classmethod
    def open_scanned(cls, state_dir: Path, *, now: int) -> tuple[Journal, JournalScan]:
        """Like :meth:`open`, returning the whole :class:`JournalScan` (snapshots are checked against it).

        A torn tail (:func:`scan_journal`) is copied to ``chain.journal.torn-<offset>`` beside the
        journal, for a person to look at, and cut off with a warning.
        """
        state_dir.mkdir(parents=True, exist_ok=True)
        path = state_dir / cls.FILE_NAME
        if not path.exists() or path.stat().st_size == 0:
            header = MAGIC + str(now).encode() + b"\n"
            tmp = path.with_suffix(".tmp")
            with tmp.open("wb") as fh:
                fh.write(header)
                fh.flush()
                os.fsync(fh.fileno())
            tmp.replace(path)
            fsync_dir(state_dir)
            scan = JournalScan(now, len(header), [], [], None, len(header))
            return cls(path, now, size=len(header), crc=zlib.crc32(header)), scan
        data = path.read_bytes()
        scan = scan_journal(path, data)
        if scan.torn_at is not None:
            _cut_torn_tail(path, data, scan.torn_at)
            data = data[: scan.torn_at]
            scan = JournalScan(scan.genesis_timestamp, scan.header_end, scan.records, scan.ends, None, scan.torn_at)
        journal = cls(path, scan.genesis_timestamp, records=len(scan.records), size=scan.size, crc=zlib.crc32(data))
        return journal, scan

    def append(self, timestamp: int, raw: bytes) -> None:
        """Append one accepted transaction and make it durable (write, flush, fsync) before returning.

        The chain calls this with its send lock held, once the transaction is mined: the chain
        state then holds exactly :attr:`records` transactions, which is when a snapshot is taken.
        A mined block is visible at once to every reader (the index follower, verifications), so
        its record is made durable here, before the next transaction is mined, and not only at
        the :meth:`sync` before the acknowledgement: a call that sends several batch
        transactions would otherwise show blocks for seconds that a crash could still take back.
        """
        payload = struct.pack(">Q", timestamp) + raw
        record = struct.pack(">II", len(payload), zlib.crc32(payload)) + payload
        with self._lock:
            self._file.write(record)
            self._file.flush()
            os.fsync(self._file.fileno())
            self.records += 1
            self.size += len(record)
            self.crc = zlib.crc32(record, self.crc)
        if self._snapshots is not None:
            self._snapshots.after_append()

    def position(self) -> tuple[int, int, int]:
        """Records, size and crc32 of the file, read together: the journal prefix a snapshot covers."""
        with self._lock:
            return self.records, self.size, self.crc

    def snapshot_with(self, snapshots: Snapshotter) -> None:
        """Let ``snapshots`` take a snapshot after each append, as its policy says (and a last one on close)."""
        self._snapshots = snapshots

    def sync(self) -> None:
        """Make every appended record durable (flush + fsync) — before any write is acknowledged.

        :meth:`append` already does; this stays the chain's explicit step before an acknowledgement."""
        with self._lock:
            if self._dirty:
                self._file.flush()
                os.fsync(self._file.fileno())
                self._dirty = False

    def close(self) -> None:
        """Sync, write a last snapshot (when snapshots are on and something is new) and close the file."""
        self.sync()
        if self._snapshots is not None:
            self._snapshots.close()
            self._snapshots = None
        with self._lock:
            self._file.close()


def _cut_torn_tail(path: Path, data: bytes, offset: int) -> None:
    aside = path.with_name(f"{path.name}.torn-{offset}")
    with aside.open("wb") as fh:
        fh.write(data[offset:])
        fh.flush()
        os.fsync(fh.fileno())
    with path.open("r+b") as fh:
        fh.truncate(offset)
        fh.flush()
        os.fsync(fh.fileno())
    fsync_dir(path.parent)
    log.warning(
        "%s ended in a torn record at byte %d (%d bytes, cut short by a crash before it was acknowledged); "
        "moved it to %s and truncated the journal there",
        path,
        offset,
        len(data) - offset,
        aside.name,
    )


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
