"""Re-checking a saved verification against any node: what ``prioreg check-evidence`` does (docs/api.md#evidence).

Proofs must outlive their operator: a verify answer saved by an examiner is checked again with nothing but a node
of the chain — no gateway, no index. Every check reads the node through :class:`~registry.ledger.chain.Chain`
(so through the ledger's transports) and the rules of :mod:`registry.domain`:

1. ``chainId``: the node is on the chain the evidence names;
2. ``blockHash``: block ``blockNumber`` of that chain has that hash (a reorganisation or a forged block differs);
3. ``transaction``: that block holds ``transactionHash``, sent to ``contract``;
4. ``event``: the transaction made the registry emit an event for the claimed record (its office is read here);
5. ``calldata``: the transaction's input carries the ``entry`` bytes (batched) or the commitment (stored);
6. ``merkleProof``: the ``proof`` leads from the entry's leaf to ``batchRoot`` (docs/spec/entries.md#merkle-tree),
   and the entry is the claimed record's;
7. ``onChain``: the contract holds the office's batch ``batchRoot`` (or its stored record of the commitment);
8. ``facts``: the filing date and kind the transaction wrote are those of ``registered``;
9. ``verdict``: the rules, given the evidence's ``input`` and those facts, reach the same verdict.

A failed check is one line saying what differs. The exit codes are the CLI's (:mod:`registry.cli.evidence`).
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from registry import errors
from registry.domain.calendar import OfficeCalendar, default_calendar
from registry.domain.entries import decode_entry
from registry.domain.merkle import verify_entry
from registry.domain.numbers import normalize as normalize_number
from registry.domain.pct import judged_offices
from registry.domain.rules import PriorityClaim, RegisteredApplication, verify_claim
from registry.domain.types import IpRightKind, date_from_days
from registry.index.decode import decode_event, event_specs, office_code
from registry.ledger.chain import Chain
from registry.ledger.compile import load_artifact
from registry.service.answers import VerificationOut
from registry.service.evidence import rules_version

__all__ = ["EvidenceCheck", "MalformedEvidence", "check_evidence", "read_answer"]

MalformedEvidence = errors.MalformedEvidence  # where the CLI and the tests have known it

_EVENTS = ("FilingAnchored", "BatchAnchored", "FilingAmended", "PriorityClaimAdded", "PriorityClaimWithdrawn")
# Blocks of a dev node or a consortium chain hold few transactions; a bound keeps a forged file from a long scan.
_MAX_TRANSACTIONS = 100_000


@dataclass(frozen=True)
class EvidenceCheck:
    """One check of a saved answer against the node."""

    name: str
    passed: bool
    message: str


def read_answer(text: str) -> VerificationOut:
    """The verify answer in ``text`` (JSON), with its evidence; raises :class:`MalformedEvidence`."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise MalformedEvidence(f"the file is not JSON: {exc}") from None
    try:
        answer = VerificationOut.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the answer"
        raise MalformedEvidence(f"the file is not a verify answer: {where}: {first['msg']}") from None
    if answer.evidence is None or answer.registered is None:
        raise MalformedEvidence("the answer carries no evidence: only a registered verification can be re-checked")
    return answer


def _bytes(text: str, what: str) -> bytes:
    try:
        return bytes.fromhex(text.removeprefix("0x"))
    except ValueError:
        raise MalformedEvidence(f"{what} is not hex") from None


def check_evidence(
    answer: VerificationOut, chain: Chain, calendar: OfficeCalendar | None = None
) -> list[EvidenceCheck]:
    """Every check of the module docstring, in order; stops early where later checks have nothing to stand on.

    Raises :class:`~registry.errors.LedgerUnavailable` when the node cannot be reached.
    """
    evidence, registered = answer.evidence, answer.registered
    if evidence is None or registered is None:
        raise MalformedEvidence("the answer carries no evidence")
    calendar = calendar or default_calendar()
    out: list[EvidenceCheck] = []

    def check(name: str, passed: bool, ok: str, bad: str) -> bool:
        out.append(EvidenceCheck(name, passed, ok if passed else bad))
        return passed

    tx_hash = _bytes(evidence.transaction_hash, "transactionHash")
    block_hash = _bytes(evidence.block_hash, "blockHash")
    commitment = _bytes(registered.commitment, "registered.commitment")
    entry = None if evidence.entry is None else _bytes(evidence.entry, "entry")
    root = None if evidence.batch_root is None else _bytes(evidence.batch_root, "batchRoot")
    proof = [_bytes(p, "proof") for p in evidence.proof or ()]

    chain_id = chain.chain_id
    if not check(
        "chainId",
        chain_id == evidence.chain_id,
        f"the node is on chain {chain_id}",
        f"the node is on chain {chain_id}, the evidence names chain {evidence.chain_id}",
    ):
        return out
    header = chain.header(evidence.block_number)
    if not check(
        "blockHash",
        header is not None and header[0] == block_hash,
        f"block {evidence.block_number} has hash {evidence.block_hash}",
        f"block {evidence.block_number} has hash {'none' if header is None else '0x' + header[0].hex()},"
        f" not {evidence.block_hash}",
    ):
        return out
    tx = None
    for i in range(_MAX_TRANSACTIONS):
        ref = chain.transaction_at(evidence.block_number, i)
        if ref is None:
            break
        if ref.transaction_hash == tx_hash:
            tx = ref
            break
    if not check(
        "transaction",
        tx is not None and tx.to is not None and tx.to.lower() == evidence.contract.lower(),
        f"block {evidence.block_number} holds {evidence.transaction_hash}, sent to {evidence.contract}",
        f"block {evidence.block_number} holds no transaction {evidence.transaction_hash}"
        if tx is None
        else f"{evidence.transaction_hash} was sent to {tx.to}, not to {evidence.contract}",
    ):
        return out
    assert tx is not None

    events = _events_of(chain, evidence.contract, evidence.block_number, tx_hash)
    wanted = set(judged_offices(normalize_number(registered.ip_office_code, _number(answer))))
    office = None
    for name, args in events:
        if (name == "BatchAnchored" and root is not None and bytes(args["root"]) == root) or (
            name != "BatchAnchored" and bytes(args["commitment"]) == commitment
        ):
            office = office_code(bytes(args["office"]))
        if office is not None and office in wanted:
            break
        office = None
    if not check(
        "event",
        office is not None,
        f"the transaction wrote office {office}'s record",
        "the transaction emitted no registry event for the claimed record",
    ):
        return out
    assert office is not None

    contained = (entry if entry is not None else commitment) in tx.input
    check(
        "calldata",
        contained,
        "the transaction's input carries the " + ("entry" if entry is not None else "commitment"),
        "the transaction's input does not carry the " + ("entry" if entry is not None else "commitment"),
    )
    decoded = None
    if entry is not None and root is not None:
        try:
            decoded, _end = decode_entry(entry)
        except errors.InvalidInput as exc:
            raise MalformedEvidence(f"the entry does not decode: {exc.message}") from None
        check(
            "merkleProof",
            verify_entry(root, entry, proof) and decoded.commitment == commitment,
            f"the proof leads from the entry to batch root {evidence.batch_root}",
            "the proof does not lead from the entry to the batch root"
            if decoded.commitment == commitment
            else "the entry is not the claimed record's",
        )
    contract = chain.registry_contract(evidence.contract)
    if root is not None:
        held = chain.query(lambda: contract.functions.getBatch(office.encode(), root).call())
        check(
            "onChain",
            bytes(held[0]) == office.encode(),
            f"the contract holds office {office}'s batch {evidence.batch_root}",
            f"the contract holds no batch {evidence.batch_root} of office {office}",
        )
        stored = None
    else:
        stored = chain.query(lambda: contract.functions.getRecord(office.encode(), commitment).call())
        check(
            "onChain",
            bytes(stored[0]) == office.encode(),
            f"the contract holds office {office}'s record of the commitment",
            f"the contract holds no stored record of the commitment by office {office}",
        )

    kind, filing_date = _facts(events, commitment, decoded, stored)
    check(
        "facts",
        kind == registered.ip_right_kind and filing_date == registered.filing_date,
        f"the ledger says {kind.api_name if kind else '?'} filed {filing_date}, as the answer does",
        f"the ledger says {kind.api_name if kind else '?'} filed {filing_date}; the answer says"
        f" {registered.ip_right_kind.api_name} filed {registered.filing_date}",
    )
    if kind is None or filing_date is None:
        return out
    given = evidence.input.evidence_input()
    number = normalize_number(given.priority_office, given.priority_number)
    again = verify_claim(
        PriorityClaim(number.office, number.canonical, given.priority_filing_date),
        given.later_application(),
        RegisteredApplication(registered.commitment, number.office, filing_date, kind, registered.version),
        calendar,
    )
    here = rules_version(calendar)
    note = "" if here == evidence.rules_version else f" (rules {here} here, {evidence.rules_version} in the answer)"
    check(
        "verdict",
        again.verdict == answer.verdict,
        f"the rules reach the same verdict, {again.verdict.value}{note}",
        f"the rules reach {again.verdict.value}, the answer says {answer.verdict.value}{note}",
    )
    return out


def _number(answer: VerificationOut) -> str:
    assert answer.evidence is not None
    return answer.evidence.input.priority.application_number


def _events_of(chain: Chain, contract: str, block: int, tx_hash: bytes) -> list[tuple[str, dict[str, Any]]]:
    specs = event_specs(load_artifact()["abi"], _EVENTS)
    out = []
    for log in chain.logs(contract, block, block):
        if bytes(log["transactionHash"]) != tx_hash or not log["topics"]:
            continue
        spec = specs.get(bytes(log["topics"][0]))
        if spec is not None:
            out.append((spec.name, decode_event(spec, log["topics"], bytes(log["data"]))))
    return out


def _facts(
    events: list[tuple[str, dict[str, Any]]], commitment: bytes, decoded: Any, stored: Any
) -> tuple[IpRightKind | None, _dt.date | None]:
    """The kind and filing date the version's transaction wrote: an amendment's date, else the anchor's."""
    kind: IpRightKind | None = None
    day: _dt.date | None = None
    if decoded is not None:
        kind, day = decoded.kind, decoded.filing_date
    elif stored is not None and bytes(stored[0]) != b"\x00\x00":
        kind, day = IpRightKind(stored[1]), date_from_days(stored[2])
    for name, args in events:
        if name == "FilingAnchored" and bytes(args["commitment"]) == commitment:
            kind, day = IpRightKind(args["ipRightKind"]), date_from_days(args["filingDate"])
        elif name == "FilingAmended" and bytes(args["commitment"]) == commitment:
            day = date_from_days(args["filingDate"])
    return kind, day
