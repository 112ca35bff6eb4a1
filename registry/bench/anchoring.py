"""Anchoring, measured end to end: number normalization → commitment → batch → transaction → indexed.

Four ways to put the same kind of filings on the embedded chain, each timed from the first
normalization to the moment the index holds the last filing (except the naive baseline, which
has no index — that is what makes it naive):

- **naive**: what plain web3.py's ``contract.functions.anchorFiling(...).transact()`` does, from one
  of eth-tester's unlocked accounts (:meth:`Chain.send_unsigned`), one call (gas estimated, sent,
  mined, receipt awaited) per filing;
- **single**: :meth:`RegistryClient.anchor_filing`, one stored record per filing (local signing,
  explicit gas, no estimate), then one index sync;
- **batched** at a fixed size (100, 1,000 entries) or at the largest size the 120 KB transaction
  limit allows (:data:`registry.ledger.client.MAX_BATCH_BYTES`, split by :func:`split_batches`):
  :meth:`RegistryClient.anchor_batch`, one batch per office at a time (docs/spec/entries.md#one-office-per-batch: one
  office per batch), the index synced as the batches land. The pure half (:mod:`registry.bench.prepare`) runs
  in worker processes, a few chunks ahead of the chain, so both cores work; whenever the next
  chunk is not back yet (at the start, or when the worker falls behind) the main process prepares
  a small chunk of later filings itself instead of waiting, up to a bound (``_BACKLOG``).

Gas comes from the receipts. For batches the bench also reports gas per entry byte against the
EIP-7623 calldata floor of the same bytes (docs/spec/gas.md#calldata-floor: 40 gas per non-zero byte, 10 per zero byte).
"""

from __future__ import annotations

import itertools
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

from registry.bench.prepare import Preparer, prepare_range
from registry.bench.synthetic import OFFICES, SyntheticSet
from registry.domain.entries import encode_entry
from registry.index import Index
from registry.ledger.chain import Chain
from registry.ledger.client import MAX_BATCH_BYTES, AnchoredBatch, RegistryClient, deploy, filing_message, split_batches
from registry.ledger.embedded import DiskDB
from registry.ledger.transports.embedded import EmbeddedTransport

__all__ = [
    "BenchLedger",
    "ModeResult",
    "anchor_batched",
    "anchor_naive",
    "anchor_plain_batch",
    "anchor_single",
    "calldata_floor",
    "compare_chain_dbs",
    "open_ledger",
]

_ZERO32 = bytes(32)
# Filings a worker prepares per task (its result travels back in one pickle), and how many tasks
# may be queued ahead of the chain (bounds memory, and keeps the worker busy while the main
# process sends and indexes). The first tasks are smaller (_FIRST, then doubling), so that the
# chain starts early instead of the main process preparing while the first big task runs.
CHUNK = 2_000
_AHEAD = 3
_FIRST = 250
# Filings the main process prepares at a time while the next task is not back: few, so that the
# chain goes on soon after the task arrives. (Preparing here costs more than in the worker: the
# claims name filings the worker prepared, whose numbers and codes this process has not seen.)
_LOCAL = 300
# At most this many filings prepared here may wait behind the next task. They wait for it (filing
# order), and only this process can send them: without a bound, a worker slowed down by other
# load lets the main process take over preparing, and at the end the worker idles while the main
# process sends everything it prepared.
_BACKLOG = 3_000
# The index follows the chain every half second, as the API server's follower does
# (api.app.SYNC_INTERVAL): one SQLite transaction a step. Syncing after every chunk that sent a
# batch cost the index ~60 us a filing at 1 M filings (each commit rewrites every B-tree page its
# random commitments touched; more filings a commit share those pages). Longer does not pay: at
# 3.7 M filings, 2 s gave 37.5 us against 38.8 us at 0.5 s, and in short runs the worker idles
# through the longer final sync.
FOLLOW_SECONDS = 0.5


def calldata_floor(data: bytes) -> int:
    """EIP-7623's floor price of ``data``: 10 gas per token, a zero byte 1 token, any other 4."""
    zeros = data.count(0)
    return 10 * zeros + 40 * (len(data) - zeros)


@dataclass
class BenchLedger:
    """The registry deployed on a fresh embedded chain, every office admitted, and the index."""

    chain: Chain
    address: str
    registrar: RegistryClient
    keys: dict[str, LocalAccount]
    index: Index
    checker: Executor | None = None
    """A process pool the index checks batches in (:meth:`Index.sync` ``executor``); None: inline."""
    disk_db: DiskDB | None = None
    """The SQLite file the chain's database lives in (``open_ledger`` ``chain_db``); None: in memory."""

    def client(self, office: str) -> RegistryClient:
        """The registry client of ``office`` (its own key)."""
        return self.registrar.for_account(self.keys[office])


def open_ledger(index_path: str, *, chain_db: Path | None = None) -> BenchLedger:
    """Deploy on a new embedded chain; admit every synthetic office with a fresh key.

    The chain's database is in memory, or in a SQLite file at ``chain_db`` (:class:`DiskDB`). Each
    office key is also unlocked in eth-tester (:meth:`Chain.unlock`), so that the naive baseline can
    send from it the way a plain web3.py script does.
    """
    chain = Chain.embedded(chain_db=chain_db)
    registrar = deploy(chain, chain.new_account())
    keys: dict[str, LocalAccount] = {}
    for office in OFFICES:
        key: LocalAccount = Account.create()
        chain.unlock(key)
        chain.fund(key.address)
        registrar.admit_office(office, key.address)
        keys[office] = key
    index = Index(index_path, chain, registrar.address)
    index.sync()
    disk_db = chain.transport.disk_db if isinstance(chain.transport, EmbeddedTransport) else None
    return BenchLedger(chain, registrar.address, registrar, keys, index, disk_db=disk_db)


@dataclass
class ModeResult:
    """What one way of anchoring achieved."""

    mode: str
    filings: int = 0
    transactions: int = 0
    seconds: float = 0.0
    gas_used: int = 0
    entry_bytes: int = 0
    floor_gas: int = 0
    batch_sizes: list[int] = field(default_factory=list)
    # Where the main process spent its time (the worker's preparation overlaps with all of it).
    chain_seconds: float = 0.0
    index_seconds: float = 0.0
    waiting_seconds: float = 0.0
    preparing_seconds: float = 0.0
    prepared_here: int = 0
    #: CPU seconds the worker processes spent preparing (their share of the wall time says which side bounds).
    worker_seconds: float = 0.0
    #: Further figures of this mode, written into its JSON as they are (``growth``: issue 18).
    extra: dict[str, Any] = field(default_factory=dict)

    def add_batches(self, batches: Iterable[AnchoredBatch], encoded: Sequence[bytes]) -> None:
        for batch in batches:
            self.transactions += 1
            self.gas_used += batch.gas_used
            self.batch_sizes.append(batch.count)
            entries = b"".join(encoded[batch.first_index : batch.first_index + batch.count])
            self.entry_bytes += len(entries)
            self.floor_gas += calldata_floor(entries)

    def to_json(self) -> dict[str, Any]:
        per_second = self.filings / self.seconds if self.seconds else 0.0
        out: dict[str, Any] = {
            "filings": self.filings,
            "transactions": self.transactions,
            "seconds": round(self.seconds, 3),
            "filingsPerSecond": round(per_second, 1),
            "gasUsed": self.gas_used,
            "gasPerFiling": round(self.gas_used / self.filings, 1) if self.filings else None,
        }
        if self.batch_sizes:
            out["meanBatchSize"] = round(sum(self.batch_sizes) / len(self.batch_sizes), 1)
            out["largestBatch"] = max(self.batch_sizes)
            out["entryBytes"] = self.entry_bytes
            out["gasPerEntryByte"] = round(self.gas_used / self.entry_bytes, 2)
            out["calldataFloorGas"] = self.floor_gas
            out["ratioToFloor"] = round(self.gas_used / self.floor_gas, 3)
            out["mainProcessSeconds"] = {
                "chain": round(self.chain_seconds, 3),
                "index": round(self.index_seconds, 3),
                "preparing": round(self.preparing_seconds, 3),
                "waitingForWorkers": round(self.waiting_seconds, 3),
            }
            out["workerCpuSeconds"] = round(self.worker_seconds, 3)
            out["preparedInMainProcess"] = self.prepared_here
        out.update(self.extra)
        return out


def anchor_naive(ledger: BenchLedger, preparer: Preparer, indices: Sequence[int]) -> ModeResult:
    """One ``transact()`` per filing through plain web3.py (the baseline): no batching, no index."""
    result = ModeResult("naive")
    chain, registrar = ledger.chain, ledger.registrar
    started = time.perf_counter()
    for i in indices:
        prepared = preparer.prepare(i)
        entry = prepared.entry
        data = registrar.calldata("anchorFiling", filing_message(entry).as_abi())
        receipt = chain.send_unsigned(ledger.keys[prepared.office].address, to=registrar.address, data=data)
        if receipt["status"] != 1:
            raise RuntimeError(f"the naive anchor of filing {i} failed")
        result.filings += 1
        result.transactions += 1
        result.gas_used += int(receipt["gasUsed"])
    result.seconds = time.perf_counter() - started
    return result


def anchor_single(ledger: BenchLedger, preparer: Preparer, indices: Sequence[int]) -> ModeResult:
    """One stored record per filing through :meth:`RegistryClient.anchor_filing`, then indexed."""
    result = ModeResult("single")
    clients = {office: ledger.client(office) for office in OFFICES}
    started = time.perf_counter()
    for i in indices:
        prepared = preparer.prepare(i)
        anchored = clients[prepared.office].anchor_filing(prepared.entry)
        result.filings += 1
        result.transactions += 1
        result.gas_used += anchored.gas_used
    ledger.index.sync()
    result.seconds = time.perf_counter() - started
    return result


def anchor_plain_batch(ledger: BenchLedger, preparer: Preparer, indices: Sequence[int]) -> ModeResult:
    """One batch of filings without claim or digest (the ≤ 1,500 gas target of docs/spec/gas.md#targets), gas only."""
    result = ModeResult("plainBatch")
    encoded = [encode_entry(preparer.prepare(i).entry) for i in indices]
    office = preparer.filings.office(indices[0])
    started = time.perf_counter()
    batches = ledger.client(office).anchor_batch(encoded)
    ledger.index.sync()
    result.seconds = time.perf_counter() - started
    result.filings = len(encoded)
    result.add_batches(batches, encoded)
    return result


class _Batcher:
    """Per-office buffers that send a batch whenever one is full (a fixed count, or 120 KB)."""

    def __init__(self, ledger: BenchLedger, result: ModeResult, batch_size: int | None) -> None:
        self.ledger = ledger
        self.result = result
        self.batch_size = batch_size
        self.clients = {office: ledger.client(office) for office in OFFICES}
        self.buffers: dict[str, list[bytes]] = defaultdict(list)
        self.sizes: dict[str, int] = defaultdict(int)

    def add(self, office: str, entry: bytes) -> None:
        buffer = self.buffers[office]
        buffer.append(entry)
        self.sizes[office] += len(entry)
        if self.batch_size is not None:
            if len(buffer) >= self.batch_size:
                self._send(office, len(buffer))
        elif self.sizes[office] > MAX_BATCH_BYTES:
            # The first batch is full (split_batches fills greedily, and the next entry does not
            # fit): send every full batch now, while the worker prepares; the last, partial one
            # waits for more entries. (Waiting for twice the size sent the same batches, but left
            # most of them to the flush at the end, when the worker has nothing left to do.)
            ranges = list(split_batches(buffer))
            self._send(office, ranges[-2][1])

    def flush(self) -> None:
        for office, buffer in self.buffers.items():
            if not buffer:
                continue
            if self.batch_size is None:
                self._send(office, len(buffer))
            else:
                while buffer:
                    self._send(office, min(self.batch_size, len(buffer)))

    def _send(self, office: str, count: int) -> None:
        buffer = self.buffers[office]
        entries = buffer[:count]
        del buffer[:count]
        self.sizes[office] -= sum(map(len, entries))
        started = time.perf_counter()
        batches = self.clients[office].anchor_batch(entries)
        self.result.chain_seconds += time.perf_counter() - started
        self.result.filings += count
        self.result.add_batches(batches, entries)


def anchor_batched(
    ledger: BenchLedger,
    preparer: Preparer,
    pool: ProcessPoolExecutor | None,
    indices: range,
    *,
    batch_size: int | None,
    skip: frozenset[int] = frozenset(),
    progress: Callable[[int, ModeResult], None] | None = None,
) -> ModeResult:
    """Anchor ``indices`` in batches of ``batch_size`` entries (None: as large as a transaction allows).

    Filings are prepared in ``pool`` a few chunks ahead, and here while the next chunk is not back
    (everything here without a pool); chunks are taken in index order, so entries reach their
    office's buffer in filing order whoever prepared them. Full batches are sent as the buffers
    fill, and the index follows every :data:`FOLLOW_SECONDS` (and once at the end, inside the time).
    ``progress(filings, result)`` after each chunk: the result's times so far, for what grows over a run.
    """
    result = ModeResult(f"batch{batch_size or 'Max'}")
    batcher = _Batcher(ledger, result, batch_size)
    filings: SyntheticSet = preparer.filings
    stop = indices.stop
    position = indices.start
    # Chunks in index order: (start, end, the pool's future or the entries prepared here).
    pending: deque[tuple[int, int, Future[tuple[list[bytes], float]] | list[bytes]]] = deque()
    queued = 0
    task = _FIRST
    backlog = 0

    def take(largest: int) -> tuple[int, int]:
        nonlocal position
        # Near the end, smaller tasks: the last ones must not keep the main process waiting alone.
        size = max(_LOCAL, min(largest, (stop - position) // (2 * _AHEAD)))
        start, position = position, min(stop, position + size)
        return start, position

    def submit() -> None:
        nonlocal queued, task
        while pool is not None and queued < _AHEAD and position < stop:
            start, end = take(task)
            task = min(CHUNK, 2 * task)
            pending.append((start, end, pool.submit(prepare_range, (start, end))))
            queued += 1

    def prepare_here(largest: int) -> None:
        nonlocal backlog
        started = time.perf_counter()
        start, end = take(largest)
        backlog += end - start
        pending.append((start, end, preparer.prepare_range(start, end)))
        result.preparing_seconds += time.perf_counter() - started
        result.prepared_here += end - start

    started = time.perf_counter()
    followed = started
    submit()
    while pending or position < stop:
        if not pending:
            prepare_here(CHUNK)  # no pool
        start, end, item = pending[0]
        if isinstance(item, Future):
            if not item.done() and position < stop and backlog < _BACKLOG:
                prepare_here(_LOCAL)
                continue
            waited = time.perf_counter()
            entries, spent = item.result()
            result.waiting_seconds += time.perf_counter() - waited
            result.worker_seconds += spent
            queued -= 1
        else:
            entries = item
            backlog -= end - start
        pending.popleft()
        submit()
        for offset, entry in enumerate(entries):
            i = start + offset
            if i not in skip:
                batcher.add(filings.office(i), entry)
        if time.perf_counter() - followed >= FOLLOW_SECONDS:
            followed = time.perf_counter()
            ledger.index.sync(executor=ledger.checker)
            result.index_seconds += time.perf_counter() - followed
        if progress is not None:
            progress(end - start, result)
    batcher.flush()
    synced = time.perf_counter()
    ledger.index.sync(executor=ledger.checker)
    result.index_seconds += time.perf_counter() - synced
    result.seconds = time.perf_counter() - started
    return result


def compare_chain_dbs(preparer: Preparer, indices: Iterable[int], count: int, tmp: Path) -> dict[str, Any]:
    """The chain's cost per filing with py-evm's database in memory and on disk (:class:`DiskDB`), in one run.

    The same ``count`` filings of the largest office (from ``indices``, prepared beforehand) go in
    max-size batches onto fresh chains, memory, disk, disk, memory (so that drift on a shared machine
    weighs on both alike); only :meth:`RegistryClient.anchor_batch` is timed — signing, sending, py-evm
    executing and mining, the receipt — which is the chain's share of ``batchMax``.
    """
    filings = preparer.filings
    chosen = list(itertools.islice((i for i in indices if filings.office_index[i] == 0), count))
    encoded = [encode_entry(preparer.prepare(i).entry) for i in chosen]
    seconds: dict[str, float] = {"memory": 0.0, "disk": 0.0}
    transactions = 0
    for run, kind in enumerate(("memory", "disk", "disk", "memory")):
        path = tmp / f"compare-{run}.sqlite" if kind == "disk" else None
        chain = Chain.embedded(chain_db=path)
        try:
            registrar = deploy(chain, chain.new_account())
            key: LocalAccount = Account.create()
            chain.fund(key.address)
            registrar.admit_office(OFFICES[0], key.address)
            client = registrar.for_account(key)
            started = time.perf_counter()
            transactions = len(client.anchor_batch(encoded))
            seconds[kind] += time.perf_counter() - started
        finally:
            chain.close()
            if path is not None:
                path.unlink(missing_ok=True)
    n = 2 * len(encoded)
    out: dict[str, Any] = {"filings": len(encoded), "transactions": transactions, "runs": "memory, disk, disk, memory"}
    for kind, spent in seconds.items():
        out[kind] = {
            "microsPerFiling": round(1e6 * spent / n, 2) if n else None,
            "filingsPerSecond": round(n / spent, 1) if spent else None,
        }
    memory, disk = seconds["memory"], seconds["disk"]
    out["diskOverMemory"] = round(disk / memory, 3) if memory else None
    return out
