"""Bloom filters in front of the key maps, for the writer's lookups that find nothing (issue 18).

The writer looks up every new record's commitment twice where it almost never is: does the office
already hold it (first anchored wins, docs/design.md#p4-first-write-wins-history-stays), and has a
claim already named it (:mod:`registry.index.components`). Each lookup is three B-tree searches,
one a level of :mod:`registry.index.keys`, and they grow with the ledger: py-spy of the full year
(BENCHMARKS.md, 7aad4be) gave these two +6.9 µs a filing from 0.35 M to 3.3 M filings. A Bloom
filter (Bloom 1970) of each map's key prefixes answers "certainly not there" for most of them in
memory; only the values it may hold go to SQLite. It is never wrong the other way: every key the
map holds was added to it, so a lookup it skips would have found nothing.

- **Only added to.** A rollback (:mod:`registry.index.sync`) deletes keys from the map and leaves
  them in the filter: a superset, which only costs lookups. So is a step whose transaction fails.
- **Bit positions from the key itself.** The prefixes are the first 8 bytes of hashes, so their
  two 32-bit halves serve as the two hashes of Kirsch and Mitzenmacher's ``a + i·b`` (2006): no
  hash function runs. An office can choose commitments whose prefixes collide with another's; that
  costs lookups (the SQL path, exact), never an answer.
- **Sized by the map**: 16 to 32 bits a key when built (a power of two), three positions a key, so
  at most about 0.5 % of the absent values pass, and 3 % when it has filled to 8 bits a key; then it
  is built again at twice the size. 20 M filings take 32 to 64 MB for the records' map.
- **Built from the map, not stored.** On an index file the writer builds it in a thread, from its
  own read transaction of the levels (a WAL snapshot), while the steps go on: their new keys go to
  the filter in use and to a second one, OR-ed into the new filter when the build is done. Until
  then the filter in use answers (none at all: every value goes to SQLite). So a gateway's restart
  does not wait for it (about 1 µs a key in Python), and nothing on disk can disagree with the map.
  An in-memory index is built in the step (it is small, or a read-only command's copy of a file,
  which keeps no filter: the copy would cost it more than it saves).
"""

from __future__ import annotations

import logging
import sqlite3
import struct
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from registry.index.keys import CLAIM_KEYS, PREFIX_BYTES, RECORD_KEYS, KeyMap, add_claim_keys, add_record_keys
from registry.index.schema import connect

__all__ = ["MAX_BITS_LOG2", "MIN_BITS_LOG2", "KeyFilter", "KeyFilters"]

# The standard library's logging: silent in a command unless asked, JSON lines in `prioreg serve` (api.observability).
_log = logging.getLogger(__name__)

#: The smallest filter: 2²⁰ bits (128 KiB), for 65,536 keys before it is built again.
MIN_BITS_LOG2: Final = 20
#: The largest: 2³¹ bits (256 MiB); past 270 M keys it fills and lets more values through, never fewer.
MAX_BITS_LOG2: Final = 31
_BITS_PER_KEY_BUILT = 16
_BITS_PER_KEY_FULL = 8
_ROWS_BETWEEN_STOP_CHECKS = 65_536
_MERGE_BYTES = 1 << 20
_HALVES = struct.Struct("<II")
_BIT = tuple(1 << n for n in range(8))


def _size_for(keys: int) -> int:
    """log₂ of the bits for ``keys`` keys at 16 bits a key, within the bounds."""
    bits = max(keys, 1) * _BITS_PER_KEY_BUILT
    return min(max(MIN_BITS_LOG2, (bits - 1).bit_length()), MAX_BITS_LOG2)


def _set(bits: bytearray, mask: int, values: Iterable[bytes]) -> int:
    """Set the three bits of each value's prefix; returns how many values."""
    unpack = _HALVES.unpack_from
    bit = _BIT
    n = 0
    for value in values:
        n += 1
        if len(value) < PREFIX_BYTES:
            continue  # never filtered (see :meth:`KeyFilter.maybe`): nothing to set
        a, b = unpack(value)
        b |= 1
        j = a & mask
        bits[j >> 3] |= bit[j & 7]
        j = (a + b) & mask
        bits[j >> 3] |= bit[j & 7]
        j = (a + 2 * b) & mask
        bits[j >> 3] |= bit[j & 7]
    return n


def _levels(
    db: sqlite3.Connection, keys: KeyMap, log2: int, stop: threading.Event | None
) -> tuple[bytearray, int] | None:
    """A filter of 2**``log2`` bits of every prefix in the levels of ``keys``, as ``db`` sees them, and how many.

    None when ``stop`` was set meanwhile (the index is closing).
    """
    bits = bytearray(1 << (log2 - 3))
    mask = (1 << log2) - 1
    count = 0
    for n in range(3):
        rows = db.execute(f"SELECT prefix FROM {keys.level(n)}")  # noqa: S608 - fixed names
        while some := rows.fetchmany(_ROWS_BETWEEN_STOP_CHECKS):
            count += _set(bits, mask, (bytes(row[0]) for row in some))
            if stop is not None and stop.is_set():
                return None
    return bits, count


def _scan(path: str, keys: KeyMap, log2: int, stop: threading.Event) -> tuple[bytearray, int] | None:
    """:func:`_levels` in one snapshot of the index file at ``path``, on a connection of its own (a thread's)."""
    db = connect(path, readonly=True)
    try:
        db.execute("BEGIN")  # one snapshot: a key moving between levels is read once
        return _levels(db, keys, log2, stop)
    finally:
        db.close()


@dataclass
class _Build:
    """A filter being built in a thread, and the keys the steps added meanwhile."""

    log2: int
    pending: bytearray
    thread: threading.Thread
    added: int = 0  # keys the steps added to ``pending``
    result: tuple[bytearray, int] | None = None
    failed: bool = False


class KeyFilter:
    """The Bloom filter of one key map (see the module docstring). Used by the writer's thread only."""

    def __init__(self, keys: KeyMap) -> None:
        self.keys = keys
        self._bits: bytearray | None = None  # None: no filter, every value may be in the map
        self._mask = 0
        self._count = 0  # keys added to the filter in use (a rollback's are still counted)
        self._build: _Build | None = None
        self._stop = threading.Event()
        self._off = False  # no filter at all: a read-only command's copy, a first build failed, another writer
        self._fixed = False  # no growth (a build failed: the filter in use fills instead)

    @property
    def ready(self) -> bool:
        """Whether the filter is in use (else every value goes to SQLite)."""
        return self._bits is not None

    def maybe(self, values: Sequence[bytes]) -> list[bytes]:
        """The ``values`` whose key may be in the map: all of them without a filter; never fewer than are."""
        bits = self._bits
        if bits is None:
            return list(values)
        unpack = _HALVES.unpack_from
        bit = _BIT
        mask = self._mask
        out = []
        for value in values:
            if len(value) >= PREFIX_BYTES:
                a, b = unpack(value)
                b |= 1
                j = a & mask
                if not bits[j >> 3] & bit[j & 7]:
                    continue
                j = (a + b) & mask
                if not bits[j >> 3] & bit[j & 7]:
                    continue
                j = (a + 2 * b) & mask
                if not bits[j >> 3] & bit[j & 7]:
                    continue
            out.append(value)
        return out

    def add(self, values: Sequence[bytes]) -> None:
        """Add the keys (whole values or prefixes) the map has just been given."""
        if self._bits is not None:
            self._count += _set(self._bits, self._mask, values)
        build = self._build
        if build is not None:
            build.added += _set(build.pending, (1 << build.log2) - 1, values)

    # ── building ─────────────────────────────────────────────────────────────────────────

    def before_step(self, db: sqlite3.Connection, path: str | None) -> None:
        """At a step's start, before it writes anything: start, finish or redo a build as needed.

        ``path`` is the index file (None: in memory, built here on ``db``).
        """
        if self._off:
            return
        build = self._build
        if build is not None:
            if build.thread.is_alive():
                return
            self._finish(build)
            return  # a filter just taken in (or none, after a failure): the growth is looked at next step
        if self._bits is None:
            if self._empty(db):
                self._use(bytearray(1 << (MIN_BITS_LOG2 - 3)), MIN_BITS_LOG2, 0)
                return
            if path is None:  # a copy of an index file: building it would cost more than it saves
                self._off = True
                return
            self._start(path, _size_for(self._rows_estimate(db)))
        elif not self._fixed and self._count * _BITS_PER_KEY_FULL > self._mask + 1:
            log2 = _size_for(self._count)
            if log2 <= self._mask.bit_length():
                return  # at the largest size: it fills, it does not grow
            if path is None:
                self._rebuild_here(db, log2)
            else:
                self._start(path, log2)

    def _empty(self, db: sqlite3.Connection) -> bool:
        return all(
            db.execute(f"SELECT 1 FROM {self.keys.level(n)} LIMIT 1").fetchone() is None  # noqa: S608
            for n in range(3)
        )

    def _rows_estimate(self, db: sqlite3.Connection) -> int:
        """The rows of the map's table (the key map has one key a row), from its largest rowid."""
        column = self.keys.row
        row = db.execute(f"SELECT coalesce(max({column}), 0) FROM {self.keys.table}").fetchone()  # noqa: S608
        return int(row[0])

    def _use(self, bits: bytearray, log2: int, count: int) -> None:
        self._bits, self._mask, self._count = bits, (1 << log2) - 1, count

    def _rebuild_here(self, db: sqlite3.Connection, log2: int) -> None:
        found = _levels(db, self.keys, log2, None)
        assert found is not None  # nothing can stop it
        self._use(found[0], log2, found[1])

    def _start(self, path: str, log2: int) -> None:
        build = _Build(log2, bytearray(1 << (log2 - 3)), threading.Thread())

        def run() -> None:
            try:
                build.result = _scan(path, self.keys, log2, self._stop)
            except Exception:  # a file the thread cannot read: the filter in use goes on answering
                _log.warning("key_filter_build_failed", extra={"map": self.keys.view}, exc_info=True)
                build.failed = True

        build.thread = threading.Thread(target=run, name=f"key-filter-{self.keys.view}", daemon=True)
        self._build = build
        build.thread.start()
        _log.info("key_filter_build_started", extra={"map": self.keys.view, "bits": 1 << log2})

    def _finish(self, build: _Build) -> None:
        self._build = None
        if build.failed or build.result is None:
            # Not retried in this process: without a filter every value goes to SQLite, as before filters.
            self._off, self._fixed = self._bits is None, True
            return
        scanned, count = build.result
        # The scan holds every key committed before it began, ``pending`` every key added since the
        # build started (which was before that): the OR of the two holds them all.
        pending = build.pending
        for start in range(0, len(scanned), _MERGE_BYTES):  # a MiB at a time: no copy of the whole filter
            part = slice(start, start + _MERGE_BYTES)
            merged = int.from_bytes(scanned[part], "little") | int.from_bytes(pending[part], "little")
            scanned[part] = merged.to_bytes(len(scanned[part]), "little")
        self._use(scanned, build.log2, count + build.added)  # a key in both counts twice: it only grows sooner
        _log.info("key_filter_built", extra={"map": self.keys.view, "keys": self._count, "bits": 1 << build.log2})

    def turn_off(self) -> None:
        """No filter from now on: every value goes to SQLite."""
        self.close()
        self._off, self._bits = True, None

    def close(self) -> None:
        """Stop a build in progress (the index is closing)."""
        self._stop.set()
        build = self._build
        if build is not None:
            build.thread.join()
            self._build = None


class KeyFilters:
    """The filters of both maps, as the writer holds them (:class:`registry.index.sync.Follower`).

    The writer adds keys to the maps only through :meth:`add_record_keys` and :meth:`add_claim_keys`,
    which add them to the filters too: a key in a map and not in its filter would be a record
    anchored twice (``path``: the index file; None in memory).
    """

    def __init__(self, path: str | None) -> None:
        self._path = path
        self.records = KeyFilter(RECORD_KEYS)
        self.claims = KeyFilter(CLAIM_KEYS)
        self._version: int | None = None  # PRAGMA data_version at the last step's start

    def add_record_keys(self, db: sqlite3.Connection, rows: list[tuple[bytes, str, int]]) -> None:
        """:func:`registry.index.keys.add_record_keys`, and the commitments to the records' filter."""
        add_record_keys(db, rows)
        self.records.add([c for c, _o, _s in rows])

    def add_claim_keys(self, db: sqlite3.Connection, rows: list[tuple[bytes, int]]) -> None:
        """:func:`registry.index.keys.add_claim_keys`, and the earlier commitments to the claims' filter."""
        add_claim_keys(db, rows)
        self.claims.add([e for e, _i in rows])

    def before_step(self, db: sqlite3.Connection) -> None:
        """See :meth:`KeyFilter.before_step`; called in the step's write transaction.

        Only this connection may write the maps while the filters are in use: a state directory has one
        writer (docs/api.md#one-writer-per-state-directory), but a second writing :class:`~registry.index.Index`
        on the same file would add keys these filters never see. SQLite's ``data_version`` changes when
        another connection commits, so then the filters are turned off, and every lookup goes to SQLite.
        """
        version = int(db.execute("PRAGMA data_version").fetchone()[0])
        if self._version is not None and version != self._version:
            _log.warning("key_filters_off", extra={"reason": "another connection wrote the index file"})
            for one in (self.records, self.claims):
                one.turn_off()
        self._version = version
        for one in (self.records, self.claims):
            one.before_step(db, self._path)

    def close(self) -> None:
        for one in (self.records, self.claims):
            one.close()
