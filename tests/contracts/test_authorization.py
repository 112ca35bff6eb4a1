"""docs/spec/governance.md#authorization-table: every write function × every kind of caller, on the embedded chain.

Callers (the columns of the table): the registrar; the key of the office concerned while it is
active; the key of another office; the key of the office concerned after it was suspended; a
stranger; a majority of the other active offices acting together. Unauthorized writes must
revert with a typed error and change nothing of the office concerned (EP); what another office
may do, it does only for itself (docs/design.md#p9-no-office-can-hurt-another).

Governance actions run on a deployment with a real delay, so that "after the delay" and "votes to
cancel" are seen to happen; the office's own actions run with a delay of 0 (the tests' default).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from registry import errors
from registry.domain.entries import Entry, encode_entry
from registry.domain.types import IpRightKind, date_to_days
from registry.ledger.chain import Chain
from registry.ledger.signing import rotate_office_key_typed_data, sign_typed_data
from tests.contracts.conftest import Deployment

CALLERS = ("registrar", "own office", "other office", "own office, suspended", "stranger", "majority")
COMMITMENT = bytes.fromhex("aa" * 32)
EARLIER = bytes.fromhex("bb" * 32)
TOKEN = b"\x11" * 16
FILED = date_to_days(dt.date(2024, 3, 1))
DELAY = 3600
EP_TOPIC = b"EP" + bytes(30)


def _filing(commitment: bytes = COMMITMENT) -> tuple[Any, ...]:
    return (commitment, 1, FILED, b"\x00" * 32, [(b"US", EARLIER, FILED - 100, TOKEN)])


def _stored(dep: Deployment) -> tuple[bytes, bytes, list[bytes]]:
    return (b"\x00" * 32, b"", [])


def _batched_entry() -> bytes:
    return encode_entry(Entry(COMMITMENT, IpRightKind.PATENT, dt.date(2024, 3, 1)))


def _batch_inclusion(dep: Deployment) -> tuple[bytes, bytes, list[bytes]]:
    entry = _batched_entry()
    # A one-leaf StandardMerkleTree: the root is the leaf itself and the proof is empty.
    return (dep.view("leafOf", entry), entry, [])


def _callers(dep: Deployment, who: str) -> list[LocalAccount]:
    return {
        "registrar": [dep.registrar],
        "own office": [dep.offices["EP"]],
        "other office": [dep.offices["US"]],
        "own office, suspended": [dep.offices["EP"]],
        "stranger": [dep.stranger],
        # US and JP: two of the two other active offices, more than half.
        "majority": [dep.offices["US"], dep.offices["JP"]],
    }[who]


def _anchor_stored_first(dep: Deployment) -> None:
    dep.tx(dep.offices["EP"], "anchorFiling", _filing())


def _anchor_batch_first(dep: Deployment) -> None:
    root, entry, _ = _batch_inclusion(dep)
    dep.tx(dep.offices["EP"], "anchorBatch", root, 1, entry)


def _secret_commitment(dep: Deployment) -> bytes:
    return bytes(dep.view("computeCommitment", b"EP", "EP24123456", "0123456789ABCDEF"))


# ─── the office's own actions ──────────────────────────────────────────────────────────────

Prepare = Callable[[Deployment], None] | None
Call = Callable[[Deployment], tuple[str, tuple[Any, ...]]]

OWN_ACTIONS: dict[str, tuple[Prepare, Call]] = {
    "setGatewayEndpoint": (None, lambda d: ("setGatewayEndpoint", ("https://gw.example/ep",))),
    "anchorFiling": (None, lambda d: ("anchorFiling", (_filing(),))),
    "anchorBatch": (None, lambda d: ("anchorBatch", (_batch_inclusion(d)[0], 1, _batched_entry()))),
    "amendFiling (stored)": (
        _anchor_stored_first,
        lambda d: ("amendFiling", (COMMITMENT, FILED - 1, b"\x01" * 32, _stored(d))),
    ),
    "amendFiling (batched)": (
        _anchor_batch_first,
        lambda d: ("amendFiling", (COMMITMENT, FILED - 1, b"\x01" * 32, _batch_inclusion(d))),
    ),
    "addPriorityClaim (stored)": (
        _anchor_stored_first,
        lambda d: ("addPriorityClaim", (COMMITMENT, (b"JP", b"\xcc" * 32, FILED - 5, TOKEN), _stored(d))),
    ),
    "addPriorityClaim (batched)": (
        _anchor_batch_first,
        lambda d: ("addPriorityClaim", (COMMITMENT, (b"JP", b"\xcc" * 32, FILED - 5, TOKEN), _batch_inclusion(d))),
    ),
    "withdrawPriorityClaim (stored)": (
        _anchor_stored_first,
        lambda d: ("withdrawPriorityClaim", (COMMITMENT, b"US", EARLIER, _stored(d))),
    ),
    "withdrawPriorityClaim (batched)": (
        _anchor_batch_first,
        lambda d: ("withdrawPriorityClaim", (COMMITMENT, b"US", EARLIER, _batch_inclusion(d))),
    ),
    "confirmPriorityClaims": (None, lambda d: ("confirmPriorityClaims", ([(b"US", EARLIER, COMMITMENT)],))),
    "anchorReport": (
        _anchor_stored_first,
        lambda d: ("anchorReport", (COMMITMENT, b"\x0e" * 32, 1, FILED + 30, _stored(d))),
    ),
    "publishFiling": (
        lambda d: d.tx(d.offices["EP"], "anchorFiling", _filing(_secret_commitment(d))),
        lambda d: ("publishFiling", (b"EP", "EP24123456", "0123456789ABCDEF", _stored(d))),
    ),
}


def _ep_state(dep: Deployment) -> tuple[Any, ...]:
    """Everything of EP the actions can change: its storage, read back, and the events naming it."""
    batch_root = _batch_inclusion(dep)[0]
    logs = dep.chain.logs(dep.address, 0, dep.chain.block_number())
    ep_events = tuple(
        (bytes(log["topics"][0]), bytes(log["data"]))
        for log in logs
        if len(log["topics"]) > 1 and bytes(log["topics"][1]) == EP_TOPIC
    )
    return (
        tuple(dep.view("getOffice", b"EP")),
        dep.view("gatewayEndpoint", b"EP"),
        tuple(dep.view("getRecord", b"EP", COMMITMENT)),
        tuple(dep.view("getRecord", b"EP", _secret_commitment(dep))),
        tuple(dep.view("getBatch", b"EP", batch_root)),
        dep.view("versionOf", b"EP", b"\x00" * 32, COMMITMENT),
        dep.view("versionOf", b"EP", batch_root, COMMITMENT),
        dep.view("isPublished", b"EP", b"\x00" * 32, _secret_commitment(dep)),
        dep.view("hasReport", b"EP", b"\x0e" * 32),
        ep_events,
    )


def _refused(dep: Deployment, account: LocalAccount, fn: str, args: tuple[Any, ...]) -> errors.ContractRevert:
    with pytest.raises(errors.ContractRevert) as refused:
        dep.tx(account, fn, *args)
    assert refused.value.name.startswith(("PriorityRegistry", "AccessControl")), refused.value.name
    return refused.value


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("action", list(OWN_ACTIONS))
def test_an_office_alone_acts_on_itself_and_nobody_acts_for_it(
    deployment: Deployment, action: str, caller: str
) -> None:
    prepare, make_call = OWN_ACTIONS[action]
    if prepare is not None:
        prepare(deployment)
    if caller == "own office, suspended":
        deployment.tx(deployment.registrar, "suspendOffice", b"EP")
    fn, args = make_call(deployment)
    before = _ep_state(deployment)
    if caller == "own office":
        sent = deployment.tx(deployment.offices["EP"], fn, *args)
        assert sent.receipt["status"] == 1
        assert _ep_state(deployment) != before
        return
    for account in _callers(deployment, caller):
        office = bytes(deployment.view("officeOfSigner", account.address))
        if office in (b"US", b"JP") and fn in (
            "setGatewayEndpoint",
            "anchorFiling",
            "anchorBatch",
            "confirmPriorityClaims",
        ):
            # Another office may write the same bytes, but only as itself
            # (docs/spec/entries.md#uniqueness-is-per-office).
            deployment.tx(account, fn, *args)
        else:
            refusal = _refused(deployment, account, fn, args)
            if caller == "own office, suspended":
                assert isinstance(refusal, errors.OfficeNotActive)
            elif caller in ("registrar", "stranger"):
                assert isinstance(refusal, errors.NotOfficeSigner)
            else:  # another office looks up its own records and batches only
                assert isinstance(refusal, errors.NotAnchored | errors.InvalidProof), refusal.name
    assert _ep_state(deployment) == before


# ─── governance: proposals, the delay, votes ──────────────────────────────────────────────


@pytest.fixture(scope="module")
def _delayed() -> tuple[Deployment, int]:
    chain = Chain.embedded()
    registrar = chain.new_account()
    address = chain.deploy_registry(registrar, delay=DELAY)
    dep = Deployment(chain, address, chain.registry_contract(address), registrar, {}, chain.new_account())
    for code in ("EP", "US", "JP"):
        key = chain.new_account()
        dep.tx(registrar, "admitOffice", code.encode(), key.address)
        dep.offices[code] = key
    chain.advance_time(DELAY)
    for proposal in (1, 2, 3):
        dep.tx(registrar, "executeProposal", proposal)
    assert dep.view("activeOfficeCount") == 3
    return dep, chain.snapshot()


@pytest.fixture
def delayed(_delayed: tuple[Deployment, int]) -> Iterator[Deployment]:
    dep, snap = _delayed
    dep.chain.revert(snap)
    yield dep
    dep.chain.revert(snap)


def _directory(dep: Deployment) -> tuple[Any, ...]:
    return tuple(tuple(dep.view("getOffice", c)) for c in (b"EP", b"US", b"JP", b"FR"))


def _consent(dep: Deployment, new_signer: str) -> tuple[str, tuple[Any, ...]]:
    deadline = int(time.time()) + 10 * DELAY
    typed = rotate_office_key_typed_data(
        dep.chain.chain_id, dep.address, "EP", new_signer, dep.view("officeNonce", b"EP"), deadline
    )
    signature = sign_typed_data(dep.offices["EP"].key, typed)
    return "rotateOfficeKeyWithConsent", (b"EP", new_signer, deadline, signature)


# Each governance action: (prepare, the registrar's call, what EP's directory entry is after it).
GOVERNANCE: dict[str, tuple[Prepare, Call]] = {
    "admitOffice": (None, lambda d: ("admitOffice", (b"FR", d.chain.new_account().address))),
    "suspendOffice": (None, lambda d: ("suspendOffice", (b"EP",))),
    "reinstateOffice": (
        lambda d: (d.tx(d.registrar, "suspendOffice", b"EP"), d.chain.advance_time(DELAY), _execute_last(d)),
        lambda d: ("reinstateOffice", (b"EP",)),
    ),
    "rotateOfficeKey (with the office's consent)": (
        None,
        lambda d: _consent(d, d.chain.new_account().address),
    ),
    "rotateOfficeKey (with a majority's approval)": (
        None,
        lambda d: ("rotateOfficeKey", (b"EP", d.chain.new_account().address)),
    ),
}


def _execute_last(dep: Deployment) -> None:
    dep.tx(dep.registrar, "executeProposal", dep.view("proposalCount"))


def _proposal(dep: Deployment, proposal_id: int) -> tuple[Any, ...]:
    return tuple(dep.view("getProposal", proposal_id))


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("action", list(GOVERNANCE))
def test_governance_acts_only_after_the_delay_and_a_majority_of_offices_can_cancel(
    delayed: Deployment, action: str, caller: str
) -> None:
    dep = delayed
    prepare, make_call = GOVERNANCE[action]
    if prepare is not None:
        prepare(dep)
    if caller == "own office, suspended" and dep.view("getOffice", b"EP")[2]:
        dep.tx(dep.registrar, "suspendOffice", b"EP")
        dep.chain.advance_time(DELAY)
        _execute_last(dep)
    fn, args = make_call(dep)
    before = _directory(dep)

    if caller == "registrar" or caller == "majority":
        dep.tx(dep.registrar, fn, *args)
        proposal_id = dep.view("proposalCount")
        # Visible as a pending proposal, nothing changed yet, and too early to run.
        assert _proposal(dep, proposal_id)[1] == 1
        assert _directory(dep) == before
        with pytest.raises(errors.ContractRevert, match="ProposalNotReady"):
            dep.tx(dep.registrar, "executeProposal", proposal_id)
        if caller == "majority":
            for voter in _callers(dep, caller):
                dep.tx(voter, "cancelProposal", proposal_id)
            assert _proposal(dep, proposal_id)[1] == 3  # Cancelled
            dep.chain.advance_time(DELAY)
            with pytest.raises(errors.ContractRevert, match="ProposalNotPending"):
                dep.tx(dep.registrar, "executeProposal", proposal_id)
            assert _directory(dep) == before
            return
        dep.chain.advance_time(DELAY)
        if action.endswith("majority's approval)"):
            # The registrar alone cannot rotate an office's key, even after the delay.
            with pytest.raises(errors.ContractRevert, match="ProposalNotReady"):
                dep.tx(dep.registrar, "executeProposal", proposal_id)
            assert _directory(dep) == before
            dep.tx(dep.offices["US"], "approveProposal", proposal_id)
            assert _directory(dep) == before  # one of two is not a majority
            dep.tx(dep.offices["JP"], "approveProposal", proposal_id)  # runs: the delay has passed
        else:
            dep.tx(dep.registrar, "executeProposal", proposal_id)
        assert _proposal(dep, proposal_id)[1] == 2  # Executed
        assert _directory(dep) != before
        return

    account = _callers(dep, caller)[0]
    if action.startswith("rotateOfficeKey") and caller == "own office":
        # An office acting on itself acts at once (docs/spec/governance.md#delay-and-cancellation).
        dep.tx(account, "rotateOfficeKey", b"EP", dep.chain.new_account().address)
        assert _directory(dep) != before
        return
    refusal = _refused(dep, account, fn, args)
    assert isinstance(refusal, errors.Unauthorized), refusal.name
    assert _directory(dep) == before
    if caller == "other office":
        # What another office can do is vote to cancel the registrar's proposal.
        dep.tx(dep.registrar, fn, *args)
        proposal_id = dep.view("proposalCount")
        sent = dep.tx(account, "cancelProposal", proposal_id)
        (vote,) = dep.contract.events.ProposalVoted().process_receipt(sent.receipt)
        assert vote["args"]["voter"] == b"US"
        assert vote["args"]["cancel"] is True
        assert _proposal(dep, proposal_id)[1] == 1  # still pending: one vote is no majority
        with pytest.raises(errors.ContractRevert, match="InvalidVote"):
            dep.tx(account, "cancelProposal", proposal_id)  # once each
    if caller in ("stranger", "own office, suspended"):
        # Nor can a stranger or a suspended office vote (on any pending proposal).
        dep.tx(dep.registrar, "admitOffice", b"DE", dep.chain.new_account().address)
        proposal_id = dep.view("proposalCount")
        with pytest.raises(errors.ContractRevert, match=r"NotOfficeSigner|OfficeNotActive"):
            dep.tx(account, "cancelProposal", proposal_id)
        assert _proposal(dep, proposal_id)[1] == 1


def test_the_target_office_cannot_vote_on_its_own_proposal(delayed: Deployment) -> None:
    delayed.tx(delayed.registrar, "suspendOffice", b"EP")
    with pytest.raises(errors.ContractRevert, match="InvalidVote"):
        delayed.tx(delayed.offices["EP"], "cancelProposal", 1 + 3)
    with pytest.raises(errors.ContractRevert, match="InvalidVote"):
        delayed.tx(delayed.offices["US"], "approveProposal", 1 + 3)  # not a key rotation


def test_with_a_delay_of_0_the_registrar_admits_suspends_and_reinstates_in_one_call(deployment: Deployment) -> None:
    deployment.tx(deployment.registrar, "suspendOffice", b"EP")
    assert deployment.view("getOffice", b"EP")[2] is False
    deployment.tx(deployment.registrar, "reinstateOffice", b"EP")
    assert deployment.view("getOffice", b"EP")[2] is True
    key = deployment.chain.new_account()
    deployment.tx(deployment.registrar, "admitOffice", b"FR", key.address)
    assert deployment.view("getOffice", b"FR")[0] == key.address


def test_a_suspended_office_can_no_longer_rotate_its_own_key_but_a_majority_lets_the_registrar(
    deployment: Deployment,
) -> None:
    ep = deployment.offices["EP"]
    deployment.tx(deployment.registrar, "suspendOffice", b"EP")
    new_key = deployment.chain.new_account()
    with pytest.raises(errors.Unauthorized):
        deployment.tx(ep, "rotateOfficeKey", b"EP", new_key.address)
    deployment.tx(deployment.registrar, "rotateOfficeKey", b"EP", new_key.address)
    proposal_id = deployment.view("proposalCount")
    assert deployment.view("getOffice", b"EP")[0] == ep.address  # not without a majority
    deployment.tx(deployment.offices["US"], "approveProposal", proposal_id)
    deployment.tx(deployment.offices["JP"], "approveProposal", proposal_id)
    assert deployment.view("getOffice", b"EP")[0] == new_key.address
    assert deployment.view("officeOfSigner", ep.address) == b"\x00\x00"


def test_a_rotated_out_key_can_no_longer_anchor(deployment: Deployment) -> None:
    old = deployment.offices["EP"]
    new = deployment.chain.new_account()
    deployment.tx(old, "rotateOfficeKey", b"EP", new.address)
    with pytest.raises(errors.NotOfficeSigner):
        deployment.tx(old, "anchorFiling", _filing())
    deployment.tx(new, "anchorFiling", _filing())
    assert deployment.view("getRecord", b"EP", COMMITMENT)[0] == b"EP"


def test_a_second_anchor_of_the_same_commitment_conflicts_only_within_its_office(deployment: Deployment) -> None:
    deployment.tx(deployment.offices["EP"], "anchorFiling", _filing())
    with pytest.raises(errors.AlreadyAnchored) as conflict:
        deployment.tx(deployment.offices["EP"], "anchorFiling", _filing())
    assert conflict.value.error_args["commitment"] == COMMITMENT
    assert conflict.value.error_args["office"] == b"EP"
    # The same 32 bytes from US are US's own record: EP's is neither blocked nor replaced.
    deployment.tx(deployment.offices["US"], "anchorFiling", _filing())
    assert deployment.view("getRecord", b"EP", COMMITMENT)[0] == b"EP"
    assert deployment.view("getRecord", b"US", COMMITMENT)[0] == b"US"


def test_admitting_an_office_twice_or_reusing_a_key_is_refused(deployment: Deployment) -> None:
    with pytest.raises(errors.ContractRevert, match="OfficeAlreadyAdmitted"):
        deployment.tx(deployment.registrar, "admitOffice", b"EP", deployment.chain.new_account().address)
    with pytest.raises(errors.ContractRevert, match="InvalidSigner"):
        deployment.tx(deployment.registrar, "admitOffice", b"FR", deployment.offices["US"].address)


def test_amendments_are_new_versions_announced_as_events(deployment: Deployment) -> None:
    ep = deployment.offices["EP"]
    deployment.tx(ep, "anchorFiling", _filing())
    first = deployment.tx(ep, "amendFiling", COMMITMENT, FILED - 1, b"\x01" * 32, _stored(deployment))
    second = deployment.tx(ep, "withdrawPriorityClaim", COMMITMENT, b"US", EARLIER, _stored(deployment))
    amended = deployment.contract.events.FilingAmended().process_receipt(first.receipt)
    withdrawn = deployment.contract.events.PriorityClaimWithdrawn().process_receipt(second.receipt)
    assert amended[0]["args"]["version"] == 2
    assert amended[0]["args"]["filingDate"] == FILED - 1
    assert withdrawn[0]["args"]["version"] == 3
    assert deployment.view("versionOf", b"EP", b"\x00" * 32, COMMITMENT) == 3
    # The anchored version 1 stays as it was.
    assert deployment.view("getRecord", b"EP", COMMITMENT)[2] == FILED


def test_publication_must_hash_to_the_commitment(deployment: Deployment) -> None:
    ep = deployment.offices["EP"]
    deployment.tx(ep, "anchorFiling", _filing(_secret_commitment(deployment)))
    with pytest.raises(errors.NotAnchored):
        deployment.tx(ep, "publishFiling", b"EP", "EP24123456", "WRONGWRONGWRONG0", _stored(deployment))
    deployment.tx(ep, "publishFiling", b"EP", "EP24123456", "0123456789ABCDEF", _stored(deployment))
    with pytest.raises(errors.AlreadyPublished):
        deployment.tx(ep, "publishFiling", b"EP", "EP24123456", "0123456789ABCDEF", _stored(deployment))


def test_a_pct_number_anchored_by_its_receiving_office_is_published_under_wo(deployment: Deployment) -> None:
    us = deployment.offices["US"]
    number, secret = "PCTUS2015027322", "0123456789ABCDEF"
    commitment = bytes(deployment.view("computeCommitment", b"WO", number, secret))
    deployment.tx(us, "anchorFiling", _filing(commitment))
    deployment.tx(us, "publishFiling", b"WO", number, secret, _stored(deployment))
    other = bytes(deployment.view("computeCommitment", b"JP", "JP2017187096", secret))
    deployment.tx(us, "anchorFiling", _filing(other))
    with pytest.raises(errors.Unauthorized, match="OfficeMismatch"):
        deployment.tx(us, "publishFiling", b"JP", "JP2017187096", secret, _stored(deployment))


@pytest.mark.parametrize(
    ("filing", "error"),
    [
        ((COMMITMENT, 0, FILED, b"\x00" * 32, []), "InvalidKind"),
        ((COMMITMENT, 5, FILED, b"\x00" * 32, []), "InvalidKind"),
        ((COMMITMENT, 1, 0, b"\x00" * 32, []), "InvalidDate"),
        ((COMMITMENT, 1, 0xFFFFFFFF, b"\x00" * 32, []), "InvalidDate"),
        ((COMMITMENT, 1, FILED, b"\x00" * 32, [(b"US", COMMITMENT, FILED - 1, TOKEN)]), "SelfClaim"),
        ((COMMITMENT, 1, FILED, b"\x00" * 32, [(b"US", EARLIER, 0, TOKEN)]), "InvalidDate"),
        ((COMMITMENT, 1, FILED, b"\x00" * 32, [(b"US", EARLIER, 0xFFFFFFFF, TOKEN)]), "InvalidDate"),
        ((COMMITMENT, 1, FILED, b"\x00" * 32, [(b"\x00\x00", EARLIER, FILED - 1, TOKEN)]), "InvalidOfficeCode"),
    ],
)
def test_malformed_single_filings_are_refused(deployment: Deployment, filing: tuple[Any, ...], error: str) -> None:
    with pytest.raises(errors.ContractRevert, match=error):
        deployment.tx(deployment.offices["EP"], "anchorFiling", filing)
    assert deployment.view("getRecord", b"EP", COMMITMENT)[0] == b"\x00\x00"


def test_the_registrar_alone_cannot_rotate_an_active_offices_key_and_a_majority_cancels_it(
    deployment: Deployment,
) -> None:
    # Issue 11 acceptance: with a delay of 0 too, the registrar's rotation of EP's key is only a
    # proposal (no consent, no majority); EP keeps anchoring, and US + JP cancel it.
    ep = deployment.offices["EP"]
    thief = deployment.chain.new_account()
    deployment.tx(deployment.registrar, "rotateOfficeKey", b"EP", thief.address)
    proposal_id = deployment.view("proposalCount")
    with pytest.raises(errors.ContractRevert, match="ProposalNotReady"):
        deployment.tx(deployment.registrar, "executeProposal", proposal_id)
    assert deployment.view("getOffice", b"EP")[0] == ep.address
    with pytest.raises(errors.NotOfficeSigner):
        deployment.tx(thief, "anchorFiling", _filing())
    deployment.tx(ep, "anchorFiling", _filing())
    deployment.tx(deployment.offices["US"], "cancelProposal", proposal_id)
    deployment.tx(deployment.offices["JP"], "cancelProposal", proposal_id)
    assert _proposal(deployment, proposal_id)[1] == 3  # Cancelled
    with pytest.raises(errors.ContractRevert, match="ProposalNotPending"):
        deployment.tx(deployment.offices["US"], "approveProposal", proposal_id)
    assert deployment.view("getOffice", b"EP")[0] == ep.address
