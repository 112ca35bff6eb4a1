"""The embedded chain (eth-tester on py-evm), made durable by a journal in a state directory.

docs/design.md#p11-same-code-any-evm makes the embedded chain the default ledger; an office will not anchor in
something that forgets on restart. The pieces, one job each:

- :mod:`.journal` — the append-only, fsynced record of every accepted transaction (property 7);
- :mod:`.snapshots` — images of py-evm's database, so that a restart replays only the journal's tail;
- :mod:`.blocks` — deterministic blocks, stamped with the clock, and the replay of journal records;
- :mod:`.diskdb` — py-evm's database in a SQLite file, for a chain too large for memory (the benchmark);
- :mod:`.repair` — ``prioreg state check [--repair]``;
- this module — opening the chain (:func:`open_tester`): the newest usable snapshot, then the
  journal records after it. It also holds :data:`DEFAULT_SNAPSHOT_POLICY`, which is read from here
  each time a chain is opened (a test or benchmark may set it).

Every name of the submodules that the rest of the registry uses is importable from here.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from registry.errors import RegistryError
from registry.ledger.embedded.blocks import deterministic_backend, replay, stamp_pending_block
from registry.ledger.embedded.diskdb import DiskDB
from registry.ledger.embedded.journal import (
    MAX_RECORD_BYTES,
    REPAIR_HINT,
    Journal,
    JournalCorrupt,
    JournalScan,
    read_journal,
    scan_journal,
    scan_journal_prefix,
)
from registry.ledger.embedded.repair import JournalCheck, JournalRepair, check_journal, repair_journal
from registry.ledger.embedded.snapshots import (
    Snapshot,
    SnapshotCorrupt,
    SnapshotPolicy,
    Snapshotter,
    kv_store,
    read_snapshot,
    restore,
    snapshot_path,
    usable_snapshot,
    write_snapshot,
)

__all__ = [
    "DEFAULT_SNAPSHOT_POLICY",
    "MAX_RECORD_BYTES",
    "REPAIR_HINT",
    "DiskDB",
    "Journal",
    "JournalCheck",
    "JournalCorrupt",
    "JournalRepair",
    "JournalScan",
    "Snapshot",
    "SnapshotCorrupt",
    "SnapshotPolicy",
    "check_journal",
    "deterministic_backend",
    "open_tester",
    "read_journal",
    "read_snapshot",
    "repair_journal",
    "replay",
    "scan_journal",
    "scan_journal_prefix",
    "snapshot_path",
    "stamp_pending_block",
    "write_snapshot",
]

log = logging.getLogger("prioreg.embedded")

#: The policy :func:`open_tester` uses unless given one.
DEFAULT_SNAPSHOT_POLICY = SnapshotPolicy()


def open_tester(
    state_dir: Path | None,
    *,
    now: int,
    snapshots: SnapshotPolicy | None = None,
    read_only: bool = False,
    base_db: Any = None,
) -> tuple[Any, Journal | None]:
    """An EthereumTester on a deterministic backend; with ``state_dir``, rebuilt from its snapshot
    (if one is usable) and the journal records after it.

    ``read_only`` (the read-only commands, docs/api.md#one-writer-per-state-directory): nothing in ``state_dir`` is
    written — no journal is created, a torn tail is left where it is (a running gateway may be appending it
    right now) and only the records before it are replayed, no snapshot is taken — and no journal
    is returned, so the caller must not send (the chain would forget what it was sent).

    A record that cannot be replayed (py-evm refuses it: a wrong nonce, a transaction for another
    chain — what two writers on one journal leave) raises :class:`JournalCorrupt` naming it.

    ``base_db`` (a py-evm ``BaseDB`` such as :class:`DiskDB`) holds a new chain instead of memory;
    only without ``state_dir``: a durable chain's snapshots are images of the in-memory database.
    """
    from eth_tester import EthereumTester

    if state_dir is None:
        return EthereumTester(backend=deterministic_backend(now, base_db=base_db)), None
    if base_db is not None:
        raise ValueError("a durable embedded chain keeps its database in memory (its snapshots copy it)")
    started = time.perf_counter()
    policy = DEFAULT_SNAPSHOT_POLICY if snapshots is None else snapshots
    journal: Journal | None
    if read_only:
        path = state_dir / Journal.FILE_NAME
        if not path.exists():
            raise RegistryError(f"{state_dir} holds no chain journal ({Journal.FILE_NAME})")
        journal, scan = None, scan_journal(path)
        genesis = scan.genesis_timestamp
    else:
        journal, scan = Journal.open_scanned(state_dir, now=now)
        genesis = journal.genesis_timestamp
    try:
        backend = deterministic_backend(genesis)
        start = 0
        snapshot = usable_snapshot(state_dir, scan, clean=not read_only) if policy.enabled else None
        if snapshot is not None:
            if restore(backend, snapshot):
                start = snapshot.records
            else:
                log.warning("the chain snapshot does not rebuild its own head; replaying the whole journal")
                backend = deterministic_backend(genesis)
            del snapshot
        try:
            replay(backend, state_dir / Journal.FILE_NAME, scan, start)
        except JournalCorrupt:
            if start == 0:
                raise
            # The records after the snapshot do not replay on it: replay from genesis before
            # blaming the journal (the journal, not the snapshot, is the source of truth).
            log.warning("the journal does not replay on the chain snapshot; replaying the whole journal")
            backend = deterministic_backend(genesis)
            start = 0
            replay(backend, state_dir / Journal.FILE_NAME, scan, 0)
    except BaseException:
        if journal is not None:
            journal.close()
        raise
    tester = EthereumTester(backend=backend)
    log.info(
        "chain rebuilt in %.2f s: %d journal records from a snapshot, %d replayed",
        time.perf_counter() - started,
        start,
        len(scan.records) - start,
    )
    if journal is not None and policy.enabled and kv_store(backend) is not None:
        snapshotter = Snapshotter(state_dir, backend, journal, policy)
        journal.snapshot_with(snapshotter)
        if len(scan.records) - start >= policy.every_records or scan.size - scan.end_of(start) >= policy.every_bytes:
            # A long replay just happened (no snapshot, or an old one): spare the next start from it.
            snapshotter.after_append(now=True)
    return tester, journal
