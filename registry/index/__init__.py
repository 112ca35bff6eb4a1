"""The index: a read model of the registry that follows the chain into SQLite.

docs/design.md#p3-the-ledger-is-the-only-source-of-truth — "the ledger is the only source of truth": everything here is
rebuilt from chain data alone, the contract's events (``eth_getLogs``) and, for batches, the transaction input
that carries the packed entries (docs/spec/entries.md#batch-entry-layout). Deleting the database loses nothing;
:meth:`Index.sync` on an empty file gives the same rows, table for table.

One module a job; this package only re-exports what the rest of the registry uses:

- :mod:`~registry.index.results` — the values queries and syncs return (and node / report ids);
- :mod:`~registry.index.decode` — ABI decoding of events and of a batch's calldata;
- :mod:`~registry.index.checks` — range checks of chain data and the check of a batch against its
  root (docs/spec/entries.md#chain-data-is-input, "Batches are checked, not trusted");
- :mod:`~registry.index.schema` — the tables, their version, the connection settings;
- :mod:`~registry.index.projector` — what each event changes (first anchored wins per office,
  versions, claims and confirmations), handlers registered by event name;
- :mod:`~registry.index.sync` — following the chain a step at a time, undoing reorganisations;
- :mod:`~registry.index.notifications` — who is told of what, decided as each block is projected;
- :mod:`~registry.index.proofs` — the batches' Merkle trees for inclusion proofs;
- :mod:`~registry.index.queries` — the read side;
- :mod:`~registry.index.store` — :class:`Index`, which owns the file, its connections and locks.
"""

from __future__ import annotations

from registry.index.checks import EntryRow, check_batch
from registry.index.results import (
    IndexedClaim,
    IndexedConflict,
    IndexedInclusion,
    IndexedNotification,
    IndexedOffice,
    IndexedRecord,
    IndexedReport,
    IndexedSummary,
    IndexedVersion,
    IndexedWriting,
    IndexStats,
    OfficeChange,
    Refusal,
    RefusedBatch,
    RegisteredFacts,
    SyncReport,
    node_id,
    parse_node,
    report_id,
)
from registry.index.schema import SCHEMA_VERSION, TABLES, discard_outdated
from registry.index.store import Index
from registry.index.sync import LOG_CHUNK, RECENT_BLOCKS

__all__ = [
    "LOG_CHUNK",
    "RECENT_BLOCKS",
    "SCHEMA_VERSION",
    "TABLES",
    "EntryRow",
    "Index",
    "IndexStats",
    "IndexedClaim",
    "IndexedConflict",
    "IndexedInclusion",
    "IndexedNotification",
    "IndexedOffice",
    "IndexedRecord",
    "IndexedReport",
    "IndexedSummary",
    "IndexedVersion",
    "IndexedWriting",
    "OfficeChange",
    "Refusal",
    "RefusedBatch",
    "RegisteredFacts",
    "SyncReport",
    "check_batch",
    "discard_outdated",
    "node_id",
    "parse_node",
    "report_id",
]
