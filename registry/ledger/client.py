"""The office's client: turns entries into transactions on the registry contract.

This is the only module that builds registry transactions (``chain.py`` carries them). It signs
locally, keeps nonces locally so that several submissions in a row cost no extra round trip,
sends with explicit gas, waits for every receipt and checks its status
(docs/design.md#p7-acknowledged-means-on-the-ledger), and raises the typed errors of :mod:`registry.errors`.

Batches follow docs/spec/entries.md#batch-entry-layout and docs/spec/gas.md: entries packed into calldata, one Merkle
root per transaction, split so that no transaction exceeds the per-transaction gas cap (2²⁴, EIP-7825) or the 128 KB
transaction-size limit of real nodes. A retry can never anchor twice: before sending again, the
client asks the ledger whether its own office already holds the commitment (single) or the batch
root (batch) — per office, since what another office anchors under the same bytes is no record of
this one (docs/spec/entries.md#uniqueness-is-per-office).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_abi.abi import encode as abi_encode
from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes

from registry import errors
from registry.domain.entries import NO_TOKEN, Entry, encode_entry
from registry.domain.merkle import MerkleTree
from registry.domain.types import date_to_days
from registry.ledger import selectors
from registry.ledger.chain import TX_GAS_CAP, Chain, SentTransaction
from registry.ledger.signing import (
    FilingMessage,
    anchor_batch_typed_data,
    anchor_filing_typed_data,
    rotate_office_key_typed_data,
    sign_typed_data,
)

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
        priority_claims=tuple(
            (
                c.earlier_office.encode("ascii"),
                c.earlier_commitment,
                date_to_days(c.claimed_filing_date),
                c.claim_token,
            )
            for c in entry.claims
        ),
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

    def has_record(self, office: str, commitment: bytes) -> bool:
        """Whether ``office`` holds a stored record of ``commitment``."""
        return bytes(self._view("getRecord", office.encode(), commitment)[0]) != b"\x00\x00"

    def has_batch(self, office: str, root: bytes) -> bool:
        """Whether ``office`` anchored a batch under ``root``."""
        return bytes(self._view("getBatch", office.encode(), root)[0]) != b"\x00\x00"

    def gateway_endpoint(self, office: str) -> str:
        """The gateway URL ``office`` set on chain (empty when none)."""
        return str(self._view("gatewayEndpoint", office.encode()))

    def governance_delay(self) -> int:
        """Seconds a governance proposal waits before it may run (fixed at deployment)."""
        return int(self._view("governanceDelay"))

    def proposal(self, proposal_id: int) -> dict[str, Any]:
        """A governance proposal as the contract holds it (``getProposal``), by field name."""
        p = self._view("getProposal", proposal_id)
        names = ("action", "state", "consented", "office", "electorate", "cancelVotes", "approveVotes", "eta", "signer")
        out = dict(zip(names, p, strict=True))
        out["office"] = bytes(out["office"]).decode("ascii", "replace")
        return out

    def proposal_count(self) -> int:
        """How many governance proposals were made (ids run from 1)."""
        return int(self._view("proposalCount"))

    def office_nonce(self, office: str) -> int:
        """The nonce the office's next signed entry must carry."""
        return int(self._view("officeNonce", office.encode()))

    # ── registrar ────────────────────────────────────────────────────────────────────────

    def calldata(self, fn: str, *args: Any) -> bytes:
        """The calldata of the registry function ``fn`` called with ``args`` (ABI-encoded)."""
        return bytes(HexBytes(getattr(self.contract.functions, fn)(*args)._encode_transaction_data()))

    def _call(self, fn: str, *args: Any, gas: int | None = None) -> SentTransaction:
        return self.chain.send(self.account, to=self.address, data=self.calldata(fn, *args), gas=gas)

    def admit_office(self, office: str, signer: str) -> SentTransaction:
        """Propose admitting ``office`` with ``signer`` as its key (registrar; at once with delay 0)."""
        return self._call("admitOffice", office.encode(), signer)

    def suspend_office(self, office: str) -> SentTransaction:
        """Suspend ``office`` (registrar only)."""
        return self._call("suspendOffice", office.encode())

    def reinstate_office(self, office: str) -> SentTransaction:
        """Reinstate a suspended ``office`` (registrar only)."""
        return self._call("reinstateOffice", office.encode())

    def rotate_office_key(self, office: str, new_signer: str) -> SentTransaction:
        """Give ``office`` a new key: its own active key at once; the registrar proposes
        (docs/spec/governance.md#authorization-table)."""
        return self._call("rotateOfficeKey", office.encode(), new_signer)

    def sign_rotation_consent(self, office: str, new_signer: str, *, deadline: int) -> bytes:
        """This account (``office``'s current key) consents to the registrar rotating it to ``new_signer``."""
        typed = rotate_office_key_typed_data(
            self.chain.chain_id, self.address, office, new_signer, self.office_nonce(office), deadline
        )
        return sign_typed_data(self.account.key, typed)

    def rotate_office_key_with_consent(
        self, office: str, new_signer: str, deadline: int, signature: bytes
    ) -> SentTransaction:
        """Propose (registrar) a rotation ``office`` signed its consent to; runs after the delay."""
        return self._call("rotateOfficeKeyWithConsent", office.encode(), new_signer, deadline, signature)

    def execute_proposal(self, proposal_id: int) -> SentTransaction:
        """Run a pending proposal whose delay has passed (registrar)."""
        return self._call("executeProposal", proposal_id)

    def cancel_proposal(self, proposal_id: int) -> SentTransaction:
        """Vote to cancel a proposal (an active office) or withdraw it (registrar)."""
        return self._call("cancelProposal", proposal_id)

    def approve_proposal(self, proposal_id: int) -> SentTransaction:
        """Approve a registrar's key-rotation proposal (an active office other than its target)."""
        return self._call("approveProposal", proposal_id)

    # ── an office acting on itself ───────────────────────────────────────────────────────

    def set_gateway_endpoint(self, endpoint: str) -> SentTransaction:
        """Publish this office's gateway URL in the on-chain directory
        (docs/spec/between-gateways.md#outbound-calls)."""
        return self._call("setGatewayEndpoint", endpoint)

    def confirm_priority_claims(self, links: Sequence[tuple[str, bytes, bytes]]) -> SentTransaction:
        """Confirm genuine claims on this office's applications: (later office, later, earlier) each."""
        return self._call(
            "confirmPriorityClaims",
            [(o.encode("ascii"), later, earlier) for o, later, earlier in links],
            gas=60_000 + 4_000 * len(links),
        )

    def anchor_report(
        self, commitment: bytes, report_digest: bytes, kind: int, issued: int, inclusion: Inclusion | None = None
    ) -> SentTransaction:
        """Anchor a bound report digest of one of this office's applications (R15)."""
        return self._call("anchorReport", commitment, report_digest, kind, issued, (inclusion or STORED).as_abi())

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
            mine = self.office_of(self.account.address)
            if mine is not None and self.has_record(mine, commitment):
                return AnchoredFiling(commitment, "", -1, 0)
        except errors.LedgerUnavailable:
            return None
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
        mine = self.office_of(self.account.address)
        for start, end in split_batches(encoded, max_bytes=max_bytes):
            tree = MerkleTree.of(encoded[start:end])
            if mine is not None and self.has_batch(mine, tree.root):
                # A retry of a call that landed: this office's own batch is already there. Another
                # office's batch under the same root is no concern of ours
                # (docs/spec/entries.md#uniqueness-is-per-office).
                done.append(AnchoredBatch(tree.root, end - start, start, "", -1, 0, tree))
                continue
            plans.append((start, end, tree, b"".join(encoded[start:end])))
        calls: list[tuple[str | None, bytes, int, int | None]] = []
        for start, end, tree, packed in plans:
            data = selectors.ANCHOR_BATCH + abi_encode(["bytes32", "uint32", "bytes"], [tree.root, end - start, packed])
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
        typed = anchor_filing_typed_data(self.chain.chain_id, self.address, office, filing, nonce, deadline)
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
        typed = anchor_batch_typed_data(
            self.chain.chain_id, self.address, office, root, len(encoded), packed, nonce, deadline
        )
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
        self,
        commitment: bytes,
        earlier_office: str,
        earlier: bytes,
        claimed_date: int,
        token: bytes = NO_TOKEN,
        inclusion: Inclusion = STORED,
    ) -> SentTransaction:
        """Add a priority claim (earlier office and commitment, claimed day, claim token): a new version."""
        claim = (earlier_office.encode("ascii"), earlier, claimed_date, token)
        return self._call("addPriorityClaim", commitment, claim, inclusion.as_abi())

    def withdraw_priority_claim(
        self, commitment: bytes, earlier_office: str, earlier: bytes, inclusion: Inclusion = STORED
    ) -> SentTransaction:
        """Withdraw a priority claim (a new version; history keeps the claim)."""
        return self._call(
            "withdrawPriorityClaim", commitment, earlier_office.encode("ascii"), earlier, inclusion.as_abi()
        )

    def publish(
        self, number_office: str, canonical_number: str, access_secret: str, inclusion: Inclusion = STORED
    ) -> SentTransaction:
        """Reveal the number behind an anchored filing; the ledger checks it against the commitment."""
        return self._call("publishFiling", number_office.encode(), canonical_number, access_secret, inclusion.as_abi())


def deploy(
    chain: Chain, deployer: LocalAccount, registrar: str | None = None, *, delay: int | None = None
) -> RegistryClient:
    """Deploy the registry and return a client for the deployer (the registrar by default).

    ``delay`` is the governance delay in seconds (docs/spec/governance.md#delay-and-cancellation); None: the chain's
    default.
    """
    address = chain.deploy_registry(deployer, registrar, delay=delay)
    return RegistryClient(chain, address, deployer)
