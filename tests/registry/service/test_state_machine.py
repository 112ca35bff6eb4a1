"""Stateful property test: the real contract, client and index against a plain model (issue 7, item 4).

Hypothesis drives sequences of writes on the embedded chain — admitting, suspending, reinstating
offices and rotating their keys; anchoring single filings and small batches (sometimes repeating a
commitment already anchored); amending, adding and withdrawing claims, publishing with the right
and a wrong secret; signing entries and relaying them (valid, replayed, after a key rotation) — each
sent by the caller the rule picks: the registrar, the office's current key, another office's key, a
rotated-out key, a stranger. The model predicts, before each step, success or the exact error class
of :mod:`registry.errors` (docs/spec/governance.md#authorization-table, docs/design.md#properties (P4–P6)). After each
step the index, synced from the chain alone (property 3), must agree with the model: the same records with the same
office and version, the first anchor kept and later ones reported as conflicts, the same offices and
active flags, and no record attributed to an office whose key did not write it.

Spec version 2 (docs/spec/, docs/design.md#p9-no-office-can-hurt-another): records are (office, commitment) and
batches (office, root), so the model keys them alike. Actors also copy: another office re-sends
an anchoring transaction's exact input from its own key, relays an office's signature under its
own name, copies a claim with its token onto its own record, or "confirms" a link on an
application that is not its own. None of it may change what the victim holds: the index must
still equal the model, where a copy is at most the copier's own record and a confirmation counts
only for the office that sent it. A registrar's key rotation is a proposal that runs once a
majority of the other active offices approve it.

The registry is deployed once; every sequence starts from a snapshot of that chain and a fresh
in-memory index.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar, TypeVar

import pytest
from eth_account.signers.local import LocalAccount
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from registry import errors
from registry.domain.commitments import claim_token
from registry.domain.commitments import commitment as make_commitment
from registry.domain.entries import Entry, encode_entry
from registry.domain.merkle import MerkleTree
from registry.domain.types import IpRightKind, date_to_days
from registry.index import Index
from registry.ledger.chain import Chain
from registry.ledger.client import STORED, Inclusion, RegistryClient, SignedFiling, deploy
from registry.ledger.reverts import ERROR_CLASSES

pytestmark = pytest.mark.slow

SEQUENCES = 200
STEPS = 10
ZERO32 = bytes(32)
FIRST_OFFICES = ("EP", "US")
LATER_OFFICES = ("JP", "FR")
ACTORS = ("registrar", "own", "other", "rotated out", "stranger")
# Half of the calls come from the caller the table allows, so that sequences get somewhere.
WRITERS = st.sampled_from(("own", "own", "own", *ACTORS))
REGISTRARS = st.sampled_from(("registrar", "registrar", "registrar", *ACTORS))
DEADLINE = 2**40  # far beyond any block time the embedded chain stamps

T = TypeVar("T")


@dataclass(frozen=True)
class App:
    """One application of the pool: its number, its secret and the commitment they make."""

    office: str
    number: str
    secret: str

    @functools.cached_property
    def commitment(self) -> bytes:
        return make_commitment(self.office, self.number, self.secret)


# A small pool, so that sequences anchor the same commitment twice (conflicts) and publish often.
APPS = tuple(
    App(office, f"{office}{2024000 + i}", f"{i:04d}ABCDEFGHJKMN") for office in ("EP", "US", "JP") for i in range(4)
)
WRONG_SECRET = "ZZZZZZZZZZZZZZZZ"


@dataclass(frozen=True)
class Deployment:
    """The chain as every sequence starts it: registry deployed, EP and US admitted, keys funded."""

    chain: Chain
    snapshot: int
    address: str
    registrar: LocalAccount
    first_keys: dict[str, LocalAccount]
    spare_keys: tuple[LocalAccount, ...]
    stranger: LocalAccount


@functools.cache
def deployment() -> Deployment:
    chain = Chain.embedded()
    registrar = chain.new_account()
    client = deploy(chain, registrar)
    first = {office: chain.new_account() for office in FIRST_OFFICES}
    for office, key in first.items():
        client.admit_office(office, key.address)
    spare = tuple(chain.new_account() for _ in range(8))
    stranger = chain.new_account()
    return Deployment(chain, chain.snapshot(), client.address, registrar, first, spare, stranger)


@dataclass
class OfficeModel:
    key: LocalAccount
    active: bool = True
    rotated_out: list[LocalAccount] = field(default_factory=list)
    nonce: int = 0


@dataclass
class Location:
    """Where a commitment was anchored: stored (root zero) or an entry of a batch, with its proof."""

    commitment: bytes
    office: str
    root: bytes
    inclusion: Inclusion
    version: int = 1
    published: bool = False

    @property
    def key(self) -> tuple[str, bytes, bytes]:
        return (self.office, self.root, self.commitment)


@dataclass
class Pending:
    """A signed filing not relayed yet (or relayed already: then a replay)."""

    signed: SignedFiling
    key: LocalAccount
    nonce: int
    app: App


@dataclass
class Proposal:
    """A registrar's key rotation waiting for a majority of the other active offices
    (docs/spec/governance.md#delay-and-cancellation)."""

    id: int
    office: str
    new_key: LocalAccount
    electorate: int
    approvals: set[str] = field(default_factory=set)
    pending: bool = True


@dataclass(frozen=True)
class Sent:
    """An anchoring transaction whose exact input a copier may send again from its own key."""

    office: str
    apps: tuple[App, ...]
    entries: tuple[Entry, ...]
    batched: bool


Claim = tuple[str, bytes, str, bytes]  # (later office, later, earlier office, earlier)


class RegistryMachine(RuleBasedStateMachine):
    """Registry on chain + index versus a Python model of docs/spec/entries.md and docs/spec/governance.md."""

    sequences = 0
    steps = 0
    outcomes: ClassVar[Counter[str]] = Counter()
    conflicts_seen = 0

    def __init__(self) -> None:
        super().__init__()
        dep = deployment()
        dep.chain.revert(dep.snapshot)
        self.dep = dep
        self.chain = dep.chain
        self.index = Index(":memory:", dep.chain, dep.address)
        self.offices: dict[str, OfficeModel] = {o: OfficeModel(k) for o, k in dep.first_keys.items()}
        # (office, root, commitment) → location: every key is per office
        # (docs/spec/entries.md#uniqueness-is-per-office).
        self.locations: dict[tuple[str, bytes, bytes], Location] = {}
        self.winners: dict[tuple[str, bytes], tuple[str, bytes, bytes]] = {}  # (office, c) → first location
        self.stored: set[tuple[str, bytes]] = set()  # (office, commitment) stored on chain
        self.batches: set[tuple[str, bytes]] = set()  # (office, root)
        self.conflicts: Counter[tuple[str, bytes]] = Counter()
        self.claims: dict[tuple[str, bytes], Counter[tuple[str, bytes]]] = {}  # winner → active claims
        self.tokens: list[tuple[str, bytes, int, bytes]] = []  # claims made so far, for copiers
        self.confirmed: set[Claim] = set()  # links confirmed by their earlier office
        self.published: dict[tuple[str, bytes], str] = {}  # winner → number shown by the index
        self.writers: dict[bytes, str] = {}  # anchoring transaction → office whose key wrote it
        self.pending: list[Pending] = []
        self.proposals: list[Proposal] = []
        self._first_proposal = RegistryClient(dep.chain, dep.address, dep.registrar).proposal_count()
        self.sent: list[Sent] = []
        self.day = 0
        RegistryMachine.sequences += 1

    def teardown(self) -> None:
        self.index.close()

    # ── who is calling ───────────────────────────────────────────────────────────────────────

    def _client(self, account: LocalAccount) -> RegistryClient:
        return RegistryClient(self.chain, self.dep.address, account)

    def _office_of_key(self, account: LocalAccount) -> str | None:
        return next((o for o, m in self.offices.items() if m.key.address == account.address), None)

    def _actor(self, who: str, office: str) -> LocalAccount:
        """The account playing ``who`` with respect to ``office`` (falls back to a stranger)."""
        model = self.offices.get(office)
        if who == "registrar":
            return self.dep.registrar
        if who == "own" and model is not None:
            return model.key
        if who == "other":
            others = [m.key for o, m in sorted(self.offices.items()) if o != office]
            if others:
                return others[0]
        if who == "rotated out" and model is not None and model.rotated_out:
            return model.rotated_out[-1]
        return self.dep.stranger

    def _writer_error(self, account: LocalAccount) -> tuple[str | None, type[errors.RegistryError] | None]:
        """The office an anchoring ``account`` writes for, or the error the contract answers."""
        office = self._office_of_key(account)
        if office is None:
            return None, errors.NotOfficeSigner
        if not self.offices[office].active:
            return office, errors.OfficeNotActive
        return office, None

    def _expect(self, expected: type[errors.RegistryError] | str | None, action: Callable[[], T]) -> T | None:
        """Run ``action``; it must succeed (``None``) or raise exactly the expected error.

        A string names a contract error by its Solidity name: it must raise the class that names it."""
        RegistryMachine.steps += 1
        RegistryMachine.outcomes["ok" if expected is None else getattr(expected, "__name__", expected)] += 1
        if expected is None:
            return action()
        with pytest.raises(errors.RegistryError) as raised:
            action()
        if isinstance(expected, str):
            assert type(raised.value) is ERROR_CLASSES[expected], raised.value
            assert isinstance(raised.value, errors.ContractRevert) and raised.value.name == expected, raised.value
        else:
            assert type(raised.value) is expected, f"expected {expected.__name__}, got {raised.value!r}"
        return None

    def _next_date(self) -> dt.date:
        self.day += 1
        return dt.date(2024, 1, 1) + dt.timedelta(days=self.day % 40)

    # ── the office directory ─────────────────────────────────────────────────────────────────

    @rule(office=st.sampled_from(LATER_OFFICES + FIRST_OFFICES), who=REGISTRARS, key=st.integers(0, 7))
    def admit(self, office: str, who: str, key: int) -> None:
        actor = self._actor(who, office)
        new_key = self.dep.spare_keys[key]
        expected: type[errors.RegistryError] | str | None = None
        if actor is not self.dep.registrar:
            expected = errors.MissingRole  # onlyRole(REGISTRAR_ROLE)
        elif office in self.offices:
            expected = "PriorityRegistryOfficeAlreadyAdmitted"
        elif self._office_of_key(new_key) is not None:
            expected = "PriorityRegistryInvalidSigner"
        self._expect(expected, lambda: self._client(actor).admit_office(office, new_key.address))
        if expected is None:
            self.offices[office] = OfficeModel(new_key)

    @rule(office=st.sampled_from(FIRST_OFFICES + LATER_OFFICES), who=REGISTRARS)
    def suspend(self, office: str, who: str) -> None:
        actor = self._actor(who, office)
        model = self.offices.get(office)
        expected: type[errors.RegistryError] | None = None
        if actor is not self.dep.registrar:
            expected = errors.MissingRole  # onlyRole(REGISTRAR_ROLE)
        elif model is None:
            expected = errors.UnknownOffice
        elif not model.active:
            expected = errors.OfficeNotActive
        self._expect(expected, lambda: self._client(actor).suspend_office(office))
        if expected is None and model is not None:
            model.active = False

    @rule(office=st.sampled_from(FIRST_OFFICES + LATER_OFFICES), who=REGISTRARS)
    def reinstate(self, office: str, who: str) -> None:
        actor = self._actor(who, office)
        model = self.offices.get(office)
        expected: type[errors.RegistryError] | str | None = None
        if actor is not self.dep.registrar:
            expected = errors.MissingRole  # onlyRole(REGISTRAR_ROLE)
        elif model is None:
            expected = errors.UnknownOffice
        elif model.active:
            expected = "PriorityRegistryOfficeActive"
        self._expect(expected, lambda: self._client(actor).reinstate_office(office))
        if expected is None and model is not None:
            model.active = True

    @rule(office=st.sampled_from(FIRST_OFFICES + LATER_OFFICES), who=st.sampled_from(ACTORS), key=st.integers(0, 7))
    def rotate(self, office: str, who: str, key: int) -> None:
        actor = self._actor(who, office)
        model = self.offices.get(office)
        # Sometimes hand back a rotated-out key: it is free again once it no longer signs.
        candidates = [*self.dep.spare_keys, *(model.rotated_out if model else [])]
        new_key = candidates[key % len(candidates)]
        expected: type[errors.RegistryError] | str | None = None
        if model is None:
            expected = errors.UnknownOffice
        elif not (model.active and actor.address == model.key.address) and actor is not self.dep.registrar:
            expected = errors.MissingRole  # not its own key: _checkRole(REGISTRAR_ROLE)
        elif self._office_of_key(new_key) is not None:
            expected = "PriorityRegistryInvalidSigner"
        self._expect(expected, lambda: self._client(actor).rotate_office_key(office, new_key.address))
        if expected is None and model is not None:
            if model.active and actor.address == model.key.address:
                self._rotate(model, new_key)  # an office acting on itself acts at once
            else:
                electorate = sum(m.active for m in self.offices.values()) - int(model.active)
                # The contract's id: admitting, suspending and reinstating made (and ran) proposals too.
                number = self._client(actor).proposal_count() - self._first_proposal
                self.proposals.append(Proposal(number, office, new_key, electorate))

    def _rotate(self, model: OfficeModel, new_key: LocalAccount) -> None:
        model.rotated_out = [k for k in model.rotated_out if k.address != new_key.address]
        model.rotated_out.append(model.key)
        model.key = new_key

    @precondition(lambda self: self.proposals)
    @rule(pick=st.integers(0, 10**6), voter=st.sampled_from(FIRST_OFFICES + LATER_OFFICES), who=WRITERS)
    def approve(self, pick: int, voter: str, who: str) -> None:
        proposal = self.proposals[pick % len(self.proposals)]
        actor = self._actor(who, voter)
        office, expected_error = self._writer_error(actor)
        expected: type[errors.RegistryError] | str | None = None
        if not proposal.pending:
            expected = "PriorityRegistryProposalNotPending"
        elif expected_error is not None:
            expected = expected_error
        elif office == proposal.office or office in proposal.approvals:
            expected = "PriorityRegistryInvalidVote"
        runs = expected is None and 2 * (len(proposal.approvals) + 1) > proposal.electorate
        if runs and self._office_of_key(proposal.new_key) is not None:
            expected = "PriorityRegistryInvalidSigner"  # the key was taken meanwhile: the vote reverts
        # The proposals of other deployments' sequences start at 1 too: ids are the model's own.
        self._expect(expected, lambda: self._client(actor).approve_proposal(self._first_proposal + proposal.id))
        if expected is None:
            assert office is not None
            proposal.approvals.add(office)
            if runs:
                proposal.pending = False
                self._rotate(self.offices[proposal.office], proposal.new_key)

    # ── anchoring ────────────────────────────────────────────────────────────────────────────

    def _entry(self, app: App) -> Entry:
        return Entry(app.commitment, IpRightKind.PATENT, self._next_date())

    def _anchor_location(self, location: Location, tx: str) -> None:
        self.locations[location.key] = location
        self.writers[bytes.fromhex(tx.removeprefix("0x"))] = location.office
        record = (location.office, location.commitment)
        if record in self.winners:
            self.conflicts[record] += 1
            RegistryMachine.conflicts_seen += 1
        else:
            self.winners[record] = location.key
            self.claims[record] = Counter()

    def _single(self, app: App, entry: Entry, actor: LocalAccount) -> None:
        writer, expected = self._writer_error(actor)
        if expected is None and (writer, app.commitment) in self.stored:
            expected = errors.AlreadyAnchored
        anchored = self._expect(expected, lambda: self._client(actor).anchor_filing(entry))
        if anchored is not None:
            assert writer is not None
            self.stored.add((writer, app.commitment))
            self.sent.append(Sent(writer, (app,), (entry,), batched=False))
            self._anchor_location(Location(app.commitment, writer, ZERO32, STORED), anchored.transaction_hash)

    def _batch(self, apps: tuple[App, ...], entries: tuple[Entry, ...], actor: LocalAccount) -> None:
        writer, expected = self._writer_error(actor)
        encoded = [encode_entry(e) for e in entries]
        tree = MerkleTree.of(encoded)
        mine = self._office_of_key(actor)
        landed = mine is not None and (mine, tree.root) in self.batches
        if landed:
            # A root this office already anchored is a retry that landed (its key, even if
            # suspended since): the client sends nothing. Another office's batch under the same
            # root is no concern of this one's (docs/spec/entries.md#uniqueness-is-per-office).
            expected = None
        result = self._expect(expected, lambda: self._client(actor).anchor_batch(list(entries)))
        if result is None:
            return
        (batch,) = result
        if landed:
            assert batch.block_number == -1
            return
        assert writer is not None
        self.batches.add((writer, tree.root))
        self.sent.append(Sent(writer, apps, entries, batched=True))
        for i, (app, entry) in enumerate(zip(apps, encoded, strict=True)):
            inclusion = Inclusion(tree.root, entry, tuple(tree.proof(i)))
            if (writer, tree.root, app.commitment) in self.locations:
                # The same commitment twice in one batch: one location on chain, a conflict in the index.
                self.conflicts[(writer, app.commitment)] += 1
                RegistryMachine.conflicts_seen += 1
                continue
            self._anchor_location(Location(app.commitment, writer, tree.root, inclusion), batch.transaction_hash)

    @rule(app=st.sampled_from(APPS), office=st.sampled_from(FIRST_OFFICES + LATER_OFFICES), who=WRITERS)
    def anchor_single(self, app: App, office: str, who: str) -> None:
        self._single(app, self._entry(app), self._actor(who, office))

    @rule(
        apps=st.lists(st.sampled_from(APPS), min_size=1, max_size=5),
        office=st.sampled_from(FIRST_OFFICES + LATER_OFFICES),
        who=WRITERS,
    )
    def anchor_batch(self, apps: list[App], office: str, who: str) -> None:
        self._batch(tuple(apps), tuple(self._entry(app) for app in apps), self._actor(who, office))

    @precondition(lambda self: self.sent)
    @rule(pick=st.integers(0, 10**6), copier=st.sampled_from(FIRST_OFFICES + LATER_OFFICES))
    def copy_transaction(self, pick: int, copier: str) -> None:
        """Another office sends an anchoring transaction's exact input again from its own key
        (a front-runner copying a pending transaction): at most it anchors the same bytes as its
        own record; the victim's records, versions and claims stay as they were."""
        sent = self.sent[pick % len(self.sent)]
        model = self.offices.get(copier)
        actor = model.key if model is not None and copier != sent.office else self.dep.stranger
        if sent.batched:
            self._batch(sent.apps, sent.entries, actor)
        else:
            self._single(sent.apps[0], sent.entries[0], actor)

    # ── after anchoring ──────────────────────────────────────────────────────────────────────

    def _pick_location(self, pick: int) -> Location:
        keys = sorted(self.locations)
        return self.locations[keys[pick % len(keys)]]

    def _target(
        self, location: Location, actor: LocalAccount
    ) -> tuple[Location | None, type[errors.RegistryError] | None]:
        """What an operation naming ``location`` from ``actor`` acts on: the sender's office's own
        location at the same place (another office's copy of the bytes, if any), or the error."""
        writer, expected = self._writer_error(actor)
        if expected is not None:
            return None, expected
        own = self.locations.get((writer or "", location.root, location.commitment))
        if own is None:
            # Another office looks up its own records and batches only (docs/spec/entries.md#uniqueness-is-per-office).
            if location.root == ZERO32:
                return None, errors.NotAnchored
            has_batch = any(key[0] == writer and key[1] == location.root for key in self.locations)
            return None, errors.InvalidProof if has_batch else errors.UnknownBatch
        return own, None

    def _is_winner(self, location: Location) -> bool:
        return self.winners[(location.office, location.commitment)] == location.key

    def _versioned(self, location: Location) -> None:
        location.version += 1

    @precondition(lambda self: self.locations)
    @rule(pick=st.integers(0, 10**6), who=WRITERS, digest=st.binary(min_size=32, max_size=32))
    def amend(self, pick: int, who: str, digest: bytes) -> None:
        location = self._pick_location(pick)
        actor = self._actor(who, location.office)
        target, expected = self._target(location, actor)
        days = date_to_days(self._next_date())
        self._expect(
            expected,
            lambda: self._client(actor).amend_filing(location.commitment, days, digest, location.inclusion),
        )
        if target is not None:
            self._versioned(target)

    @precondition(lambda self: self.locations)
    @rule(
        pick=st.integers(0, 10**6),
        who=WRITERS,
        earlier=st.sampled_from(APPS),
        copied=st.one_of(st.none(), st.integers(0, 10**6)),
    )
    def add_claim(self, pick: int, who: str, earlier: App, copied: int | None) -> None:
        """A claim with the token the earlier application's access code makes, or one copied with
        its token from a claim another record made (which proves nothing for this record)."""
        location = self._pick_location(pick)
        actor = self._actor(who, location.office)
        target, error = self._target(location, actor)
        expected: type[errors.RegistryError] | str | None = error
        if copied is not None and self.tokens:
            earlier_office, earlier_commitment, days, token = self.tokens[copied % len(self.tokens)]
        else:
            earlier_office, earlier_commitment = earlier.office, earlier.commitment
            days = date_to_days(dt.date(2023, 6, 1))
            token = claim_token(location.office, location.commitment, earlier.secret)
        if expected is None and earlier_commitment == location.commitment:
            expected = "PriorityRegistrySelfClaim"
        self._expect(
            expected,
            lambda: self._client(actor).add_priority_claim(
                location.commitment, earlier_office, earlier_commitment, days, token, location.inclusion
            ),
        )
        if expected is None and target is not None:
            self._versioned(target)
            self.tokens.append((earlier_office, earlier_commitment, days, token))
            if self._is_winner(target):
                self.claims[(target.office, target.commitment)][(earlier_office, earlier_commitment)] += 1

    @precondition(lambda self: self.tokens)
    @rule(
        pick=st.integers(0, 10**6),
        claim=st.integers(0, 10**6),
        confirmer=st.sampled_from(FIRST_OFFICES + LATER_OFFICES),
    )
    def confirm(self, pick: int, claim: int, confirmer: str) -> None:
        """An office confirms a link (later node → its earlier application). Sent by the earlier
        office it confirms that link; sent by any other office it speaks for that office only."""
        location = self._pick_location(pick)
        _office, earlier, _days, _token = self.tokens[claim % len(self.tokens)]
        model = self.offices.get(confirmer)
        actor = model.key if model is not None else self.dep.stranger
        writer, expected = self._writer_error(actor)
        self._expect(
            expected,
            lambda: self._client(actor).confirm_priority_claims([(location.office, location.commitment, earlier)]),
        )
        if expected is None:
            assert writer is not None
            self.confirmed.add((location.office, location.commitment, writer, earlier))

    @precondition(lambda self: self.locations)
    @rule(pick=st.integers(0, 10**6), who=WRITERS, earlier=st.sampled_from(APPS))
    def withdraw_claim(self, pick: int, who: str, earlier: App) -> None:
        location = self._pick_location(pick)
        actor = self._actor(who, location.office)
        target, expected = self._target(location, actor)
        self._expect(
            expected,
            lambda: self._client(actor).withdraw_priority_claim(
                location.commitment, earlier.office, earlier.commitment, location.inclusion
            ),
        )
        if target is not None:
            self._versioned(target)
            if self._is_winner(target):
                active = self.claims[(target.office, target.commitment)]
                if active[(earlier.office, earlier.commitment)] > 0:
                    active[(earlier.office, earlier.commitment)] -= 1

    @precondition(lambda self: self.locations)
    @rule(pick=st.integers(0, 10**6), who=WRITERS, right_secret=st.booleans())
    def publish(self, pick: int, who: str, right_secret: bool) -> None:
        location = self._pick_location(pick)
        app = next(a for a in APPS if a.commitment == location.commitment)
        actor = self._actor(who, location.office)
        secret = app.secret if right_secret else WRONG_SECRET
        target, expected = self._target(location, actor)
        if expected is None and not right_secret:
            # Another commitment: not stored there, or not the entry the proof is for.
            target, expected = None, errors.NotAnchored if location.root == ZERO32 else errors.InvalidProof
        if target is not None and app.office != target.office:
            target, expected = None, errors.OfficeMismatch  # not its number
        if target is not None and target.published:
            target, expected = None, errors.AlreadyPublished
        self._expect(expected, lambda: self._client(actor).publish(app.office, app.number, secret, location.inclusion))
        if target is not None:
            target.published = True
            if self._is_winner(target):
                self.published[(target.office, target.commitment)] = app.number

    # ── signed entries, relayed by anyone ────────────────────────────────────────────────────

    @precondition(lambda self: self.offices)
    @rule(office=st.sampled_from(FIRST_OFFICES + LATER_OFFICES), app=st.sampled_from(APPS))
    def sign(self, office: str, app: App) -> None:
        model = self.offices.get(office)
        if model is None:
            return
        # The model's nonce, not the ledger's: a wrong model shows up as a refused relay.
        signed = self._client(model.key).sign_filing(office, self._entry(app), deadline=DEADLINE, nonce=model.nonce)
        self.pending.append(Pending(signed, model.key, model.nonce, app))

    @precondition(lambda self: self.pending)
    @rule(pick=st.integers(0, 10**6), who=WRITERS)
    def relay(self, pick: int, who: str) -> None:
        pending = self.pending[pick % len(self.pending)]
        office = pending.signed.office
        model = self.offices[office]
        relayer = self._actor(who, office)
        expected: type[errors.RegistryError] | None = None
        # The signature is over the office's current nonce and must come from its current key:
        # a replayed entry, or one signed before a rotation, no longer recovers to the signer.
        if pending.key.address != model.key.address or pending.nonce != model.nonce:
            expected = errors.InvalidSignature
        elif not model.active:
            expected = errors.OfficeNotActive
        elif (office, pending.app.commitment) in self.stored:
            expected = errors.AlreadyAnchored
        anchored = self._expect(expected, lambda: self._client(relayer).relay_filing(pending.signed))
        if anchored is not None:
            model.nonce += 1
            self.stored.add((office, pending.app.commitment))
            self._anchor_location(Location(pending.app.commitment, office, ZERO32, STORED), anchored.transaction_hash)

    @precondition(lambda self: self.pending)
    @rule(pick=st.integers(0, 10**6), copier=st.sampled_from(FIRST_OFFICES + LATER_OFFICES), who=WRITERS)
    def relay_as_another_office(self, pick: int, copier: str, who: str) -> None:
        """A copier relays an office's signature under another office's name (its own, say): the
        office is a field of the signed struct, so it recovers to no key of that office."""
        pending = self.pending[pick % len(self.pending)]
        if copier == pending.signed.office:
            return
        forged = dataclasses.replace(pending.signed, office=copier)
        relayer = self._actor(who, copier)
        expected = errors.InvalidSignature if copier in self.offices else errors.UnknownOffice
        self._expect(expected, lambda: self._client(relayer).relay_filing(forged))

    # ── the index agrees with the model ──────────────────────────────────────────────────────

    @invariant()
    def index_agrees_with_the_model(self) -> None:
        self.index.sync()
        offices = {o.code: (o.signer, o.active) for o in self.index.offices()}
        assert offices == {o: (m.key.address, m.active) for o, m in self.offices.items()}
        assert self.index.stats().filings == len(self.winners)
        for (office, commitment), key in self.winners.items():
            location = self.locations[key]
            record = self.index.record(commitment, office)
            assert record is not None, f"{office} 0x{commitment.hex()} is missing from the index"
            assert record.office == location.office == office
            assert (record.batch_root or ZERO32) == location.root
            assert record.version == location.version
            # Only the key of the office it names wrote the record (docs/spec/commitments.md#whose-record-counts,
            # docs/design.md#p5-only-an-office-writes-for-itself).
            assert self.writers[record.transaction_hash] == record.office
            assert record.published_number == self.published.get((office, commitment))
            active = Counter((c.earlier_office, c.earlier) for c in record.priority_claims if not c.withdrawn)
            assert active == +self.claims[(office, commitment)]
            for c in record.priority_claims:
                # Confirmed only by the earlier office itself, for this very (office, commitment).
                assert c.confirmed == ((office, commitment, c.earlier_office, c.earlier) in self.confirmed)
            conflicts = [x for x in self.index.conflicts(commitment) if x.office == office]
            assert len(conflicts) == self.conflicts[(office, commitment)]


def test_the_registry_on_chain_and_its_index_behave_like_the_model() -> None:
    # Deploy before Hypothesis starts: py-evm raises the recursion limit when it is first loaded,
    # which Hypothesis would take for a test that changed it.
    deployment()
    RegistryMachine.sequences = RegistryMachine.steps = 0
    RegistryMachine.outcomes.clear()
    started = time.monotonic()
    run_state_machine_as_test(
        RegistryMachine,
        settings=settings(
            max_examples=SEQUENCES,
            stateful_step_count=STEPS,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    seconds = time.monotonic() - started
    print(
        f"\nstate machine: {RegistryMachine.sequences} sequences, {RegistryMachine.steps} checked writes"
        f" in {seconds:.1f} s; conflicts seen: {RegistryMachine.conflicts_seen}"
    )
    print("  outcomes:", dict(RegistryMachine.outcomes.most_common()))
    assert RegistryMachine.sequences >= SEQUENCES
