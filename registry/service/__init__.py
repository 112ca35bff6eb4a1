"""The registry as one service: what the API, the CLI and the demo do, over chain, client and index.

Routes and commands stay thin (docs/design.md#how-the-code-is-written): they parse, call one method here and write its
result as one of the answer models of :mod:`registry.service.answers` (objects here stay plain data).
Each write is validated completely before anything is sent (docs/api.md#resources: all-or-nothing validation),
refused with :class:`~registry.errors.AlreadyAnchored` when the index already holds it, and
acknowledged only once it is mined and indexed (docs/design.md#p7-acknowledged-means-on-the-ledger). Verification
follows docs/spec/commitments.md#whose-record-counts (which office's record counts: only the claimed office's, for
``WO`` the receiving office's and then the IB's) and docs/spec/priority-rules.md (rules); a wrong access code and an
unknown application give the same answer. Every lookup is per (office, commitment)
(docs/design.md#p9-no-office-can-hurt-another): what another office anchors under the same bytes never blocks, shadows
or answers for a record.

The gateway side of claim tokens (docs/spec/entries.md#claim-tokens-and-confirmed-links): after each sync, every office
this service writes for checks the tokens of new claims on its own applications against the access secrets it keeps
(:mod:`registry.service.own_numbers`) and confirms the genuine ones on chain in one transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from eth_account.signers.local import LocalAccount

from registry import errors
from registry.domain.accesscodes import derive as derive_access_code
from registry.domain.accesscodes import normalize as normalize_access_code
from registry.domain.calendar import OfficeCalendar, default_calendar
from registry.domain.commitments import bound_document_digest, bound_report_digest, claim_token, to_hex
from registry.domain.commitments import commitment as commit
from registry.domain.filings import (
    ClaimInput,
    FilingInput,
    PreparedFiling,
    check_plausible_date,
    check_report_issued,
    claim_commitment,
    prepare_filing,
)
from registry.domain.numbers import NormalizedNumber
from registry.domain.numbers import normalize as normalize_number
from registry.domain.pct import IB_OFFICES, PCT_RECORD_OFFICE, judged_offices, may_anchor
from registry.domain.rules import (
    Check,
    LaterApplication,
    PriorityClaim,
    RegisteredApplication,
    Severity,
    Verification,
    check_filing_date,
    restoration_period_end,
    verify_claim,
)
from registry.domain.st96 import St96Claim
from registry.domain.types import Commitment, IpRightKind, as_commitment, date_to_days
from registry.index import Index, IndexedRecord, IndexedReport, RegisteredFacts, report_id
from registry.ledger.chain import Chain
from registry.ledger.client import STORED, AnchoredBatch, AnchoredFiling, Inclusion, RegistryClient
from registry.service.evidence import Evidence, EvidenceInput, build_evidence
from registry.service.own_numbers import OwnNumbers

__all__ = [
    "FilingOutcome",
    "LedgerAck",
    "RegistryService",
    "document_digest",
]


@dataclass(frozen=True)
class LedgerAck:
    """Where a write landed."""

    transaction_hash: str
    block_number: int


@dataclass(frozen=True)
class FilingOutcome:
    """One anchored filing, with where each of its priority claims stands now."""

    prepared: PreparedFiling
    ledger: LedgerAck
    claim_verifications: tuple[Verification, ...]
    batch_root: bytes | None = None
    #: One per claim: the evidence of its verification (docs/api.md#evidence), None where not registered.
    claim_evidence: tuple[Evidence | None, ...] = ()


class RegistryService:
    """One deployment: the chain, the index that follows it, and the office clients that write."""

    def __init__(
        self,
        chain: Chain,
        index: Index,
        contract: str,
        *,
        calendar: OfficeCalendar | None = None,
        relayer: LocalAccount | None = None,
    ) -> None:
        self.chain = chain
        self.index = index
        self.contract = contract
        self.calendar = calendar or default_calendar()
        self._offices: dict[str, RegistryClient] = {}
        self._seeds: dict[str, bytes] = {}
        self._numbers: dict[str, OwnNumbers] = {}
        # Per office: the newest claim id whose token it checked (claims come in chain order).
        self._confirmed_upto: dict[str, int] = {}
        self._confirming = threading.local()
        self._write_locks: dict[str, threading.Lock] = {}
        self._sync_lock = threading.Lock()
        self.relayer = relayer

    # ── offices this service writes for ──────────────────────────────────────────────────

    def add_office(
        self, office: str, key: LocalAccount, seed: bytes | None = None, *, numbers_dir: Path | None = None
    ) -> None:
        """Let this service write for ``office`` with its key (and derive its access codes from ``seed``).

        ``numbers_dir``: where the office's own numbers are kept encrypted (:mod:`registry.service.own_numbers`),
        so that it can confirm claims on its applications after a restart.
        """
        self._offices[office] = RegistryClient(self.chain, self.contract, key)
        self._write_locks[office] = threading.Lock()
        if seed is not None:
            self._seeds[office] = seed
        path = None if numbers_dir is None else numbers_dir / f"{office}.log"
        self._numbers[office] = OwnNumbers(office, seed, path)

    def writable_offices(self) -> list[str]:
        """The offices whose keys this service holds."""
        return sorted(self._offices)

    def client_for(self, office: str) -> RegistryClient:
        """The client that writes for ``office`` (raises Forbidden when this service holds no key for it)."""
        return self._client(office)

    def _client(self, office: str) -> RegistryClient:
        client = self._offices.get(office)
        if client is None:
            raise errors.Forbidden(f"this service holds no key for office {office}")
        return client

    # ── index ────────────────────────────────────────────────────────────────────────────

    def sync(self) -> None:
        """Bring the index up to the chain head (serialized; safe to call from many threads).

        Then each office this service writes for confirms the genuine claims on its applications
        (docs/spec/entries.md#claim-tokens-and-confirmed-links: on its next sync step), and the index follows that
        transaction too.
        """
        if getattr(self.index, "read_only", False):
            return  # a gateway's read worker: the owner process follows the chain for it
        with self._sync_lock:
            self.index.sync()
            if getattr(self._confirming, "active", False):
                return
            self._confirming.active = True
            try:
                if any(self._confirm_claims(office) for office in sorted(self._offices)):
                    self.index.sync()
            finally:
                self._confirming.active = False

    def _confirm_claims(self, office: str) -> bool:
        """Confirm on chain the new claims on ``office``'s applications whose tokens are genuine.

        A claim whose token does not match (a claim made without the access code) is shown but
        never confirmed. Returns whether a confirmation was sent.
        """
        numbers = self._numbers.get(office)
        if numbers is None or not len(numbers):
            return False
        upto = self._confirmed_upto.get(office, 0)
        links: dict[tuple[str, Commitment, Commitment], None] = {}
        newest = upto
        for claim_id, claim in self.index.claims_on(office, after=upto):
            newest = max(newest, claim_id)
            earlier, later = as_commitment(claim.earlier), as_commitment(claim.later)
            secret = numbers.secret(earlier)
            if secret is None or claim.confirmed or not self.index.contains(office, earlier):
                continue
            if claim_token(claim.later_office, later, secret) == claim.claim_token:
                links[(claim.later_office, later, earlier)] = None
        if links:
            try:
                with self._write_locks[office]:
                    self._offices[office].confirm_priority_claims(list(links))
            except errors.LedgerError:
                return False  # tried again on the next sync step: nothing is marked as done
        self._confirmed_upto[office] = newest
        return bool(links)

    def remember_anchored(self, office: str, prepared: Sequence[PreparedFiling]) -> None:
        """Keep ``office``'s newly anchored applications, so that it can confirm claims on them.

        A code the seed derives is not stored (it is derived again after a restart); an
        office-chosen one is, encrypted (:mod:`registry.service.own_numbers`).
        """
        numbers = self._numbers.get(office)
        if numbers is None:
            return
        seed = self._seeds.get(office)
        for item in prepared:
            number = item.number
            derived = (
                seed is not None
                and derive_access_code(seed, number.office, number.canonical).secret == item.access_code.secret
            )
            numbers.remember(
                item.commitment, number.office, number.canonical, item.access_code.secret, chosen=not derived
            )
        # Claims made before this office anchored its application are checked again.
        self._confirmed_upto[office] = 0

    # ── writes ───────────────────────────────────────────────────────────────────────────

    def prepare(
        self,
        office: str,
        filings: Sequence[FilingInput],
        *,
        parent_filing_dates: Sequence[_dt.date | None] | None = None,
        in_batch: bool | None = None,
        latest_block_day: _dt.date | None = None,
    ) -> list[PreparedFiling]:
        """Validate every filing (raising for the first bad one, located as ``filings[i]``).

        ``in_batch`` (default: more than one filing) says whether errors name the item's index.
        Dates are checked against ``latest_block_day``, read from the chain when not given (a caller
        preparing many filings one by one, the import, reads it once).

        Everything that could refuse the answer is checked here, before anything is written: the
        claim verifications computed after the write must not turn an anchored filing into a 422.
        """
        located = len(filings) > 1 if in_batch is None else in_batch
        prepared: list[PreparedFiling] = []
        seen: dict[bytes, int] = {}
        # docs/spec/priority-rules.md#plausible-dates: dates up to the latest block's day + 1; read once for the whole
        # batch.
        latest_day = latest_block_day or (self.chain.latest_block_day() if filings else None)
        for i, filing in enumerate(filings):
            try:
                item = prepare_filing(office, filing, seed=self._seeds.get(office), latest_block_day=latest_day)
                self._check_dates(item, parent_filing_dates[i] if parent_filing_dates else None, latest_day)
            except errors.InvalidInput as exc:
                if _names_another_office(exc):
                    raise _not_own_number(office, exc, f"filings[{i}]: " if located else "") from None
                if located:
                    exc.target = f"filings[{i}]" + (f".{exc.target}" if exc.target else "")
                raise
            if item.commitment in seen:
                raise errors.InvalidInput(
                    f"filings {seen[item.commitment]} and {i} are the same application {item.number.display}",
                    code="duplicateFiling",
                    target=f"filings[{i}].applicationNumber",
                )
            seen[item.commitment] = i
            prepared.append(item)
        return prepared

    def _check_dates(
        self, item: PreparedFiling, parent_filing_date: _dt.date | None, latest_day: _dt.date | None = None
    ) -> None:
        day = item.entry.filing_date
        try:
            # The longest period this filing can open as an earlier application (docs/spec/priority-rules.md#periods).
            restoration_period_end(day, IpRightKind.PATENT, item.office, self.calendar)
        except (ValueError, OverflowError):
            raise errors.InvalidDate(
                f"{day.isoformat()} is too far in the future to be a filing date: the priority period it"
                " opens would end outside the calendar",
                target="filingDate",
            ) from None
        if parent_filing_date is None:
            return
        if latest_day is not None:
            check_plausible_date(parent_filing_date, latest_day, target="parentApplication.filingDate")
        check_filing_date(parent_filing_date, target="parentApplication.filingDate")
        if parent_filing_date > day:
            # A parent cannot be filed after the application derived from it (Paris Art. 4G).
            raise errors.InvalidDate(
                f"the parent's filing date {parent_filing_date.isoformat()} is after this application's filing"
                f" date {day.isoformat()}; check both dates",
                target="parentApplication.filingDate",
            )

    def _refuse_anchored(self, office: str, prepared: Sequence[PreparedFiling], *, in_batch: bool = False) -> None:
        # Only what the caller's own office holds (docs/spec/entries.md#uniqueness-is-per-office): another office's
        # record under the same bytes never blocks this one. Called under the office's write lock: the index is
        # brought up to the head first, so a request that waited for the lock sees what the one
        # before it anchored (docs/spec/priority-rules.md#conflicts-and-serialization: two identical requests get one
        # 201 and one 409). One anchored item refuses the whole batch.
        self.sync()
        for i, item in enumerate(prepared):
            held = self.index.facts(office, item.commitment)
            if held is not None:
                raise errors.AlreadyAnchored(
                    "PriorityRegistryAlreadyAnchored",
                    {"commitment": item.commitment, "office": office},
                    f"{item.number.display} ({item.office}) is already anchored by {office}"
                    + (f" (filings[{i}])" if in_batch else "")
                    + f": its record there is version {held.version}, filed {held.filing_date.isoformat()}",
                    target=f"filings[{i}]" if in_batch else "applicationNumber",
                )

    def anchor(self, office: str, filing: FilingInput, *, parent_filing_date: _dt.date | None = None) -> FilingOutcome:
        """Anchor one filing of ``office`` as a stored record; acknowledged once mined and indexed."""
        client = self._client(office)
        (prepared,) = self.prepare(office, [filing], parent_filing_dates=[parent_filing_date])
        with self._write_locks[office]:
            self._refuse_anchored(office, [prepared])
            anchored: AnchoredFiling = client.anchor_filing(prepared.entry)
        self.remember_anchored(office, [prepared])
        self.sync()
        ack = LedgerAck(anchored.transaction_hash, anchored.block_number)
        verifications, evidence = self._claim_verifications(prepared, parent_filing_date)
        return FilingOutcome(prepared, ack, verifications, claim_evidence=evidence)

    def anchor_batch(
        self,
        office: str,
        filings: Sequence[FilingInput],
        *,
        parent_filing_dates: Sequence[_dt.date | None] | None = None,
    ) -> tuple[list[AnchoredBatch], list[FilingOutcome]]:
        """Anchor many filings of ``office`` (all validated first; nothing is sent if one is bad).

        ``parent_filing_dates`` (one per filing, None for most) judge a divisional's or continuation's
        claims from its parent's date, as :meth:`anchor` does.
        """
        client = self._client(office)
        if parent_filing_dates is not None and len(parent_filing_dates) != len(filings):
            raise ValueError("give one parent filing date (or None) per filing")
        prepared = self.prepare(office, filings, parent_filing_dates=parent_filing_dates, in_batch=True)
        if not prepared:
            raise errors.InvalidInput("a batch needs at least one filing", code="emptyBatch", target="filings")
        with self._write_locks[office]:
            self._refuse_anchored(office, prepared, in_batch=True)
            batches = client.anchor_batch([p.entry for p in prepared])
        self.remember_anchored(office, prepared)
        self.sync()
        outcomes: list[FilingOutcome] = []
        for batch in batches:
            ack = LedgerAck(batch.transaction_hash, batch.block_number)
            for i in range(batch.first_index, batch.first_index + batch.count):
                parent = parent_filing_dates[i] if parent_filing_dates else None
                verifications, evidence = self._claim_verifications(prepared[i], parent)
                outcomes.append(FilingOutcome(prepared[i], ack, verifications, batch.root, evidence))
        return batches, outcomes

    def anchor_missing(
        self, office: str, prepared: Sequence[PreparedFiling]
    ) -> tuple[list[AnchoredBatch], list[PreparedFiling]]:
        """Anchor those of ``prepared`` the index does not hold yet, in batches (``prioreg import``).

        A re-run import skips what an earlier run anchored instead of refusing it; the check and the
        write happen under the office's write lock, as for :meth:`anchor_batch`, so nothing is sent
        twice when another writer of the same office anchors meanwhile.
        """
        client = self._client(office)
        with self._write_locks[office]:
            self.sync()
            missing = [p for p in prepared if not self.index.contains(office, p.commitment)]
            batches = client.anchor_batch([p.entry for p in missing]) if missing else []
        self.remember_anchored(office, missing)
        self.sync()
        return batches, missing

    def _claim_verifications(
        self, prepared: PreparedFiling, parent_filing_date: _dt.date | None
    ) -> tuple[tuple[Verification, ...], tuple[Evidence | None, ...]]:
        # A PCT filing is judged on its receiving Office's calendar (PCT Rule 80.5,
        # docs/spec/priority-rules.md#end-of-the-period).
        later = LaterApplication(
            prepared.office,
            prepared.entry.filing_date,
            prepared.entry.kind,
            parent_filing_date,
            receiving_office=prepared.number.receiving_office,
            application_number=prepared.number.canonical,
        )
        checked = [
            self._checked(
                c.number,
                c.filing_date,
                c.commitment,
                later,
                EvidenceInput.of(
                    c.number.office, c.number.canonical, c.filing_date, later, later_number=prepared.number.canonical
                ),
            )
            for c in prepared.claims
        ]
        return tuple(v for v, _e in checked), tuple(e for _v, e in checked)

    def publish(self, office: str, application_number: str, access_code: str) -> tuple[Commitment, str, LedgerAck]:
        """Reveal the number of one of ``office``'s own anchored applications."""
        client = self._client(office)
        try:
            number, secret, commitment = _locate(office, application_number, access_code)
        except errors.InvalidInput as exc:
            if _names_another_office(exc):
                raise _not_own_number(office, exc) from None
            raise
        self.sync()
        record = self.index.record(commitment, office)
        if record is None:
            holder = next((o for o in judged_offices(number) if self.index.contains(o, commitment)), None)
            if holder is not None:
                raise errors.Forbidden(f"{number.display} was anchored by {holder}, not by {office}")
        # docs/spec/commitments.md#whose-record-counts: a record counts for a number exactly when its office may anchor
        # that number.
        if record is None or not may_anchor(record.office, number):
            raise errors.NotFound(
                f"no application {number.display} of {number.office} is anchored by {office} under that access code"
            )
        if record.published_number is not None:
            # Answered from the index: a transaction that would revert needs no gas estimate.
            raise errors.AlreadyPublished(
                "PriorityRegistryAlreadyPublished",
                {"commitment": commitment},
                f"{number.display} ({number.office}) is already published as {record.published_number}",
            )
        inclusion = self._inclusion(record)
        with self._write_locks[office]:
            sent = client.publish(number.office, number.canonical, secret, inclusion)
        self.sync()
        return commitment, number.canonical, LedgerAck(sent.transaction_hash, sent.block_number)

    def own_record(self, office: str, commitment: Commitment) -> IndexedRecord:
        """``office``'s own record of ``commitment`` as the index holds it now.

        403 when only other offices hold the application (its commitment is public, so saying so leaks
        nothing: docs/api.md#status-codes-on-office-endpoints), 404 when nobody does.
        """
        record = self.index.record(commitment, office)
        if record is not None:
            return record
        holders = self.index.holders(commitment)
        if holders:
            raise errors.Forbidden(
                f"the application {to_hex(commitment)} was anchored by {', '.join(holders)}, not by {office}:"
                " an office adds reports and documents to its own applications only"
            )
        raise errors.NotFound(f"no application is anchored under commitment {to_hex(commitment)}")

    def anchor_report(
        self, office: str, commitment: Commitment, sha256: bytes, kind: int, issued: _dt.date
    ) -> tuple[IndexedReport, LedgerAck]:
        """Bind a report's SHA-256 to ``office``'s own application ``commitment`` on chain (R15).

        docs/spec/entries.md#document-digests-and-reports: the ledger holds ``reportDigest``, the SHA-256 bound to the
        commitment with the report tag, and emits ``ReportAnchored``. 403 when only other offices hold the
        application, 404 when nobody does, 422 :class:`~registry.errors.ReportBeforeFiling` when ``issued`` is before
        its filing date, 409 when ``office`` already anchored this report; the
        answer is the report as the index holds it once mined.
        """
        client = self._client(office)
        self.sync()
        record = self.own_record(office, commitment)
        check_report_issued(issued, record.filing_date)
        digest = bound_report_digest(commitment, sha256)
        rid = report_id(office, digest)
        with self._write_locks[office]:
            self.sync()
            if self.index.report(rid) is not None:
                raise errors.ReportAlreadyAnchored(
                    "PriorityRegistryReportAlreadyAnchored",
                    {"office": office, "reportDigest": digest},
                    f"office {office} already anchored this report (reportId {to_hex(rid)}) for {to_hex(commitment)}",
                )
            sent = client.anchor_report(commitment, digest, kind, date_to_days(issued), self._inclusion(record))
        self.sync()
        anchored = self.index.report(rid)
        if anchored is None:  # mined, yet the index refused it (docs/spec/entries.md#chain-data-is-input)
            raise errors.IndexInconsistent(f"the index did not take the report anchored in {sent.transaction_hash}")
        return anchored, LedgerAck(sent.transaction_hash, sent.block_number)

    def derived_access_code(self, office: str, number: NormalizedNumber) -> str | None:
        """The access code ``office``'s seed derives for ``number`` (None when this service holds no seed for it)."""
        seed = self._seeds.get(office)
        return None if seed is None else str(derive_access_code(seed, number.office, number.canonical))

    def anchor_document_version(
        self, office: str, commitment: Commitment, document_sha256: Callable[[IndexedRecord, int], bytes]
    ) -> tuple[IndexedRecord, LedgerAck]:
        """Anchor a new document digest of ``office``'s own application as its next version (``amendFiling``).

        ``document_sha256(record, version)`` gives the SHA-256 to bind, knowing the version it will be (a
        priority-document manifest names its version: docs/spec/packages.md#on-chain); it is called under the
        office's write lock, after the index has caught up, so that no other write of this service takes that
        version first. The filing date is kept. 403/404 as :meth:`own_record`; raises
        :class:`~registry.errors.IndexInconsistent` when the version mined is not the one expected (another
        writer of the same office amended meanwhile).
        """
        client = self._client(office)
        with self._write_locks[office]:
            self.sync()
            record = self.own_record(office, commitment)
            version = record.version + 1
            digest = bound_document_digest(commitment, document_sha256(record, version))
            sent = client.amend_filing(commitment, date_to_days(record.filing_date), digest, self._inclusion(record))
            self.sync()
        after = self.own_record(office, commitment)
        if after.version != version or after.document_digest != digest:
            raise errors.IndexInconsistent(
                f"the amendment in {sent.transaction_hash} did not become version {version} of {to_hex(commitment)}"
            )
        return after, LedgerAck(sent.transaction_hash, sent.block_number)

    @staticmethod
    def _inclusion(record: IndexedRecord) -> Inclusion:
        if record.inclusion is None:
            return STORED
        return Inclusion(record.inclusion.root, record.inclusion.entry, record.inclusion.proof)

    # ── reads ────────────────────────────────────────────────────────────────────────────

    def verify(self, claim: ClaimInput, later: LaterApplication) -> Verification:
        """Check one priority claim against the ledger and the rules (docs/api.md#verifying-a-claim)."""
        prepared = claim_commitment(claim, target="priority")
        return self._verify_prepared(prepared.number, prepared.filing_date, prepared.commitment, later)

    def verify_with_evidence(
        self, claim: ClaimInput, later: LaterApplication, *, later_number: str | None = None
    ) -> tuple[Verification, Evidence | None]:
        """:meth:`verify`, with the evidence of the verdict when the claimed application is registered
        (docs/api.md#evidence). ``later_number``: the later application's number as the caller wrote it."""
        prepared = claim_commitment(claim, target="priority")
        given = EvidenceInput.of(
            claim.ip_office_code, claim.application_number, prepared.filing_date, later, later_number=later_number
        )
        return self._checked(prepared.number, prepared.filing_date, prepared.commitment, later, given)

    def _checked(
        self,
        number: NormalizedNumber,
        claimed_date: _dt.date,
        commitment: Commitment,
        later: LaterApplication,
        given: EvidenceInput,
    ) -> tuple[Verification, Evidence | None]:
        facts = self.judged_facts(number, commitment)
        verification = self._judge(number, claimed_date, commitment, later, facts)
        if facts is None or verification.registered is None:
            return verification, None
        evidence = build_evidence(
            self.chain,
            self.index,
            self.contract,
            self.calendar,
            office=facts.office,
            commitment=commitment,
            version=facts.version,
            given=given,
        )
        return verification, evidence

    def _verify_prepared(
        self, number: NormalizedNumber, claimed_date: _dt.date, commitment: Commitment, later: LaterApplication
    ) -> Verification:
        return self._judge(number, claimed_date, commitment, later, self.judged_facts(number, commitment))

    def _judge(
        self,
        number: NormalizedNumber,
        claimed_date: _dt.date,
        commitment: Commitment,
        later: LaterApplication,
        facts: RegisteredFacts | None,
    ) -> Verification:
        registered = None
        if facts is not None:
            registered = RegisteredApplication(
                commitment=to_hex(commitment),
                ip_office_code=number.office,
                filing_date=facts.filing_date,
                ip_right_kind=facts.kind,
                version=facts.version,
                claimed_priority_dates=facts.claimed_dates,
            )
        verification = verify_claim(
            PriorityClaim(number.office, number.canonical, claimed_date), later, registered, self.calendar
        )
        disagreement = self._pct_records_disagree(number, commitment)
        if disagreement is None:
            return verification
        return dataclasses.replace(verification, checks=(*verification.checks, disagreement))

    def _pct_records_disagree(self, number: NormalizedNumber, commitment: Commitment) -> Check | None:
        """docs/spec/commitments.md#whose-record-counts: a claim on a PCT application is judged on the receiving
        office's record; when the IB holds one too and the two differ, the answer carries a warning (the verdict
        stands)."""
        offices = judged_offices(number)
        if number.office != PCT_RECORD_OFFICE or len(offices) < 2 or offices[0] in IB_OFFICES:
            return None
        receiving = self.index.facts(offices[0], commitment)
        if receiving is None:
            return None
        for ib in offices[1:]:
            other = self.index.facts(ib, commitment)
            if other is None:
                continue
            differs = [
                name
                for name, a, b in (
                    ("filing date", receiving.filing_date, other.filing_date),
                    ("kind", receiving.kind, other.kind),
                    ("document digest", receiving.document_digest, other.document_digest),
                    ("claimed priorities", receiving.claimed_dates, other.claimed_dates),
                )
                if a != b
            ]
            if differs:
                return Check(
                    "pctRecordsAgree",
                    False,
                    Severity.WARNING,
                    f"the receiving office {offices[0]} and the IB ({ib}) hold different records of this PCT"
                    f" application ({', '.join(differs)} differ); judged on {offices[0]}'s",
                )
        return None

    def judged_facts(self, number: NormalizedNumber, commitment: Commitment) -> RegisteredFacts | None:
        """The record a claim on ``number`` is judged on (docs/spec/commitments.md#whose-record-counts): only the
        claimed office's."""
        for office in judged_offices(number):
            facts = self.index.facts(office, commitment)
            if facts is not None:
                return facts
        return None

    def application(self, commitment: Commitment, office: str | None = None) -> IndexedRecord:
        """The record ``office`` anchored under ``commitment`` (None: the first anchored; raises NotFound)."""
        record = self.index.record(commitment, office)
        if record is None:
            whose = f" by {office}" if office else ""
            raise errors.NotFound(f"no application is anchored{whose} under commitment {to_hex(commitment)}")
        return record

    def st96_claims(self, record: IndexedRecord) -> list[St96Claim]:
        """The active priority claims of ``record`` as the public record shows them, for its ST.96
        ``PriorityClaimBag`` (:mod:`registry.domain.st96`): the earlier application's number only once published."""
        active = [c for c in record.priority_claims if not c.withdrawn]
        summaries = self.index.summaries((c.earlier_office, c.earlier) for c in active)
        out = []
        for claim in active:
            summary = summaries.get((claim.earlier_office, claim.earlier))
            number = None if summary is None else summary.published_number
            out.append(St96Claim(claim.earlier_office, claim.claimed_filing_date, number))
        return out

    def verify_document(
        self, office: str, application_number: str, access_code: str, digest: bytes
    ) -> tuple[bool, bytes | None, int | None]:
        """Does ``digest`` (the file's SHA-256) match the document anchored for the application?

        The ledger holds the SHA-256 bound to the commitment (docs/spec/entries.md#document-digests-and-reports); the
        binding is made here, and the anchored binding is what the answer shows.
        """
        number, _secret, commitment = _locate(office, application_number, access_code)
        facts = self.judged_facts(number, commitment)
        if facts is None:
            return False, None, None
        anchored = facts.document_digest
        bound = bound_document_digest(commitment, digest)
        return anchored is not None and anchored == bound, anchored, facts.version


def _names_another_office(exc: errors.InvalidInput) -> bool:
    """Whether the application number itself names another office (``US…`` or ``PCT/US…`` given to EP)."""
    return exc.code == "officeMismatch" and exc.target == "applicationNumber"


def _not_own_number(office: str, exc: errors.InvalidInput, where: str = "") -> errors.Forbidden:
    # docs/api.md#status-codes-on-office-endpoints: anchoring or publishing another office's number is 403, not a
    # malformed request. The numbers module says whose number it is in the first clause of its message.
    whose = exc.message.split(";")[0]
    return errors.Forbidden(
        f"{where}{whose}; office {office} may anchor and publish only its own applications"
        " (and the PCT applications it received, docs/spec/commitments.md#whose-record-counts)"
    )


def _locate(office: str, application_number: str, access_code: str) -> tuple[NormalizedNumber, str, Commitment]:
    """Normalize (office, number, access code) and compute the commitment (docs/spec/commitments.md#commitments)."""
    try:
        number = normalize_number(office, application_number)
    except errors.InvalidInput as exc:
        raise exc.with_target("applicationNumber") from None
    try:
        secret = normalize_access_code(access_code).secret
    except errors.InvalidInput as exc:
        raise exc.with_target("accessCode") from None
    return number, secret, commit(number.office, number.canonical, secret)


def document_digest(data: bytes) -> bytes:
    """SHA-256 of a priority document, the digest anchored with a filing
    (docs/spec/entries.md#document-digests-and-reports)."""
    return hashlib.sha256(data).digest()
