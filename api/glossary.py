"""The data dictionary of the API (WIPO ST.90 and DAS habit: one meaning per field name).

A field name means the same thing in every body it appears in — ``filingDate`` is always a
filing date, ``commitment`` always a commitment — so its description and example are written once
here, and :mod:`api.openapi` gives them to every schema property that does not declare its own
(a field's own ``Field(description=…)`` in :mod:`api.schemas` wins). A property that holds another
schema (``ledger``, ``priority``) has its description here and its example in that schema's own
fields. A test checks that no property of the served contract is left without either.
"""

from __future__ import annotations

from typing import Any

__all__ = ["GLOSSARY", "document_properties"]

_COMMITMENT = "0x80e07c0a336f201eef8cbf589f1c62a05bf7531dddaa603b37c2d2ca644ea84b"
_TX = "0xff0dabb164047bfceda916cdd2ef40e41daa89ae63741bcacecc4443a7768f22"

#: field name → (description, example); example None: the field holds another schema.
GLOSSARY: dict[str, tuple[str, Any]] = {
    "valid": (
        "Whether the package is authentic: every check of docs/spec/packages.md#checks but isCurrentVersion passes.",
        True,
    ),
    "currentVersion": ("The application's latest version on the ledger; null when it cannot be read.", 3),
    "manifestSha256": ("The SHA-256 of the package's manifest.json, 0x and 64 hex digits.", "0x" + "7c" * 32),
    "anchoringOffice": ("The ST.3 code of the office whose record's version the package is.", "JP"),
    "versionBlockNumber": ("The block of the transaction that anchored the package's version.", 7),
    "versionTransactionHash": ("The transaction that anchored the package's version: 0x and 64 hex digits.", _TX),
    "officeKeyAtVersion": (
        "The anchoring office's key when the version was anchored (from the office-directory events); null when none.",
        "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    ),
    "accessCode": (
        "The access code of an application: the secret the first office gives the applicant, who gives it to "
        "the offices of later filings (Crockford base32, a check character last).",
        "7JEY-NFRJ-JK7B-DJF3-1",
    ),
    "alsoAnchoredBy": (
        "Other offices whose records hold the same 32 bytes (docs/spec/entries.md#paths-keyed-by-a-commitment: each is "
        "its own record).",
        ["JP"],
    ),
    "confirmed": (
        "Whether the earlier office confirmed the priority link on the ledger "
        "(docs/spec/entries.md#claim-tokens-and-confirmed-links).",
        True,
    ),
    "earlierCommitment": ("The commitment of the earlier application the claim names.", _COMMITMENT),
    "endpoint": (
        "The office's own gateway URL, set by the office on chain; null until set.",
        "https://gateway.example.org",
    ),
    "fromOffice": ("The ST.3 code of the office whose application makes the claim (the later one).", "US"),
    "toOffice": ("The ST.3 code of the office whose application is claimed (the earlier one).", "JP"),
    "active": ("Whether the office may write to the ledger (false: suspended).", True),
    "anchored": ("Whether the application is on the ledger (false: known only from a claim).", True),
    "anchoredBy": ("The ST.3 code of the office whose key anchored the record (a PCT receiving office).", "US"),
    "anchoredDigest": ("The SHA-256 anchored for the application's document, or null.", "0x" + "5e" * 32),
    "applicationNumber": ("An application number as its office writes it.", "2017-187096"),
    "available": ("Whether the applying office restores a late claim at all; null when not known here.", True),
    "batch": ("The batch that carries the record, with its Merkle inclusion proof; null when stored alone.", None),
    "batches": ("The batch transactions, in order.", None),
    "batchRoot": (
        "The Merkle root of the office's batch that carries the record (docs/spec/entries.md#merkle-tree); null when "
        "the record is stored alone.",
        "0x" + "9a" * 32,
    ),
    "blockHash": ("The hash of the block that holds the transaction: 0x and 64 hex digits.", "0x" + "b1" * 32),
    "blockNumber": ("The block that holds the transaction (or the latest block).", 5),
    "chainId": ("The EIP-155 chain id of the ledger; null when the node does not answer.", 31337),
    "change": (
        "What the version changed: anchored, amended, claimAdded or claimWithdrawn.",
        "anchored",
    ),
    "checks": ("Every check made, each with its result and a message.", None),
    "claimedBy": ("Commitments of the later applications that claim this one.", [_COMMITMENT]),
    "claimedFilingDate": ("The filing date the claim gives for the earlier application, YYYY-MM-DD.", "2017-09-27"),
    "code": ("A machine-readable code: the envelope's status code, or a detail code of the vocabulary.", "badFormat"),
    "commitment": (
        "The application's commitment: 0x and 64 lowercase hex digits (docs/spec/commitments.md#commitments).",
        _COMMITMENT,
    ),
    "contract": ("The registry contract's address on the ledger.", "0x5FbDB2315678afecb367f032d93F642f64180aa3"),
    "count": ("How many filings the batch holds.", 250),
    "cursor": (
        "Where a notification stands in the chain, opaque and the same at every gateway: ask after it for what "
        "came later (docs/api.md#notifications).",
        "0000000000120000100000000",
    ),
    "criterion": ("The standard of restoration the applying office applies: dueCare or unintentional.", "dueCare"),
    "details": ("One entry per problem found, each with a code, a message and the field it concerns.", None),
    "documentDigest": ("The SHA-256 of the priority document, 0x and 64 hex digits; null when none.", "0x" + "5e" * 32),
    "entry": (
        "The record's packed batch entry as it stands in the transaction's calldata, 0x-hex "
        "(docs/spec/entries.md#batch-entry-layout); null when the record is stored alone.",
        "0x" + "80" * 32 + "01" + "00004489" + "00",
    ),
    "evidence": (
        "Where on the ledger the verdict stands, to check it again on any node with prioreg check-evidence "
        "(docs/api.md#evidence); null unless the claimed application is registered.",
        None,
    ),
    "error": ("The error: a code, a sentence a person can act on, and details.", None),
    "extendedFamily": ("Every member of the extended (INPADOC) family, earliest first.", None),
    "filingDate": ("A filing date, YYYY-MM-DD.", "2018-09-06"),
    "filings": ("The filings, in input order.", None),
    "from": ("The commitment of the application that makes the claim.", _COMMITMENT),
    "headBlock": ("The last block the gateway had read when it computed the answer.", 7),
    "input": ("The verify request the verdict answers, without the access code.", None),
    "indexedBlock": ("The last block the gateway's index has read; null before the first.", 5),
    "ipOfficeCode": ("A WIPO ST.3 two-letter office code.", "JP"),
    "ipRightKind": ("The kind of right: patent, utilityModel, design or trademark.", "patent"),
    "later": ("The later application, at the office of second filing.", None),
    "ledger": ("The transaction that carried the write.", None),
    "links": ("The priority links between members: from claims to.", None),
    "matches": ("Whether the document's SHA-256 equals the anchored digest.", True),
    "message": ("One sentence a person can act on.", "the claim is within the 12-month priority period"),
    "name": ("The name of the check.", "withinPriorityPeriod"),
    "next": (
        "The cursor to ask after next time: the last notification's, or the one given when nothing is new.",
        "0000000000120000100000000",
    ),
    "notifications": ("What happened in the families of the office's applications, in chain order.", None),
    "parentApplication": ("The parent of a divisional or continuation: its period runs from the parent's date.", None),
    "parentFilingDate": ("For a divisional or continuation, the parent's filing date, YYYY-MM-DD.", "2017-11-02"),
    "parentRelation": ("How the later application descends from its parent.", "divisional"),
    "passed": ("Whether the check holds.", True),
    "priority": ("The earlier application named by the claim, with its access code.", None),
    "priorityClaims": ("The priority claims of the application.", None),
    "priorityPeriodEnd": (
        "The last day of the priority period, closing days counted; null if not computed.",
        "2018-09-27",
    ),
    "proof": (
        "The Merkle inclusion proof: 0x-hex bytes32 nodes (StandardMerkleTree).",
        ["0x" + "3c" * 32],
    ),
    "accesses": ("Every retrieval of the report, oldest first: here or through another office's gateway.", None),
    "issued": ("The day the report was issued, YYYY-MM-DD.", "2018-03-01"),
    "reportDigest": (
        "The report's SHA-256 bound to its application, as the ledger holds it "
        "(docs/spec/entries.md#document-digests-and-reports): 0x and 64 hex digits.",
        "0x" + "4b" * 32,
    ),
    "reportId": (
        "A report's id, keccak256(abi.encode(bytes2 office, bytes32 reportDigest)): the same at every gateway.",
        "0x" + "cd" * 32,
    ),
    "reports": ("The reports of the records joined by confirmed links, in chain order.", None),
    "sha256": (
        "The SHA-256 of the report's file, 0x and 64 hex digits; null where this gateway does not hold the file.",
        "0x" + "5e" * 32,
    ),
    "throughCommitment": (
        "The commitment of the caller's record joined to the report's application by confirmed links: what gave the "
        "right to retrieve it.",
        _COMMITMENT,
    ),
    "registered": ("What the ledger holds for the claimed application; null when not found.", None),
    "relation": ("How the application descends from its parent: divisional or continuation.", "divisional"),
    "requestDeadline": ("The last day to request restoration; null when not known here.", "2018-11-27"),
    "restoration": (
        "How the applying office restores a late claim (docs/spec/priority-rules.md#restoration); null when not late.",
        None,
    ),
    "restorationPeriodEnd": ("The last day of the 2-month restoration window; null when not computed.", "2018-11-27"),
    "root": ("A Merkle root of a batch: 0x and 64 hex digits.", "0x" + "9a" * 32),
    "rulesVersion": (
        "The rules the verdict was reached with: the package version, +, the id of the calendar data.",
        "0.1.0+3f9a1c2b7d4e.holidays-0.62",
    ),
    "rule": ("The legal rule applied.", "PCT Rule 26bis.3"),
    "severity": ("error (it decides the verdict) or warning (it is reported only).", "error"),
    "signer": ("The address of the office's current signing key.", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"),
    "simpleFamily": ("Commitments of the simple (DOCDB) family: the same priorities exactly.", [_COMMITMENT]),
    "status": ("ok, or degraded when the node does not answer or the index lags 64 blocks or more.", "ok"),
    "target": ("Where the problem is: a JSON path into the request, or a header name; null for the whole.", "later"),
    "to": ("The commitment of the earlier application claimed.", _COMMITMENT),
    "transactionHash": ("The transaction's hash: 0x and 64 hex digits.", _TX),
    "verdict": ("valid, restorable, invalid or notFound (not anchored, or a wrong access code).", "valid"),
    "verification": ("The claim's verification now: the answer of verifyPriorityClaim.", None),
    "version": ("A version of the record, from 1 (each amendment or claim change adds one).", 1),
    "versions": ("Every version of the record, oldest first.", None),
    "withdrawn": ("Whether the claim was withdrawn (the history keeps it).", False),
}


def _holds_schema(prop: dict[str, Any]) -> bool:
    if "$ref" in prop or "allOf" in prop:
        return True
    if prop.get("type") == "array" and "$ref" in prop.get("items", {}):
        return True
    return any(_holds_schema(p) for p in prop.get("anyOf", ()) if p.get("type") != "null")


def document_properties(components: dict[str, Any]) -> None:
    """Give every property of every schema its description and example from :data:`GLOSSARY`."""
    for schema in components.values():
        for name, prop in schema.get("properties", {}).items():
            described, example = GLOSSARY.get(name, (None, None))
            if described and not prop.get("description"):
                prop["description"] = described
            if example is not None and not _holds_schema(prop) and not prop.get("examples"):
                prop["examples"] = [example]
