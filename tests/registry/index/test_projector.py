"""What each event of the contract makes of the index's tables (registry.index.projector, docs/spec/entries.md)."""

from __future__ import annotations

import datetime as dt

from eth_utils.crypto import keccak

from registry.domain.commitments import commitment as make_commitment
from registry.domain.entries import ClaimRef, Entry
from registry.domain.types import IpRightKind, date_to_days
from registry.index import Index
from registry.index.projector import EVENTS, HANDLERS, IGNORED_EVENTS
from registry.ledger.compile import load_artifact
from tests.registry.index.support import (
    DAY,
    ZERO,
    Ledger,
    anchored,
    c,
    claimed_by,
    entry,
    facts_of,
    inclusion,
)


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
    assert anchored(index, e.commitment) and not anchored(index, c("nothing"))
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
    assert claimed_by(index, c("earlier")) == ()
    assert ledger.view("versionOf", b"US", tree.root, c("x")) == record.version
    # What a verification reads agrees with the full record, without building the batch's tree.
    facts = facts_of(index, c("x"))
    assert facts is not None
    assert (facts.office, facts.kind, facts.filing_date, facts.document_digest, facts.version) == (
        record.office,
        record.kind,
        record.filing_date,
        record.document_digest,
        record.version,
    )
    assert facts.claimed_dates == (DAY,)
    assert facts_of(index, c("never-anchored")) is None


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
    # The registrar's rotation of an office's key runs once a majority of the others approve
    # (docs/spec/governance.md#delay-and-cancellation).
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


def test_a_later_anchor_by_the_same_office_is_a_conflict_and_another_offices_is_its_own_record(
    ledger: Ledger, index: Index
) -> None:
    # docs/spec/entries.md#uniqueness-is-per-office: first anchored wins per (office, commitment); what another office
    # anchors under the same 32 bytes never shadows, blocks or replaces a record.
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
    assert [x.confirmed for x in claimed_by(index, c("elsewhere"))] == [False]


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


# ── which events the index reads ────────────────────────────────────────────────────────────


def test_every_event_of_the_contract_has_a_handler_or_is_deliberately_ignored() -> None:
    # A new event in the contract must be decided on: handled (it changes what the index holds)
    # or listed in IGNORED_EVENTS with the reason. Otherwise the index would silently miss it.
    abi_events = {item["name"] for item in load_artifact()["abi"] if item["type"] == "event"}
    assert set(HANDLERS).isdisjoint(IGNORED_EVENTS)
    assert abi_events - set(HANDLERS) - IGNORED_EVENTS == set(), "events neither handled nor ignored"
    assert set(HANDLERS) | IGNORED_EVENTS <= abi_events, "handled or ignored events the contract lacks"
    assert {spec.name for spec in EVENTS.values()} == set(HANDLERS)


def test_ignored_events_are_counted_and_change_nothing(ledger: Ledger, index: Index) -> None:
    # The deployment grants roles and admits three offices; a key rotation runs as a proposal.
    ledger.tx(ledger.registrar, "rotateOfficeKey", b"JP", ledger.chain.new_account().address)
    proposal = ledger.view("proposalCount")
    ledger.tx(ledger.offices["EP"], "approveProposal", proposal)
    ledger.tx(ledger.offices["US"], "approveProposal", proposal)
    logs = ledger.chain.logs(ledger.address, 0, ledger.chain.block_number())
    names = {
        topic: item["name"]
        for item in load_artifact()["abi"]
        if item["type"] == "event"
        for topic in [keccak(text=f"{item['name']}({','.join(i['type'] for i in item['inputs'])})")]
    }
    emitted = [names[bytes(log["topics"][0])] for log in logs]
    ignored = [name for name in emitted if name in IGNORED_EVENTS]
    assert {"RoleGranted", "ProposalCreated", "ProposalExecuted"} <= set(ignored)
    report = index.sync()
    assert report.events == len(logs)
    tables = index.dump()
    assert len(tables["office_events"]) == len(emitted) - len(ignored)  # one row per Office* event
    assert [row[4] for row in tables["office_events"]] == ["admitted"] * 3 + ["keyRotated"]
    assert all(tables[t] == [] for t in ("anchors", "records", "claims", "refusals", "reports", "conflicts"))
