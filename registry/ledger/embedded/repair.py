"""Checking and repairing a chain journal (``prioreg state check [--repair]``,
docs/design.md#p8-one-writer-per-state-directory).

A well-formed record that py-evm refuses on replay (a nonce used twice: what two writers on one
journal left before registry.ops.lock) is named like a corrupt one. :func:`check_journal` replays
a whole journal without writing anything and :func:`repair_journal` keeps the records before the
first bad one.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from registry.errors import RegistryError
from registry.ledger.embedded.blocks import deterministic_backend, replay
from registry.ledger.embedded.journal import Journal, JournalCorrupt, fsync_dir, scan_journal_prefix
from registry.ledger.embedded.snapshots import snapshot_path

__all__ = ["JournalCheck", "JournalRepair", "check_journal", "repair_journal"]

log = logging.getLogger("prioreg.embedded")


@dataclass(frozen=True)
class JournalCheck:
    """What a full replay of a journal found: the good prefix and the first record at fault, if any.

    ``kept`` records (``kept_bytes`` bytes, header included) replay; ``fault`` is the first one
    that does not (a corrupt frame, or one py-evm refuses); ``torn_at`` is a torn tail after the
    last record when there is no fault. ``size`` is the file's size.
    """

    path: Path
    kept: int
    kept_bytes: int
    size: int
    fault: JournalCorrupt | None
    torn_at: int | None

    @property
    def healthy(self) -> bool:
        """Every byte of the journal is a record that replays."""
        return self.fault is None and self.torn_at is None

    @property
    def dropped_bytes(self) -> int:
        """What ``--repair`` cuts off."""
        return self.size - self.kept_bytes


def check_journal(state_dir: Path) -> JournalCheck:
    """Replay the whole journal of ``state_dir`` from genesis (no snapshot), writing nothing.

    Raises :class:`JournalCorrupt` only for a bad header (then no record can be trusted);
    everything else is reported in the :class:`JournalCheck`.
    """
    path = state_dir / Journal.FILE_NAME
    data = path.read_bytes()
    scan, fault = scan_journal_prefix(path, data)
    backend = deterministic_backend(scan.genesis_timestamp)
    kept = len(scan.records)
    try:
        replay(backend, path, scan)
    except JournalCorrupt as refused:
        fault, kept = refused, refused.kept
    torn = scan.torn_at if fault is None else None
    return JournalCheck(path, kept, scan.end_of(kept), len(data), fault, torn)


@dataclass(frozen=True)
class JournalRepair:
    """What :func:`repair_journal` did: records kept, bytes dropped, and where the dropped bytes are."""

    kept: int
    dropped_bytes: int
    first_dropped: int
    aside: Path


def repair_journal(state_dir: Path, check: JournalCheck) -> JournalRepair | None:
    """Keep the records ``check`` found good and drop the rest, atomically; None when nothing is wrong.

    The dropped bytes are copied to ``chain.journal.dropped-<offset>`` for a person; the kept
    prefix is written beside the journal, fsynced and renamed over it, so a crash leaves the old
    journal or the repaired one. The snapshot is removed (it may cover dropped records; the next
    start replays and writes a new one). The caller holds the writer lock.
    """
    if check.healthy:
        return None
    path = check.path
    data = path.read_bytes()
    if len(data) != check.size:
        raise RegistryError(f"{path} changed while it was checked; check it again")
    cut = check.kept_bytes
    aside = path.with_name(f"{path.name}.dropped-{cut}")
    for target, content in ((aside, data[cut:]), (path.with_name(path.name + ".repair"), data[:cut])):
        with target.open("wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
    path.with_name(path.name + ".repair").replace(path)
    for stale in (snapshot_path(state_dir), snapshot_path(state_dir).with_name("chain.snapshot.tmp")):
        stale.unlink(missing_ok=True)
    fsync_dir(state_dir)
    first = check.fault.record if check.fault is not None else check.kept + 1
    dropped = len(data) - cut
    log.info("repaired %s: kept %d records, dropped %d bytes (moved to %s)", path, check.kept, dropped, aside)
    return JournalRepair(check.kept, dropped, first, aside)
