"""The SQLite file of the index: its tables, their version, and how a connection is set up.

docs/design.md#p3-the-ledger-is-the-only-source-of-truth — "the ledger is the only source of truth": nothing here is
ever migrated. An index of another :data:`SCHEMA_VERSION` is refused, or deleted and rebuilt from the chain
(:func:`discard_outdated`); one made for another contract or chain is refused
(:func:`open_tables`). Every table carries a block number or a chain position, so a
reorganisation is undone by deleting from the top (:mod:`registry.index.sync`).

Schema (``PRAGMA user_version`` = :data:`SCHEMA_VERSION`; commitments, roots and hashes are 32-byte
BLOBs, dates are days since 1970-01-01 as in docs/spec/entries.md#field-encodings, a chain *position* is
``block_number << 20 | n`` where ``n`` counts the contract's events within the block)::

    meta          key → value: contract, chain_id, start_block, last_block, last_hash
    blocks        number, hash, events                       (reorg detection)
    anchors       position, block, tx, tx_index, office, root|NULL, count, first_seq, refused
                  one row per FilingAnchored / BatchAnchored; `refused` says why it was
                  not accepted
    records       seq (chain order), office, commitment, kind, filing_date, digest,
                  anchor (position), entry_index|NULL, family|NULL
                  — version 1 as anchored; family: the label of its extended family
    record_keys   (commitment, office) → seq, unique: a view over three levels of (prefix, office, seq)
                  joined to records (registry.index.keys)
    versions      (seq, version), change, filing_date, digest, block, position, tx
    claims        id (chain order), later_seq (the claiming record), earlier_office, earlier,
                  claimed_date, token, version, block, withdrawn_version, withdrawn_block
    claim_keys    (earlier, id): the claims naming each earlier commitment, a view as record_keys
    key_levels    map → keys added this step, keys in level 0, slice credit and cursor (merge state)
    confirmations (office, earlier, later_office, later), block, position, tx
    conflicts     id, office, commitment, anchor (position), entry_index|NULL, block
    publications  seq, number_office, number, block, position, tx
    reports       (office, report_digest), report_id (UNIQUE), commitment, kind, issued, block, position, tx
    refusals      position, block, tx, office, commitment, event, reason   (claims, amendments, …)
    office_events position, block, tx, office, event, signer, endpoint
    family_offices (family, office), count                    the offices of each family (registry.index.components)
    family_parents label → parent                              labels merged into another (registry.index.components)
    audiences     id, offices (UNIQUE, comma-joined)          who is told, each set once
    audience_offices (office, audience)
    notices       position, tx, time                          one row per event that notifies
    notifications (audience, position, item), kind, seq|NULL  who is told of what (docs/api.md#notifications)

``records`` is a rowid table whose ``seq`` follows chain order, so a rollback deletes one range
from the top and ``max(seq)`` counts the filings without a scan. Version 1 lives in ``records``
and ``anchors`` only; ``versions`` holds the later ones.

The commitment keys of ``records`` and ``claims`` are not indexes of those tables, which are
appended in chain order: they are maps of their own (``record_keys``, ``claim_keys``), each in
three levels that take new keys in a small table and merge them into the large one later
(:mod:`registry.index.keys`), so a step's commit writes a few pages, not one for every key. The
levels keep the first 8 bytes of a commitment; the view joins the row for the rest.

Size (issue 6: at most 250 bytes of index a filing). dbstat at 300,000 filings of the bench (205
bytes a filing): ``records`` 77, ``claims`` 56 (0.75 claims a filing), ``notifications`` 21,
``record_keys`` 22, ``claim_keys`` 14, the ``later_seq`` index 10, family tables 3. Claims name
the claiming record by ``seq`` (a few bytes) rather than by its commitment (32 bytes, indexed
twice more), and the batch calldata is not copied: a proof re-encodes the batch's entries from
``records`` and ``claims`` (one encoding per entry, docs/spec/entries.md#merkle-tree) and checks
them against the anchored root; only a batch that lost entries to earlier anchors is read again
from its transaction.

Notifications (docs/api.md#notifications) are decided when the block is projected: ``notifications``
holds one row per notification, keyed (audience, position, item) so that an office's page merges one
range of the key per audience it is in; ``item`` is ``2 × entry + sub`` (the entry of a batch, and a
second notification of the same event). The audience ``*`` reaches every office. ``notices`` keeps,
once per event, the transaction and the block time. A batched filing costs one row of ~25 bytes
however many offices its family holds, and its family label (registry.index.components).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Final

from registry import errors
from registry.index.keys import schema as keys_schema

__all__ = [
    "SCHEMA_VERSION",
    "TABLES",
    "check_tables",
    "connect",
    "discard_outdated",
    "last_indexed",
    "open_tables",
    "position",
    "set_last_indexed",
    "split_position",
]

#: Bumped whenever the tables change; an index of another version must be deleted and rebuilt.
SCHEMA_VERSION: Final = 8

_POSITION_BITS = 20  # events of the contract in one block: far fewer than 2**20 fit under any gas limit
_WAL_PAGES = 50_000  # pages in the WAL before a checkpoint (~200 MB at 4 KB a page)


def position(block: int, n: int) -> int:
    """The chain position of the ``n``-th event of the contract in ``block``: ``block << 20 | n``."""
    return (block << _POSITION_BITS) | n


def split_position(position: int) -> tuple[int, int]:
    """The (block, n) of a chain ``position``: the inverse of :func:`position`."""
    return position >> _POSITION_BITS, position & ((1 << _POSITION_BITS) - 1)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blocks (number INTEGER PRIMARY KEY, hash BLOB NOT NULL, events INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS anchors (
    position INTEGER PRIMARY KEY,
    block_number INTEGER NOT NULL,
    tx_hash BLOB NOT NULL,
    tx_index INTEGER NOT NULL,
    office TEXT NOT NULL,
    root BLOB,
    count INTEGER NOT NULL,
    first_seq INTEGER,
    refused TEXT
);
CREATE INDEX IF NOT EXISTS anchors_root ON anchors (root) WHERE root IS NOT NULL;
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY,
    office TEXT NOT NULL,
    commitment BLOB NOT NULL,
    kind INTEGER NOT NULL,
    filing_date INTEGER NOT NULL,
    document_digest BLOB,
    anchor INTEGER NOT NULL,
    entry_index INTEGER,
    family INTEGER
);
CREATE TABLE IF NOT EXISTS versions (
    seq INTEGER NOT NULL,
    version INTEGER NOT NULL,
    change TEXT NOT NULL,
    filing_date INTEGER NOT NULL,
    document_digest BLOB,
    block_number INTEGER NOT NULL,
    position INTEGER NOT NULL,
    tx_hash BLOB NOT NULL,
    PRIMARY KEY (seq, version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS claims (
    id INTEGER PRIMARY KEY,
    later_seq INTEGER NOT NULL,
    earlier_office TEXT NOT NULL,
    earlier BLOB NOT NULL,
    claimed_date INTEGER NOT NULL,
    token BLOB NOT NULL,
    version INTEGER NOT NULL,
    block_number INTEGER NOT NULL,
    withdrawn_version INTEGER,
    withdrawn_block INTEGER
);
CREATE INDEX IF NOT EXISTS claims_later ON claims (later_seq);
CREATE INDEX IF NOT EXISTS claims_withdrawn ON claims (withdrawn_block) WHERE withdrawn_block IS NOT NULL;
CREATE TABLE IF NOT EXISTS confirmations (
    office TEXT NOT NULL,
    earlier BLOB NOT NULL,
    later_office TEXT NOT NULL,
    later BLOB NOT NULL,
    block_number INTEGER NOT NULL,
    position INTEGER NOT NULL,
    tx_hash BLOB NOT NULL,
    PRIMARY KEY (later, later_office, earlier, office)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS conflicts (
    id INTEGER PRIMARY KEY,
    office TEXT NOT NULL,
    commitment BLOB NOT NULL,
    anchor INTEGER NOT NULL,
    entry_index INTEGER,
    block_number INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS conflicts_commitment ON conflicts (commitment);
CREATE TABLE IF NOT EXISTS publications (
    seq INTEGER PRIMARY KEY,
    number_office TEXT NOT NULL,
    number TEXT NOT NULL,
    block_number INTEGER NOT NULL,
    position INTEGER NOT NULL,
    tx_hash BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS reports (
    office TEXT NOT NULL,
    report_digest BLOB NOT NULL,
    commitment BLOB NOT NULL,
    kind INTEGER NOT NULL,
    issued INTEGER NOT NULL,
    block_number INTEGER NOT NULL,
    position INTEGER NOT NULL,
    tx_hash BLOB NOT NULL,
    report_id BLOB NOT NULL,
    PRIMARY KEY (office, report_digest)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS reports_id ON reports (report_id);
CREATE INDEX IF NOT EXISTS reports_commitment ON reports (commitment, office);
CREATE TABLE IF NOT EXISTS refusals (
    position INTEGER PRIMARY KEY,
    block_number INTEGER NOT NULL,
    tx_hash BLOB NOT NULL,
    office TEXT NOT NULL,
    commitment BLOB NOT NULL,
    event TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS office_events (
    position INTEGER PRIMARY KEY,
    block_number INTEGER NOT NULL,
    tx_hash BLOB NOT NULL,
    office TEXT NOT NULL,
    event TEXT NOT NULL,
    signer TEXT,
    endpoint TEXT
);
CREATE TABLE IF NOT EXISTS notices (
    position INTEGER PRIMARY KEY,
    tx_hash BLOB NOT NULL,
    time INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS family_offices (
    family INTEGER NOT NULL,
    office TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (family, office)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS family_parents (label INTEGER PRIMARY KEY, parent INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS audiences (id INTEGER PRIMARY KEY, offices TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS audience_offices (
    office TEXT NOT NULL,
    audience INTEGER NOT NULL,
    PRIMARY KEY (office, audience)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS notifications (
    audience INTEGER NOT NULL,
    position INTEGER NOT NULL,
    item INTEGER NOT NULL,
    kind INTEGER NOT NULL,
    seq INTEGER,
    PRIMARY KEY (audience, position, item)
) WITHOUT ROWID;
""" + keys_schema()

#: Every table of the index (and the two key maps, through their views), in the order a comparison lists them;
#: not the merge state of the key maps (``key_levels``) nor the family forest (``family_parents``), which
#: depend on the index's history, not on the chain alone.
TABLES: Final = (
    "meta",
    "blocks",
    "anchors",
    "records",
    "versions",
    "claims",
    "record_keys",
    "claim_keys",
    "confirmations",
    "conflicts",
    "publications",
    "reports",
    "refusals",
    "office_events",
    "family_offices",
    "audiences",
    "audience_offices",
    "notices",
    "notifications",
)


def connect(path: str, *, readonly: bool) -> sqlite3.Connection:
    """A connection to the index at ``path`` (``":memory:"`` too), set up as the writer or as a reader."""
    # Autocommit mode: transactions are opened explicitly, so a sync step is exactly one.
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, cached_statements=256)
    if path != ":memory:":
        db.execute("PRAGMA busy_timeout = 10000")
        if readonly:
            db.execute("PRAGMA query_only = 1")
        else:
            db.execute("PRAGMA journal_mode = WAL")
            # WAL + NORMAL: a crash can lose the last committed step, never corrupt one; the
            # next sync simply reads it from the chain again.
            db.execute("PRAGMA synchronous = NORMAL")
            # Checkpoints (copying the WAL back into the file, with an fsync) every ~200 MB of
            # WAL instead of every 4 MB: a step of filings with random commitments dirties a
            # page a filing, so checkpointing after every step wrote and fsynced all of them
            # again. SQLite microbenchmark, 1.5 M rows in 10,000-row commits: 33 -> 24 s.
            db.execute(f"PRAGMA wal_autocheckpoint = {_WAL_PAGES}")
    db.execute("PRAGMA temp_store = MEMORY")
    # The writer gets a large page cache (a sync step touches many pages); every reading thread
    # has its own connection, so a reader's cache is small and the pages are shared through
    # the OS page cache instead: 40 API threads × 64 MB grew the server to gigabytes. Not
    # through mmap: each connection maps the file on its own, and every mapping counts its
    # touched pages in the process's resident size again (1 M filings: +700 MB while serving).
    if readonly:
        db.execute("PRAGMA cache_size = -2048")
        db.execute("PRAGMA mmap_size = 0")
    else:
        db.execute("PRAGMA cache_size = -65536")
    return db


def open_tables(db: sqlite3.Connection, path: str, contract: str, chain_id: int, start_block: int) -> int:
    """Create the tables when missing and check the file is this contract's; return its start block.

    Inside the caller's transaction. Raises :class:`~registry.errors.IndexInconsistent` for an
    index of another schema version, contract or chain id (a new file records ``start_block``).
    """
    version = db.execute("PRAGMA user_version").fetchone()[0]
    has_tables = db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'meta'").fetchone()[0]
    if has_tables and version != SCHEMA_VERSION:
        raise errors.IndexInconsistent(
            f"the index at {path} has schema version {version}, not {SCHEMA_VERSION}:"
            " delete it and sync again (it is rebuilt from the chain)"
        )
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
    if not meta:
        db.executemany(
            "INSERT INTO meta (key, value) VALUES (?, ?)",
            [("contract", contract), ("chain_id", str(chain_id)), ("start_block", start_block)],
        )
        return start_block
    if str(meta.get("contract", "")).lower() != contract.lower() or meta.get("chain_id") != str(chain_id):
        raise errors.IndexInconsistent(
            f"the index at {path} follows contract {meta.get('contract')} on chain"
            f" {meta.get('chain_id')}, not {contract} on chain {chain_id}: use another file"
        )
    return int(meta["start_block"])


def check_tables(db: sqlite3.Connection, path: str, contract: str, chain_id: int) -> None:
    """Check, without writing, that the index at ``path`` is of this schema, contract and chain id.

    For a reader of a file another process writes (a gateway's read worker): raises
    :class:`~registry.errors.IndexInconsistent` as :func:`open_tables` does, and also for a file
    without tables yet.
    """
    version = db.execute("PRAGMA user_version").fetchone()[0]
    has_tables = db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'meta'").fetchone()[0]
    if not has_tables or version != SCHEMA_VERSION:
        raise errors.IndexInconsistent(
            f"the index at {path} has schema version {version}, not {SCHEMA_VERSION}: its writer must open it first"
        )
    meta = dict(db.execute("SELECT key, value FROM meta WHERE key IN ('contract', 'chain_id')").fetchall())
    if str(meta.get("contract", "")).lower() != contract.lower() or meta.get("chain_id") != str(chain_id):
        raise errors.IndexInconsistent(
            f"the index at {path} follows contract {meta.get('contract')} on chain"
            f" {meta.get('chain_id')}, not {contract} on chain {chain_id}: use another file"
        )


def last_indexed(db: sqlite3.Connection) -> tuple[int | None, bytes | None]:
    """The number and hash of the last indexed block, ``(None, None)`` before the first sync."""
    rows = dict(db.execute("SELECT key, value FROM meta WHERE key IN ('last_block', 'last_hash')").fetchall())
    last = rows.get("last_block")
    return (None if last is None else int(last)), rows.get("last_hash")


def set_last_indexed(db: sqlite3.Connection, number: int, block_hash: bytes) -> None:
    """Record block ``number`` with ``block_hash`` as the last one indexed."""
    db.executemany(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
        [("last_block", number), ("last_hash", block_hash)],
    )


def discard_outdated(path: str | Path) -> bool:
    """Delete the index file at ``path`` (and its WAL) when its schema version is not this one.

    Returns whether it did. A missing or empty file is left alone.
    """
    file = Path(path)
    if not file.exists():
        return False
    db = sqlite3.connect(file)
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        has_tables = db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'meta'").fetchone()[0]
    finally:
        db.close()
    if not has_tables or version == SCHEMA_VERSION:
        return False
    for suffix in ("", "-wal", "-shm"):
        Path(f"{file}{suffix}").unlink(missing_ok=True)
    return True
