"""The office's client: turns entries into transactions on the registry contract.

This is the only module that builds registry transactions (``chain.py`` carries them). It signs
locally, keeps nonces locally so that several submissions in a row cost no extra round trip,
sends with explicit gas, waits for every receipt and checks its status (DESIGN.md property 7),
and raises the typed errors of :mod:`registry.errors`.

Batches follow SPEC.md §2 and §4: entries packed into calldata, one Merkle root per transaction,
split so that no transaction exceeds the per-transaction gas cap (2²⁴, EIP-7825) or the 128 KB
transaction-size limit of real nodes. A retry can never anchor twice: before sending again, the
client asks the ledger whether the commitment (single) or the batch root (batch) is already there.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_abi.abi import encode as abi_encode
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from hexbytes import HexBytes

from registry import errors
from registry.chain import TX_GAS_CAP, Chain, SentTransaction
from registry.entries import Entry, encode_entry
from registry.merkle import MerkleTree
from registry.signing import (
    FilingMessage,
    anchor_batch_typed_data,
    anchor_filing_typed_data,
    sign_typed_data,
)
from registry.types import date_to_days

__all__ = [
    "MAX_BATCH_BYTES",
    "STORED",
    "AnchoredBatch",
    "AnchoredFiling",
    "Inclusion",
    "RegistryClient",
    "SignedBatch",
    "SignedFiling",
    "filing_message",
    "split_batches",
]

ZERO32 = bytes(32)
# Real nodes refuse transactions over 128 KiB (geth's txMaxSize); keep headroom for the ABI
# envelope (selector, offsets, length) and, for a relayed batch, the signature.
MAX_BATCH_BYTES = 120_000
_ANCHOR_BATCH_SELECTOR = keccak(text="anchorBatch(bytes32,uint32,bytes)")[:4]


@dataclass(frozen=True)
class Inclusion:
    """Where an anchored entry lives: stored (``batch_root`` zero) or in a batch, with its proof."""

    batch_root: bytes
    entry: bytes = b""
    proof: tuple[bytes, ...] = ()

    def as_abi(self) -> tuple[bytes, bytes, list[bytes]]:
        """The tuple web3 encodes for the contract's ``Inclusion`` argument."""
        return (self.batch_root, self.entry, list(self.proof))


STORED = Inclusion(ZERO32)


@dataclass(frozen=True)
class AnchoredFiling:
    """A single filing on the ledger (stored record)."""

    commitment: bytes
    transaction_hash: str
    block_number: int
    gas_used: int


@dataclass(frozen=True)
class AnchoredBatch:
    """One batch transaction: its root, the entries it carries (by input index) and the receipt."""

    root: bytes
    count: int
    first_index: int
    transaction_hash: str
    block_number: int
    gas_used: int
    tree: MerkleTree = field(repr=False, compare=False)

    def inclusion(self, index: int, entry: bytes) -> Inclusion:
        """The inclusion of the entry at input ``index`` (of the whole call) in this batch."""
        return Inclusion(self.root, entry, tuple(self.tree.proof(index - self.first_index)))


@dataclass(frozen=True)
class SignedFiling:
    """A filing signed off chain by an office key; anyone may relay it (``anchorFilingBySig``)."""

    office: str
    filing: FilingMessage
    deadline: int
    signature: bytes


@dataclass(frozen=True)
class SignedBatch:
    """A batch signed off chain by an office key; anyone may relay it (``anchorBatchBySig``)."""

    office: str
    root: bytes
    count: int
    entries: bytes
    deadline: int
    signature: bytes


def filing_message(entry: Entry) -> FilingMessage:
    """The contract's ``Filing`` struct for an entry (a single, stored anchor)."""
    return FilingMessage(
        commitment=entry.commitment,
        ip_right_kind=int(entry.kind),
        filing_date=date_to_days(entry.filing_date),
        document_digest=entry.document_digest or ZERO32,
        priority_claims=tuple((c.earlier_commitment, date_to_days(c.claimed_filing_date)) for c in entry.claims),
    )


def split_batches(encoded: Sequence[bytes], *, max_bytes: int = MAX_BATCH_BYTES) -> Iterator[tuple[int, int]]:
    """Split encoded entries into ``[start, end)`` ranges that each fit one transaction.

    The size limit binds first: at the EIP-7623 floor of 40 gas per byte, 120 KB cost ~4.8 M gas,
    well under the 2²⁴ cap, which :func:`_batch_gas` checks anyway.
    """
    start, size = 0, 0
    for i, entry in enumerate(encoded):
        if size and size + len(entry) > max_bytes:
            yield start, i
            start, size = i, 0
        size += len(entry)
    if size:
        yield start, len(encoded)


def _batch_gas(calldata_length: int, count: int) -> int:
    # Upper bound of max(standard cost + execution, EIP-7623 floor): 21 k base, one stored root
    # (~25 k), the event, ≤ 48 gas per calldata byte (floor 40 + slack); the contract does not walk
    # the entries, so the count adds nothing but headroom.
    gas = 80_000 + 48 * calldata_length + 10 * count
    if gas > TX_GAS_CAP:
        raise errors.InvalidInput(
            f"a batch of {calldata_length} bytes would need {gas} gas, over the per-transaction cap",
            code="batchTooLarge",
        )
    return gas


def _single_gas(filing: FilingMessage) -> int:
    # Stored record (2 slots with a digest), event, one event per claim; generous, since an
    # out-of-gas failure costs the office a retry, not correctness (the receipt is checked).
    return 120_000 + (30_000 if filing.document_digest != ZERO32 else 0) + 12_000 * len(filing.priority_claims)


class RegistryClient:
    """Writes to one deployed registry on one chain, on behalf of one account."""

    def __init__(self, chain: Chain, address: str, account: LocalAccount) -> None:
        self.chain = chain
        self.address = address
        self.account = account
        self.contract = chain.registry_contract(address)

    def for_account(self, account: LocalAccount) -> RegistryClient:
        """The same registry, written to by another account (another office, a relayer, the registrar)."""
        return RegistryClient(self.chain, self.address, account)

    # ── reads that writes depend on ──────────────────────────────────────────────────────

    def _view(self, fn: str, *args: Any) -> Any:
        return self.chain.query(lambda: getattr(self.contract.functions, fn)(*args).call())

    def office_of(self, address: str) -> str | None:
        """The office whose current key is ``address``."""
        code = bytes(self._view("officeOfSigner", address))
        return code.decode() if code != b"\x00\x00" else None

    def record_office(self, commitment: bytes) -> str | None:
        """The office of the stored record of ``commitment`` (None when not stored)."""
        office = bytes(self._view("getRecord", commitment)[0])
        return office.decode() if office != b"\x00\x00" else None

    def batch_office(self, root: bytes) -> str | None:
        """The office that anchored the batch ``root`` (None when no such batch)."""
        office = bytes(self._view("getBatch", root)[0])
        return office.decode() if office != b"\x00\x00" else None

    def office_nonce(self, office: str) -> int:
        """The nonce the office's next signed entry must carry."""
        return int(self._view("officeNonce", office.encode()))

    # ── registrar ────────────────────────────────────────────────────────────────────────

    def _call(self, fn: str, *args: Any, gas: int | None = None) -> SentTransaction:
        data = getattr(self.contract.functions, fn)(*args)._encode_transaction_data()
        return self.chain.send(self.account, to=self.address, data=bytes(HexBytes(data)), gas=gas)

    def admit_office(self, office: str, signer: str) -> SentTransaction:
        """Admit ``office`` with ``signer`` as its key (registrar only)."""
        return self._call("admitOffice", office.encode(), signer)

    def suspend_office(self, office: str) -> SentTransaction:
        """Suspend ``office`` (registrar only)."""
        return self._call("suspendOffice", office.encode())

    def reinstate_office(self, office: str) -> SentTransaction:
        """Reinstate a suspended ``office`` (registrar only)."""
        return self._call("reinstateOffice", office.encode())

    def rotate_office_key(self, office: str, new_signer: str) -> SentTransaction:
        """Give ``office`` a new key (the registrar, or the office's own key while active)."""
        return self._call("rotateOfficeKey", office.encode(), new_signer)

    # ── anchoring ────────────────────────────────────────────────────────────────────────

    def anchor_filing(self, entry: Entry, *, retries: int = 0) -> AnchoredFiling:
        """Anchor one filing as a stored record (version 1) of this account's office.

        With ``retries``, a :class:`~registry.errors.LedgerUnavailable` is retried; before each
        retry the ledger is asked whether the first attempt landed, so it never anchors twice.
        """
        filing = filing_message(entry)
        data = self.contract.functions.anchorFiling(filing.as_abi())._encode_transaction_data()
        for attempt in range(retries + 1):
            if attempt:
                landed = self._landed_single(entry.commitment)
                if landed is not None:
                    return landed
            try:
                sent = self.chain.send(
                    self.account, to=self.address, data=bytes(HexBytes(data)), gas=_single_gas(filing)
                )
                return AnchoredFiling(entry.commitment, sent.transaction_hash, sent.block_number, sent.gas_used)
            except errors.LedgerUnavailable:
                self.chain.forget_nonce(self.account.address)
                if attempt == retries:
                    raise
                time.sleep(min(2.0, 0.2 * 2**attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    def _landed_single(self, commitment: bytes) -> AnchoredFiling | None:
        try:
            office = self.record_office(commitment)
        except errors.LedgerUnavailable:
            return None
        mine = self.office_of(self.account.address)
        if office is not None and office == mine:
            return AnchoredFiling(commitment, "", -1, 0)
        return None

    def anchor_batch(
        self, entries: Sequence[Entry | bytes], *, max_bytes: int = MAX_BATCH_BYTES
    ) -> list[AnchoredBatch]:
        """Anchor entries of this account's office in as many batch transactions as the limits need.

        The transactions go out back to back (local nonces) and are then awaited together. A batch
        whose root is already on the ledger (a retry of a call that landed) is not sent again.
        """
        encoded = [e if isinstance(e, bytes) else encode_entry(e) for e in entries]
        if not encoded:
            raise errors.InvalidInput("a batch needs at least one entry", code="emptyBatch")
        plans: list[tuple[int, int, MerkleTree, bytes]] = []
        done: list[AnchoredBatch] = []
        mine: str | None = None
        for start, end in split_batches(encoded, max_bytes=max_bytes):
            tree = MerkleTree.of(encoded[start:end])
            holder = self.batch_office(tree.root)
            if holder is not None:
                mine = mine or self.office_of(self.account.address)
                if holder == mine:
                    # A retry of a call that landed: this office's own batch is already there.
                    done.append(AnchoredBatch(tree.root, end - start, start, "", -1, 0, tree))
                    continue
                # Someone else's batch under the same root: send anyway, so the contract answers
                # with the caller's real error (not an office, suspended, or already anchored).
            plans.append((start, end, tree, b"".join(encoded[start:end])))
        calls: list[tuple[str | None, bytes, int, int | None]] = []
        for start, end, tree, packed in plans:
            data = _ANCHOR_BATCH_SELECTOR + abi_encode(["bytes32", "uint32", "bytes"], [tree.root, end - start, packed])
            calls.append((self.address, data, 0, _batch_gas(len(data), end - start)))
        sent = self.chain.send_many(self.account, calls) if calls else []
        for (start, end, tree, _packed), tx in zip(plans, sent, strict=True):
            done.append(
                AnchoredBatch(tree.root, end - start, start, tx.transaction_hash, tx.block_number, tx.gas_used, tree)
            )
        return sorted(done, key=lambda b: b.first_index)

    # ── signed entries (relay) ───────────────────────────────────────────────────────────

    def sign_filing(self, office: str, entry: Entry, *, deadline: int, nonce: int | None = None) -> SignedFiling:
        """Sign ``entry`` with this account (the office's key) for any relayer to submit."""
        filing = filing_message(entry)
        nonce = self.office_nonce(office) if nonce is None else nonce
        typed = anchor_filing_typed_data(self.chain.chain_id, self.address, filing, nonce, deadline)
        return SignedFiling(office, filing, deadline, sign_typed_data(self.account.key, typed))

    def sign_batch(
        self, office: str, entries: Sequence[Entry | bytes], *, deadline: int, nonce: int | None = None
    ) -> SignedBatch:
        """Sign one batch (it must fit one transaction) for any relayer to submit."""
        encoded = [e if isinstance(e, bytes) else encode_entry(e) for e in entries]
        packed = b"".join(encoded)
        if len(packed) > MAX_BATCH_BYTES:
            raise errors.InvalidInput("a signed batch must fit one transaction (120 KB)", code="batchTooLarge")
        root = MerkleTree.of(encoded).root
        nonce = self.office_nonce(office) if nonce is None else nonce
        typed = anchor_batch_typed_data(self.chain.chain_id, self.address, root, len(encoded), packed, nonce, deadline)
        return SignedBatch(office, root, len(encoded), packed, deadline, sign_typed_data(self.account.key, typed))

    def relay_filing(self, signed: SignedFiling) -> AnchoredFiling:
        """Submit an office's signed filing from this account (which pays the gas)."""
        sent = self._call(
            "anchorFilingBySig", signed.office.encode(), signed.filing.as_abi(), signed.deadline, signed.signature
        )
        return AnchoredFiling(signed.filing.commitment, sent.transaction_hash, sent.block_number, sent.gas_used)

    def relay_batch(self, signed: SignedBatch) -> SentTransaction:
        """Submit an office's signed batch from this account (which pays the gas)."""
        return self._call(
            "anchorBatchBySig",
            signed.office.encode(),
            signed.root,
            signed.count,
            signed.entries,
            signed.deadline,
            signed.signature,
        )

    # ── after anchoring ──────────────────────────────────────────────────────────────────

    def amend_filing(
        self, commitment: bytes, filing_date: int, document_digest: bytes | None, inclusion: Inclusion = STORED
    ) -> SentTransaction:
        """Record a new version with a corrected filing date (days) and/or a new document digest."""
        return self._call("amendFiling", commitment, filing_date, document_digest or ZERO32, inclusion.as_abi())

    def add_priority_claim(
        self, commitment: bytes, earlier: bytes, claimed_date: int, inclusion: Inclusion = STORED
    ) -> SentTransaction:
        """Add a priority claim to an anchored filing (a new version)."""
        return self._call("addPriorityClaim", commitment, (earlier, claimed_date), inclusion.as_abi())

    def withdraw_priority_claim(
        self, commitment: bytes, earlier: bytes, inclusion: Inclusion = STORED
    ) -> SentTransaction:
        """Withdraw a priority claim (a new version; history keeps the claim)."""
        return self._call("withdrawPriorityClaim", commitment, earlier, inclusion.as_abi())

    def publish(
        self, number_office: str, canonical_number: str, access_secret: str, inclusion: Inclusion = STORED
    ) -> SentTransaction:
        """Reveal the number behind an anchored filing; the ledger checks it against the commitment."""
        return self._call("publishFiling", number_office.encode(), canonical_number, access_secret, inclusion.as_abi())


def deploy(chain: Chain, deployer: LocalAccount, registrar: str | None = None) -> RegistryClient:
    """Deploy the registry and return a client for the deployer (the registrar by default)."""
    address = chain.deploy_registry(deployer, registrar)
    return RegistryClient(chain, address, deployer)
