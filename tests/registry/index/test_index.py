"""The index follows the embedded chain into SQLite (DESIGN.md property 3, SPEC.md §2).

Every test anchors through the real contract on eth-tester and reads the answer back from the
index; the index is checked against the chain itself (proofs verified by ``verifyInclusion``) and
against an index rebuilt from nothing.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from hexbytes import HexBytes

from registry import errors
from registry.domain.commitments import commitment as make_commitment
from registry.domain.entries import ClaimRef, Entry, encode_entry, pack_entries
from registry.domain.merkle import MerkleTree, verify_entry
from registry.domain.types import IpRightKind, date_to_days
from registry.index import SCHEMA_VERSION, Index, IndexedClaim, IndexedInclusion, IndexedSummary, node_id
from registry.ledger.chain import Chain, SentTransaction
from registry.ledger.signing import anchor_batch_typed_data, sign_typed_data

DAY = dt.date(2024, 3, 1)
ZERO = bytes(32)


def c(label: str) -> bytes:
    """A test commitment (any 32 bytes will do for the index)."""
    return keccak(text=label)


def entry(label: str, *, days: int = 0, digest: bytes | None = None, claims: tuple[ClaimRef, ...] = ()) -> Entry:
    return Entry(c(label), IpRightKind.PATENT, DAY + dt.timedelta(days=days), digest, claims)


def _anchored(index: Index, commitment: bytes) -> bool:
    """Whether any office holds a record under ``commitment`` (records are per office, SPEC.md §2)."""
    return bool(index.holders(commitment))


def _office_of(index: Index, commitment: bytes) -> str:
    # The first holder, else the office the tests' claims name ("EP").
    holders = index.holders(commitment)
    return holders[0] if holders else "EP"


def _claims_of(index: Index, commitment: bytes) -> tuple[IndexedClaim, ...]:
    return index.claims_of(_office_of(index, commitment), commitment)


def _claimed_by(index: Index, commitment: bytes) -> tuple[IndexedClaim, ...]:
    # A claim links to the node (earlier office, commitment) it names (SPEC.md §2).
    return index.claimed_by(_office_of(index, commitment), commitment)


def _facts(index: Index, commitment: bytes) -> Any:
    return index.facts(_office_of(index, commitment), commitment)


def _family(index: Index, commitment: bytes) -> Any:
    return index.family_graph(_office_of(index, commitment), commitment)[0]


def _summaries(index: Index, commitments: list[bytes]) -> dict[bytes, IndexedSummary]:
    found = index.summaries((_office_of(index, x), x) for x in commitments)
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


STORED = (ZERO, b"", [])


def inclusion(record_inclusion: IndexedInclusion | None) -> tuple[bytes, bytes, list[bytes]]:
    """The contract's ``Inclusion`` for a record, straight from the index."""
    if record_inclusion is None:
        return STORED
    return (record_inclusion.root, record_inclusion.entry, list(record_inclusion.proof))


@pytest.fixture(scope="session")
def _ledger() -> tuple[Ledger, int]:
    chain = Chain.embedded()
    registrar = chain.new_account()
    address = chain.deploy_registry(registrar)
    ledger = Ledger(chain, address, chain.registry_contract(address), registrar, {})
    for code in ("EP", "US", "JP"):
        key = chain.new_account()
        ledger.tx(registrar, "admitOffice", code.encode(), key.address)
        ledger.offices[code] = key
    return ledger, chain.snapshot()


@pytest.fixture
def ledger(_ledger: tuple[Ledger, int]) -> Iterator[Ledger]:
    ledger, snapshot = _ledger
    ledger.chain.revert(snapshot)
    yield ledger
    ledger.chain.revert(snapshot)


@pytest.fixture
def index(ledger: Ledger) -> Iterator[Index]:
    with Index(":memory:", ledger.chain, ledger.address) as idx:
        yield idx


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


# ── what a record says ──────────────────────────────────────────────────────────────────────


def test_a_stored_filing_is_indexed_with_its_office_kind_date_digest_and_transaction(
    ledger: Ledger, index: Index
) -> None:
    e = Entry(c("stored"), IpRightKind.DESIGN, DAY, keccak(b"doc"))
    sent = ledger.store("EP", e)
    report = index.sync()
    record = index.record(e.commitment)
    assert record is not None
    assert (record.office, record.kind, record.filing_date, record.document_digest) == (
        "EP",
        IpRightKind.DESIGN,
        DAY,
        keccak(b"doc"),
    )
    assert record.version == 1
    assert record.batch_root is None and record.inclusion is None
    assert record.block_number == sent.block_number
    assert "0x" + record.transaction_hash.hex() == sent.transaction_hash
    assert _anchored(index, e.commitment) and not _anchored(index, c("nothing"))
    assert report.filings == 1 and report.to_block == ledger.chain.block_number()


def test_batched_filings_are_indexed_with_their_batch_root_and_entry(ledger: Ledger, index: Index) -> None:
    entries = [entry("a", days=1), entry("b", days=2, digest=keccak(b"b")), entry("c", days=3)]
    tree, encoded = ledger.batch("US", entries)
    index.sync()
    for i, e in enumerate(entries):
        record = index.record(e.commitment)
        assert record is not None
        assert record.office == "US"
        assert record.filing_date == e.filing_date
        assert record.document_digest == e.document_digest
        assert record.inclusion is not None
        assert record.inclusion.root == tree.root
        assert record.inclusion.entry == encoded[i]
        assert list(record.inclusion.proof) == tree.proof(i)
    stats = index.stats()
    assert (stats.filings, stats.batches, stats.stored_filings) == (3, 1, 0)


def test_proofs_of_a_batch_whose_entries_all_won_are_rebuilt_from_the_index_alone(
    ledger: Ledger, index: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The index keeps no copy of the calldata: entries with claims and digests are re-encoded from
    # records and claims, and must hash to the anchored root without asking the node.
    ledger.store("JP", entry("earlier"))
    entries = [
        entry("x", days=40, claims=(ClaimRef(c("earlier"), DAY, "EP"), ClaimRef(c("elsewhere"), DAY, "EP"))),
        entry("y", days=41, digest=keccak(b"y")),
        entry("z", days=42, digest=keccak(b"z"), claims=(ClaimRef(c("earlier"), DAY, "EP"),)),
    ]
    tree, encoded = ledger.batch("US", entries)
    index.sync()

    def no_node(*_args: object) -> None:
        raise AssertionError("the proof of a batch without lost entries needs no transaction")

    monkeypatch.setattr(ledger.chain, "transaction_at", no_node)
    for i, e in enumerate(entries):
        record = index.record(e.commitment)
        assert record is not None and record.inclusion is not None
        assert (record.inclusion.entry, list(record.inclusion.proof)) == (encoded[i], tree.proof(i))
        assert verify_entry(tree.root, record.inclusion.entry, record.inclusion.proof)


def test_proofs_of_a_batch_that_lost_entries_are_read_again_from_its_transaction(ledger: Ledger, index: Index) -> None:
    ledger.store("EP", entry("held"))
    entries = [entry("held", days=5), entry("new", claims=(ClaimRef(c("held"), DAY, "EP"),)), entry("new", days=9)]
    tree, encoded = ledger.batch("JP", entries)
    index.sync()
    record = index.record(c("new"))
    assert record is not None and record.inclusion is not None and record.inclusion.entry_index == 1
    assert (record.inclusion.entry, list(record.inclusion.proof)) == (encoded[1], tree.proof(1))
    assert ledger.view(
        "verifyInclusion", record.office.encode(), tree.root, record.inclusion.entry, list(record.inclusion.proof)
    )


def test_claims_are_seen_from_the_claiming_and_from_the_claimed_side(ledger: Ledger, index: Index) -> None:
    ledger.store("JP", entry("first"))
    ledger.store("US", entry("lone"))
    ledger.batch("US", [entry("second", days=100, claims=(ClaimRef(c("first"), DAY, "JP"),))])
    ledger.store(
        "EP", entry("third", days=120, claims=(ClaimRef(c("first"), DAY, "JP"), ClaimRef(c("second"), DAY, "US")))
    )
    ledger.store(
        "EP", entry("fourth", days=130, claims=(ClaimRef(c("first"), DAY, "JP"), ClaimRef(c("lone"), DAY, "US")))
    )
    index.sync()
    (claim,) = _claims_of(index, c("second"))
    assert (claim.later, claim.earlier, claim.claimed_filing_date, claim.withdrawn) == (
        c("second"),
        c("first"),
        DAY,
        False,
    )
    assert [x.later for x in _claimed_by(index, c("first"))] == [c("second"), c("third"), c("fourth")]
    first = index.record(c("first"))
    assert first is not None and first.claimed_by == (c("second"), c("third"), c("fourth"))

    holder = {"first": "JP", "lone": "US", "second": "US", "third": "EP", "fourth": "EP"}

    def hexes(*labels: str) -> set[str]:
        return {node_id(holder[x], c(x)) for x in labels}

    graph = _family(index, c("second"))
    second = node_id("US", c("second"))
    assert graph.extended_family(second) == hexes("first", "lone", "second", "third", "fourth")
    # DOCDB: same first filings. "fourth" adds the priority of "lone", so it has a family of its own.
    assert graph.simple_family(second) == hexes("first", "second", "third")
    assert graph.simple_family(node_id("EP", c("fourth"))) == hexes("fourth")
    summaries = _summaries(index, [c("first"), c("third"), c("absent")])
    assert set(summaries) == {c("first"), c("third")}
    assert (summaries[c("third")].office, summaries[c("third")].filing_date) == ("EP", DAY + dt.timedelta(days=120))


def test_amendments_and_claim_changes_are_new_versions_and_the_first_stays(ledger: Ledger, index: Index) -> None:
    ledger.store("EP", entry("earlier"))
    tree, encoded = ledger.batch("US", [entry("x", claims=(ClaimRef(c("earlier"), DAY, "EP"),)), entry("y")])
    proof = (tree.root, encoded[0], tree.proof(0))
    amended = ledger.tx(ledger.offices["US"], "amendFiling", c("x"), date_to_days(DAY) + 1, keccak(b"v2"), proof)
    ledger.tx(ledger.offices["US"], "withdrawPriorityClaim", c("x"), b"EP", c("earlier"), proof)
    ledger.tx(ledger.offices["US"], "addPriorityClaim", c("x"), (b"EP", c("y"), date_to_days(DAY), bytes(16)), proof)
    index.sync()
    record = index.record(c("x"))
    assert record is not None
    assert record.version == 4
    assert [v.change for v in record.versions] == ["anchored", "amended", "claimWithdrawn", "claimAdded"]
    assert record.versions[0].filing_date == DAY and record.versions[0].document_digest is None
    assert record.filing_date == DAY + dt.timedelta(days=1)
    assert record.document_digest == keccak(b"v2")
    assert record.versions[1].block_number == amended.block_number
    assert record.versions[3].document_digest == keccak(b"v2")  # carried by later versions
    assert [(x.earlier, x.withdrawn, x.version) for x in record.priority_claims] == [
        (c("earlier"), True, 1),
        (c("y"), False, 4),
    ]
    assert _claimed_by(index, c("earlier")) == ()
    assert ledger.view("versionOf", b"US", tree.root, c("x")) == record.version
    # What a verification reads agrees with the full record, without building the batch's tree.
    facts = _facts(index, c("x"))
    assert facts is not None
    assert (facts.office, facts.kind, facts.filing_date, facts.document_digest, facts.version) == (
        record.office,
        record.kind,
        record.filing_date,
        record.document_digest,
        record.version,
    )
    assert facts.claimed_dates == (DAY,)
    assert _facts(index, c("never-anchored")) is None


def test_a_publication_reveals_the_number_and_its_office(ledger: Ledger, index: Index) -> None:
    secret = "0123456789ABCDEF"
    commitment = make_commitment("WO", "PCTUS2015027322", secret)
    ledger.batch("US", [Entry(commitment, IpRightKind.PATENT, DAY)])
    index.sync()
    record = index.record(commitment)
    assert record is not None and record.published_number is None
    ledger.tx(ledger.offices["US"], "publishFiling", b"WO", "PCTUS2015027322", secret, inclusion(record.inclusion))
    index.sync()
    record = index.record(commitment)
    assert record is not None
    assert (record.office, record.number_office, record.published_number) == ("US", "WO", "PCTUS2015027322")


def test_the_office_directory_follows_admission_suspension_reinstatement_and_key_rotation(
    ledger: Ledger, index: Index
) -> None:
    new_key = ledger.chain.new_account()
    ledger.tx(ledger.registrar, "suspendOffice", b"JP")
    ledger.tx(ledger.registrar, "rotateOfficeKey", b"JP", new_key.address)
    # The registrar's rotation of an office's key runs once a majority of the others approve (§3).
    proposal = ledger.view("proposalCount")
    ledger.tx(ledger.offices["EP"], "approveProposal", proposal)
    ledger.tx(ledger.offices["US"], "approveProposal", proposal)
    ledger.tx(ledger.registrar, "suspendOffice", b"US")
    ledger.tx(ledger.registrar, "reinstateOffice", b"US")
    index.sync()
    offices = {o.code: o for o in index.offices()}
    assert set(offices) == {"EP", "US", "JP"}
    assert offices["JP"].active is False and offices["JP"].signer == new_key.address
    assert offices["US"].active is True
    assert [h.event for h in offices["US"].history] == ["admitted", "suspended", "reinstated"]
    assert offices["EP"].signer == ledger.offices["EP"].address


# ── first anchored wins, refused batches ────────────────────────────────────────────────────


def test_a_later_anchor_by_the_same_office_is_a_conflict_and_another_offices_is_its_own_record(
    ledger: Ledger, index: Index
) -> None:
    # SPEC.md §2 (v2): first anchored wins per (office, commitment); what another office anchors
    # under the same 32 bytes never shadows, blocks or replaces a record.
    ledger.batch("US", [entry("dup", days=1), entry("solo")])
    ledger.batch("EP", [entry("dup", days=9), entry("other"), entry("other", days=5)])
    ledger.store("JP", entry("solo", days=7))
    ledger.batch("US", [entry("dup", days=3)])
    index.sync()
    dup = index.record(c("dup"))
    assert dup is not None and dup.office == "US" and dup.filing_date == DAY + dt.timedelta(days=1)
    assert dup.also_anchored_by == ("EP",)
    ep_dup = index.record(c("dup"), "EP")
    assert ep_dup is not None and ep_dup.filing_date == DAY + dt.timedelta(days=9)
    other = index.record(c("other"))
    assert other is not None and other.filing_date == DAY and other.inclusion is not None
    assert other.inclusion.entry_index == 1
    assert [(x.office, x.entry_index) for x in index.conflicts(c("dup"))] == [("US", 0)]
    assert [(x.office, x.entry_index) for x in index.conflicts(c("other"))] == [("EP", 2)]
    assert index.conflicts(c("solo")) == ()
    assert index.holders(c("solo")) == ("US", "JP")
    assert index.stats().conflicts == 2 and index.stats().filings == 5


def test_a_stored_anchor_by_another_office_is_its_own_record_with_its_own_claims(ledger: Ledger, index: Index) -> None:
    ledger.batch("US", [entry("held")])
    ledger.store("EP", entry("held", claims=(ClaimRef(c("elsewhere"), DAY, "EP"),)))
    index.sync()
    record = index.record(c("held"))
    assert record is not None and record.office == "US" and record.priority_claims == ()
    ep = index.record(c("held"), "EP")
    assert ep is not None and [x.earlier for x in ep.priority_claims] == [c("elsewhere")]
    # A claim without the earlier access code carries no valid token: shown, never confirmed.
    assert [x.confirmed for x in _claimed_by(index, c("elsewhere"))] == [False]


def test_changes_made_at_a_losing_location_do_not_touch_the_winning_record(ledger: Ledger, index: Index) -> None:
    ledger.batch("US", [entry("held")])
    tree, encoded = ledger.batch("EP", [entry("held", days=30)])
    ledger.tx(
        ledger.offices["EP"],
        "amendFiling",
        c("held"),
        date_to_days(DAY) + 60,
        ZERO,
        (tree.root, encoded[0], tree.proof(0)),
    )
    index.sync()
    record = index.record(c("held"))
    assert record is not None and record.version == 1 and record.filing_date == DAY


def test_a_batch_whose_root_does_not_match_its_calldata_is_refused_and_its_entries_are_not_records(
    ledger: Ledger, index: Index
) -> None:
    wrong = keccak(b"a root of other entries")
    ledger.batch("EP", [entry("forged-1"), entry("forged-2")], root=wrong)
    ledger.batch("US", [entry("honest")])
    report = index.sync()
    assert not _anchored(index, c("forged-1")) and index.record(c("forged-2")) is None
    assert _anchored(index, c("honest"))
    (refused,) = index.refused_batches()
    assert (refused.root, refused.office) == (wrong, "EP")
    assert "root" in refused.reason
    assert report.refused_batches == 1 and index.stats().refused_batches == 1
    # The refused batch did not take the commitment: a correct anchor of it later is a record.
    ledger.batch("EP", [entry("forged-1")])
    index.sync()
    assert _anchored(index, c("forged-1"))


def test_a_batch_relayed_with_an_office_signature_is_read_from_its_input(ledger: Ledger, index: Index) -> None:
    entries = [entry("relayed-1"), entry("relayed-2")]
    tree = MerkleTree.of([encode_entry(e) for e in entries])
    packed = pack_entries(entries)
    deadline = 2**40
    nonce = ledger.view("officeNonce", b"JP")
    typed = anchor_batch_typed_data(ledger.chain.chain_id, ledger.address, "JP", tree.root, 2, packed, nonce, deadline)
    signature = sign_typed_data(ledger.offices["JP"].key, typed)
    relayer = ledger.chain.new_account()
    ledger.tx(relayer, "anchorBatchBySig", b"JP", tree.root, 2, packed, deadline, signature)
    index.sync()
    record = index.record(c("relayed-2"))
    assert record is not None and record.office == "JP" and record.batch_root == tree.root


# ── the index against the chain ─────────────────────────────────────────────────────────────


def test_proofs_from_the_index_verify_on_chain_and_let_the_office_amend(ledger: Ledger, index: Index) -> None:
    entries = [entry(f"p{i}", claims=(ClaimRef(c("x"), DAY, "EP"),) if i % 3 == 0 else ()) for i in range(37)]
    ledger.batch("EP", entries)
    index.sync()
    for e in (entries[0], entries[18], entries[36]):
        record = index.record(e.commitment)
        assert record is not None and record.inclusion is not None
        assert ledger.view(
            "verifyInclusion",
            record.office.encode(),
            record.inclusion.root,
            record.inclusion.entry,
            list(record.inclusion.proof),
        )
    record = index.record(entries[5].commitment)
    assert record is not None
    ledger.tx(
        ledger.offices["EP"],
        "amendFiling",
        entries[5].commitment,
        date_to_days(DAY) + 2,
        ZERO,
        inclusion(record.inclusion),
    )
    index.sync()
    amended = index.record(entries[5].commitment)
    assert amended is not None and amended.version == 2


def test_the_index_rebuilt_from_scratch_equals_the_live_one_row_for_row(ledger: Ledger, index: Index) -> None:
    story(ledger, after=index.sync)
    live = index.dump()
    assert live == rebuilt(ledger)
    assert all(live[table] for table in ("records", "versions", "claims", "conflicts", "publications", "anchors"))


def test_batches_checked_in_a_process_pool_give_the_same_index(ledger: Ledger) -> None:
    # A refused batch, conflicts, claims, digests and more batches than the pool checks ahead.
    story(ledger)
    for n in range(6):
        ledger.batch("US", [entry(f"pool-{n}-{i}", claims=(ClaimRef(c("us-1"), DAY, "EP"),)) for i in range(n + 1)])
    # A duplicate within US (a conflict); the same bytes from JP would be JP's own record.
    ledger.batch("US", [entry("pool-0-0"), entry("pool-last")])
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
    try:
        with Index(":memory:", ledger.chain, ledger.address) as idx:
            report = idx.sync(executor=pool)
            assert report.refused_batches == 1 and report.conflicts >= 2
            assert idx.dump() == rebuilt(ledger)
            record = idx.record(c("pool-5-3"))
            assert record is not None and record.inclusion is not None
            assert verify_entry(record.inclusion.root, record.inclusion.entry, record.inclusion.proof)
    finally:
        pool.shutdown()


def test_an_executor_that_is_shut_down_leaves_the_checks_to_the_index(ledger: Ledger) -> None:
    story(ledger)
    pool = ThreadPoolExecutor(1)
    pool.shutdown()  # submit now raises: the index checks the batches itself
    with Index(":memory:", ledger.chain, ledger.address) as idx:
        assert idx.sync(executor=pool).refused_batches == 1
        assert idx.dump() == rebuilt(ledger)


def test_a_reopened_index_file_resumes_where_it_stopped(ledger: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "index.sqlite"
    calls = 0

    def sync_in_a_new_process() -> None:
        nonlocal calls
        calls += 1
        with Index(path, ledger.chain, ledger.address) as idx:
            before = idx.last_block()
            report = idx.sync()
            assert before is None or report.from_block == before + 1

    story(ledger, after=sync_in_a_new_process)
    with Index(path, ledger.chain, ledger.address) as idx:
        assert idx.dump() == rebuilt(ledger)
        assert idx.sync().events == 0
    assert calls > 5


def test_an_index_made_for_another_contract_is_refused(ledger: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "index.sqlite"
    with Index(path, ledger.chain, ledger.address) as idx:
        idx.sync()
    other = ledger.chain.deploy_registry(ledger.registrar)
    with pytest.raises(errors.IndexInconsistent, match="another file"):
        Index(path, ledger.chain, other)


def test_an_index_of_an_older_schema_is_refused_or_rebuilt_from_the_chain(ledger: Ledger, tmp_path: Path) -> None:
    ledger.batch("EP", [entry("a", claims=(ClaimRef(c("b"), DAY, "EP"),))])
    path = tmp_path / "index.sqlite"
    with Index(path, ledger.chain, ledger.address) as idx:
        idx.sync()
        expected = idx.dump()
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION - 1}")
    db.close()
    with pytest.raises(errors.IndexInconsistent, match="schema version"):
        Index(path, ledger.chain, ledger.address)
    with Index(path, ledger.chain, ledger.address, rebuild_outdated=True) as idx:
        assert idx.stats().filings == 0
        idx.sync()
        assert idx.dump() == expected


def test_a_reorganisation_is_rolled_back_and_the_new_branch_indexed(ledger: Ledger, index: Index) -> None:
    ledger.batch("EP", [entry("kept")])
    index.sync()
    fork = ledger.chain.snapshot()
    ledger.batch("US", [entry("orphaned", claims=(ClaimRef(c("kept"), DAY, "EP"),))])
    ledger.store("JP", entry("orphaned-too", claims=(ClaimRef(c("kept"), DAY, "EP"),)))
    index.sync()
    assert _anchored(index, c("orphaned")) and len(_claimed_by(index, c("kept"))) == 2
    ledger.chain.revert(fork)
    ledger.mine(1)
    ledger.batch("JP", [entry("new-branch"), entry("orphaned-too")])
    ledger.mine(2)
    report = index.sync()
    assert report.rolled_back >= 2
    assert not _anchored(index, c("orphaned"))
    assert _anchored(index, c("kept")) and _anchored(index, c("new-branch"))
    orphan = index.record(c("orphaned-too"))
    assert orphan is not None and orphan.office == "JP" and orphan.batch_root is not None
    assert _claimed_by(index, c("kept")) == () and orphan.priority_claims == ()
    assert index.dump() == rebuilt(ledger)


def test_confirmations_keep_the_index_behind_the_head(ledger: Ledger) -> None:
    with Index(":memory:", ledger.chain, ledger.address, confirmations=2) as idx:
        ledger.batch("EP", [entry("young")])
        idx.sync()
        assert not _anchored(idx, c("young"))
        assert idx.last_block() == ledger.chain.block_number() - 2
        ledger.mine(2)
        idx.sync()
        assert _anchored(idx, c("young"))


def test_readers_on_other_threads_see_a_whole_sync_step_or_none(ledger: Ledger, tmp_path: Path) -> None:
    entries = [entry(f"t{i}") for i in range(3000)]
    ledger.batch("EP", entries)
    seen: set[int] = set()
    failures: list[BaseException] = []
    with Index(tmp_path / "index.sqlite", ledger.chain, ledger.address) as idx:
        stop = threading.Event()

        def read() -> None:
            try:
                while not stop.is_set():
                    seen.add(idx.stats().filings)
                    _anchored(idx, entries[-1].commitment)
            except BaseException as exc:
                failures.append(exc)

        readers = [threading.Thread(target=read) for _ in range(2)]
        for t in readers:
            t.start()
        idx.sync()
        time.sleep(0.05)
        stop.set()
        for t in readers:
            t.join()
    assert failures == []
    assert seen <= {0, 3000} and 3000 in seen


def test_ten_thousand_batched_filings_are_all_found_with_valid_proofs(ledger: Ledger, index: Index) -> None:
    entries = [
        Entry(keccak(b"bulk" + i.to_bytes(4, "big")), IpRightKind.PATENT, DAY + dt.timedelta(days=i % 200))
        for i in range(10_000)
    ]
    roots = [ledger.batch("EP", entries[:5000])[0].root, ledger.batch("EP", entries[5000:])[0].root]
    started = time.perf_counter()
    report = index.sync()
    elapsed = time.perf_counter() - started
    assert report.filings == 10_000 and report.batches == 2
    for i, e in enumerate(entries):
        record = index.record(e.commitment)
        assert record is not None and record.inclusion is not None
        assert record.inclusion.root == roots[i // 5000]
        assert verify_entry(record.inclusion.root, record.inclusion.entry, record.inclusion.proof)
    last = index.record(entries[-1].commitment)
    assert last is not None and last.inclusion is not None
    assert ledger.view(
        "verifyInclusion", last.office.encode(), last.inclusion.root, last.inclusion.entry, list(last.inclusion.proof)
    )
    assert elapsed < 5.0, f"indexing 10,000 filings took {elapsed:.2f} s"
    assert index.size_bytes() / 10_000 < 250


def test_a_claim_cycle_on_the_ledger_leaves_the_family_graph_usable(ledger: Ledger, index: Index) -> None:
    # The contract does not forbid a cycle; families.py does. The index keeps both claims and
    # leaves out of the graph the one that closes the cycle, in chain order.
    ledger.store("EP", entry("a", claims=(ClaimRef(c("b"), DAY, "US"),)))
    ledger.store("US", entry("b"))
    ledger.tx(ledger.offices["US"], "addPriorityClaim", c("b"), (b"EP", c("a"), date_to_days(DAY), bytes(16)), STORED)
    index.sync()
    assert [x.earlier for x in _claims_of(index, c("b"))] == [c("a")]
    graph = _family(index, c("a"))
    assert graph.extended_family(node_id("EP", c("a"))) == {node_id("EP", c("a")), node_id("US", c("b"))}
    assert [(link.later, link.earlier) for link in graph.claims_of(node_id("EP", c("a")))] == [
        (node_id("EP", c("a")), node_id("US", c("b")))
    ]


def test_a_reorganisation_while_a_sync_step_reads_the_chain_is_noticed_and_the_step_read_again(
    ledger: Ledger, index: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger.batch("EP", [entry("kept")])
    index.sync()
    fork = ledger.chain.snapshot()
    ledger.batch("US", [entry("seen-then-gone")])
    read_logs = ledger.chain.logs
    forked = False

    def logs_then_the_chain_moves(address: str, start: int, end: int) -> list[Any]:
        nonlocal forked
        logs = read_logs(address, start, end)
        if not forked:  # the node switches branches right after answering
            forked = True
            ledger.chain.revert(fork)
            ledger.mine(1)
            ledger.batch("JP", [entry("other-branch")])
        return logs

    monkeypatch.setattr(ledger.chain, "logs", logs_then_the_chain_moves)
    report = index.sync()
    assert forked
    assert (report.batches, report.filings) == (1, 1)  # the abandoned read is not counted
    assert not _anchored(index, c("seen-then-gone")) and _anchored(index, c("other-branch"))
    assert index.dump() == rebuilt(ledger)
