"""The registry on the embedded chain for the index tests: a ledger with three offices, and helpers.

Every test anchors through the real contract on eth-tester and reads the answer back from the
index; the index is checked against the chain itself (proofs verified by ``verifyInclusion``) and
against an index rebuilt from nothing (:func:`rebuilt`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from hexbytes import HexBytes

from registry.domain.commitments import commitment as make_commitment
from registry.domain.entries import ClaimRef, Entry, encode_entry, pack_entries
from registry.domain.merkle import MerkleTree
from registry.domain.types import IpRightKind, date_to_days
from registry.index import Index, IndexedClaim, IndexedInclusion, IndexedSummary
from registry.ledger.chain import Chain, SentTransaction

DAY = dt.date(2024, 3, 1)
ZERO = bytes(32)


def c(label: str) -> bytes:
    """A test commitment (any 32 bytes will do for the index)."""
    return keccak(text=label)


def entry(label: str, *, days: int = 0, digest: bytes | None = None, claims: tuple[ClaimRef, ...] = ()) -> Entry:
    return Entry(c(label), IpRightKind.PATENT, DAY + dt.timedelta(days=days), digest, claims)


def anchored(index: Index, commitment: bytes) -> bool:
    """Whether any office holds a record under ``commitment`` (records are per office,
    docs/spec/entries.md#uniqueness-is-per-office)."""
    return bool(index.holders(commitment))


def office_of(index: Index, commitment: bytes) -> str:
    # The first holder, else the office the tests' claims name ("EP").
    holders = index.holders(commitment)
    return holders[0] if holders else "EP"


def claims_of(index: Index, commitment: bytes) -> tuple[IndexedClaim, ...]:
    return index.claims_of(office_of(index, commitment), commitment)


def claimed_by(index: Index, commitment: bytes) -> tuple[IndexedClaim, ...]:
    # A claim links to the node (earlier office, commitment) it names
    # (docs/spec/entries.md#claim-tokens-and-confirmed-links).
    return index.claimed_by(office_of(index, commitment), commitment)


def facts_of(index: Index, commitment: bytes) -> Any:
    return index.facts(office_of(index, commitment), commitment)


def family_of(index: Index, commitment: bytes) -> Any:
    return index.family_graph(office_of(index, commitment), commitment)[0]


def summaries_of(index: Index, commitments: list[bytes]) -> dict[bytes, IndexedSummary]:
    found = index.summaries((office_of(index, x), x) for x in commitments)
    return {key[1]: value for key, value in found.items()}


@dataclass
class Ledger:
    """The registry on the embedded chain, with a registrar and three admitted offices."""

    chain: Chain
    address: str
    contract: Any
    registrar: LocalAccount
    offices: dict[str, LocalAccount]

    def tx(self, account: LocalAccount, fn: str, *args: Any, gas: int | None = None) -> SentTransaction:
        data = getattr(self.contract.functions, fn)(*args)._encode_transaction_data()
        return self.chain.send(account, to=self.address, data=bytes(HexBytes(data)), gas=gas)

    def view(self, fn: str, *args: Any) -> Any:
        return getattr(self.contract.functions, fn)(*args).call()

    def batch(self, office: str, entries: list[Entry], *, root: bytes | None = None) -> tuple[MerkleTree, list[bytes]]:
        encoded = [encode_entry(e) for e in entries]
        tree = MerkleTree.of(encoded)
        gas = 2**24 if len(entries) > 500 else None  # skip estimating a large batch: it runs twice on py-evm
        self.tx(self.offices[office], "anchorBatch", root or tree.root, len(entries), pack_entries(entries), gas=gas)
        return tree, encoded

    def store(self, office: str, e: Entry) -> SentTransaction:
        filing = (
            e.commitment,
            int(e.kind),
            date_to_days(e.filing_date),
            e.document_digest or ZERO,
            [
                (
                    cl.earlier_office.encode(),
                    cl.earlier_commitment,
                    date_to_days(cl.claimed_filing_date),
                    cl.claim_token,
                )
                for cl in e.claims
            ],
        )
        return self.tx(self.offices[office], "anchorFiling", filing)

    def mine(self, blocks: int) -> None:
        self.chain.w3.provider.ethereum_tester.mine_blocks(blocks)  # type: ignore[attr-defined]


STORED: tuple[bytes, bytes, list[bytes]] = (ZERO, b"", [])


def inclusion(record_inclusion: IndexedInclusion | None) -> tuple[bytes, bytes, list[bytes]]:
    """The contract's ``Inclusion`` for a record, straight from the index."""
    if record_inclusion is None:
        return STORED
    return (record_inclusion.root, record_inclusion.entry, list(record_inclusion.proof))


def rebuilt(ledger: Ledger) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of an index built from nothing on the same chain."""
    with Index(":memory:", ledger.chain, ledger.address) as fresh:
        fresh.sync()
        return fresh.dump()


def story(ledger: Ledger, after: Callable[[], object] = lambda: None) -> dict[str, Any]:
    """A bit of everything the index reads, calling ``after`` between transactions."""
    secret = "0123456789ABCDEF"
    published = make_commitment("EP", "EP99203729", secret)
    first = Entry(published, IpRightKind.PATENT, DAY, keccak(b"doc"))
    ledger.store("EP", first)
    after()
    tree, encoded = ledger.batch(
        "US",
        [
            entry("us-1", claims=(ClaimRef(published, DAY, "EP"),)),
            entry("us-2", days=3, digest=keccak(b"d2")),
            entry("us-1"),  # repeats an entry of its own batch: the first one wins
        ],
    )
    after()
    ledger.store("JP", entry("jp-1", days=10, claims=(ClaimRef(c("us-2"), DAY + dt.timedelta(days=3), "EP"),)))
    after()
    ledger.batch("JP", [entry("us-2"), entry("jp-2")])  # us-2 is held by US: a conflict
    after()
    ledger.tx(
        ledger.offices["US"],
        "amendFiling",
        c("us-2"),
        date_to_days(DAY) + 4,
        keccak(b"d3"),
        (tree.root, encoded[1], tree.proof(1)),
    )
    after()
    ledger.tx(
        ledger.offices["US"],
        "withdrawPriorityClaim",
        c("us-1"),
        b"EP",
        published,
        (tree.root, encoded[0], tree.proof(0)),
    )
    after()
    ledger.tx(
        ledger.offices["JP"], "addPriorityClaim", c("jp-1"), (b"EP", published, date_to_days(DAY), bytes(16)), STORED
    )
    after()
    ledger.tx(ledger.offices["EP"], "publishFiling", b"EP", "EP99203729", secret, STORED)
    after()
    ledger.batch("EP", [entry("ep-bad")], root=keccak(b"not the root"))
    after()
    ledger.tx(ledger.registrar, "suspendOffice", b"JP")
    after()
    ledger.tx(ledger.registrar, "reinstateOffice", b"JP")
    after()
    ledger.tx(ledger.registrar, "rotateOfficeKey", b"EP", ledger.chain.new_account().address)
    after()
    return {"published": published, "tree": tree, "encoded": encoded}
