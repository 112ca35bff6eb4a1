"""Priority-document packages (R26, docs/spec/packages.md): built, signed and anchored by the office of first
filing; checked by anyone against a node alone.

:func:`create_package` is the owner office's side (docs/api.md#priority-documents): number and access code must give
the commitment, the manifest names the version the package will be, its SHA-256 is bound to the commitment and anchored
as that new version through the amendment path (docs/spec/packages.md#on-chain), and the package, signed with the
office's key (EIP-712 ``PriorityDocument``, docs/spec/packages.md#signature), is kept in the gateway's file store.

:func:`verify_package` needs nothing but a :class:`~registry.ledger.chain.Chain` (a node's URL is enough: no index, no
gateway), so that a court or an applicant can check a package years later. It reads the contract's logs for the
application's versions and the office directory's key history (``OfficeAdmitted``, ``OfficeKeyRotated``), and reports
the checks of docs/spec/packages.md#checks by their names. The key that counts is the anchoring office's key current
at the log that anchored the package's version: a later rotation does not undo a package, a key rotated out before
the version does not make one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_account import Account
from eth_utils.address import to_checksum_address

from registry import errors
from registry.domain.accesscodes import normalize as normalize_access_code
from registry.domain.commitments import bound_document_digest, to_hex
from registry.domain.commitments import commitment as commit
from registry.domain.numbers import NormalizedNumber
from registry.domain.numbers import normalize as normalize_number
from registry.domain.packages import (
    MANIFEST_NAME,
    SIGNATURE_NAME,
    CheckResult,
    Manifest,
    PackageSignature,
    build_package,
    check_files,
    check_manifest,
    manifest_bytes,
    manifest_for,
    parse_signature,
    read_package,
)
from registry.domain.pct import judged_offices
from registry.domain.types import Commitment, as_commitment
from registry.index.decode import decode_event, event_specs, office_code
from registry.ledger.chain import Chain
from registry.ledger.compile import load_artifact
from registry.ledger.signing import priority_document_typed_data, recover_typed_data_signer, sign_typed_data
from registry.service import LedgerAck, RegistryService
from registry.service.files import FileStore

__all__ = [
    "BIBLIOGRAPHIC_NAME",
    "CHECK_NAMES",
    "PACKAGE_MEDIA_TYPE",
    "CreatedPackage",
    "PackageVerification",
    "create_package",
    "sign_manifest",
    "verify_package",
]

PACKAGE_MEDIA_TYPE = "application/zip"
BIBLIOGRAPHIC_NAME = "biblio.xml"
#: The checks of docs/spec/packages.md#checks, in the order they are reported.
CHECK_NAMES = (
    "archiveWellFormed",
    "filesMatchManifest",
    "manifestCanonical",
    "signedByOfficeKeyAtVersion",
    "anchoredOnLedger",
    "numberMatchesCommitment",
    "isCurrentVersion",
)
_EVENTS = ("OfficeAdmitted", "OfficeKeyRotated", "FilingAnchored", "FilingAmended")


# ── building (the owner office) ──────────────────────────────────────────────────────────


@dataclass(frozen=True)
class CreatedPackage:
    """A package anchored as a new version of its application."""

    commitment: bytes
    version: int
    manifest_sha256: bytes
    package_sha256: str
    ledger: LedgerAck
    data: bytes = field(repr=False)


def sign_manifest(private_key: bytes | str, office: str, manifest: Manifest) -> PackageSignature:
    """``signature.json`` for ``manifest``, signed by ``office``'s key (docs/spec/packages.md#signature)."""
    typed = priority_document_typed_data(
        manifest.chain_id,
        manifest.contract,
        office,
        manifest.commitment,
        hashlib.sha256(manifest_bytes(manifest)).digest(),
        manifest.version,
    )
    signer = to_checksum_address(Account.from_key(private_key).address)
    return PackageSignature(signer, sign_typed_data(private_key, typed))


def create_package(
    service: RegistryService,
    office: str,
    commitment: Commitment,
    application_number: str,
    access_code: str | None,
    files: Sequence[tuple[str, str, bytes]],
    *,
    bibliographic: bytes | None = None,
    store: FileStore | None = None,
) -> CreatedPackage:
    """Build, sign and anchor the package of ``office``'s own application ``commitment``
    (docs/api.md#priority-documents).

    ``files`` = (name, media type, bytes): the application as filed; ``bibliographic`` is the ST.96 XML, kept as
    ``biblio.xml``. Without ``access_code`` the office's seed derives it. 422 ``commitmentMismatch`` when number and
    code do not give ``commitment``; 422 ``required`` for no file, an empty file or an empty ``bibliographic``;
    403/404 as :meth:`RegistryService.own_record`.
    """
    client = service.client_for(office)
    try:
        number = normalize_number(office, application_number)
    except errors.InvalidInput as exc:
        raise exc.with_target("applicationNumber") from None
    code = access_code if access_code is not None else service.derived_access_code(office, number)
    if code is None:
        raise errors.InvalidInput(
            "give the application's access code: this office derives none from a seed", code="required",
            target="accessCode",
        )  # fmt: skip
    try:
        secret = normalize_access_code(code).secret
    except errors.InvalidInput as exc:
        raise exc.with_target("accessCode") from None
    if commit(number.office, number.canonical, secret) != commitment:
        raise errors.InvalidInput(
            f"{number.display} and this access code do not give the commitment {to_hex(commitment)}",
            code="commitmentMismatch",
            target="applicationNumber",
        )
    listed = list(files)
    if bibliographic is not None:
        listed.append((BIBLIOGRAPHIC_NAME, "application/xml", bibliographic))
    if not files:
        raise errors.InvalidInput("a package carries the application as filed: give at least one file", target="file")
    # An empty part is no document (a file picker that sent nothing): refused before anything is anchored.
    empty = [name for name, _m, data in files if not data]
    if empty:
        raise errors.InvalidInput(
            f"the file {empty[0][:80]!r} is empty: a package carries the application as filed, every file with its"
            " content",
            code="required",
            target="file",
        )
    if bibliographic is not None and not bibliographic:
        raise errors.InvalidInput(
            "the bibliographic part is empty: give the ST.96 XML or leave the part out",
            code="required",
            target="bibliographic",
        )
    names = [name for name, _m, _d in listed]
    if len(set(names)) != len(names) or {MANIFEST_NAME, SIGNATURE_NAME} & set(names):
        raise errors.InvalidInput(
            "file names must differ from each other and from manifest.json and signature.json",
            code="malformedPackage",
            target="file",
        )
    built: dict[str, Manifest] = {}

    def manifest_sha256(record: Any, version: int) -> bytes:
        manifest = manifest_for(
            chain_id=service.chain.chain_id,
            contract=to_checksum_address(service.contract),
            ip_office_code=number.office,
            application_number=number.canonical,
            filing_date=record.filing_date,
            ip_right_kind=record.kind.api_name,
            commitment=commitment,
            version=version,
            files=listed,
        )
        # Refuse a bad file set (names, limits) before anything is anchored.
        build_package(manifest, {n: d for n, _m, d in listed}, PackageSignature("0x" + "00" * 20, bytes(64) + b"\x1b"))
        built["manifest"] = manifest
        return hashlib.sha256(manifest_bytes(manifest)).digest()

    record, ack = service.anchor_document_version(office, commitment, manifest_sha256)
    manifest = built["manifest"]
    signature = sign_manifest(client.account.key, office, manifest)
    data = build_package(manifest, {n: d for n, _m, d in listed}, signature)
    stored = store.put(data, media_type=PACKAGE_MEDIA_TYPE) if store is not None else hashlib.sha256(data).hexdigest()
    return CreatedPackage(
        commitment, record.version, hashlib.sha256(manifest_bytes(manifest)).digest(), stored, ack, data
    )


# ── verifying (anyone, a node alone) ─────────────────────────────────────────────────────


@dataclass(frozen=True)
class PackageVerification:
    """The answer of docs/api.md#priority-documents (``POST /v1/priority-documents/verify``) as plain data."""

    valid: bool
    checks: tuple[CheckResult, ...]
    ip_office_code: str | None
    application_number: str | None
    version: int | None
    current_version: int | None
    evidence: dict[str, Any]

    @property
    def current(self) -> bool:
        """Whether the package is the application's latest version (``isCurrentVersion``)."""
        return any(c.name == "isCurrentVersion" and c.passed for c in self.checks)


@dataclass(frozen=True)
class _Log:
    name: str
    position: tuple[int, int]  # (block, log index): chain order
    transaction_hash: str
    args: dict[str, Any]


def _read_logs(chain: Chain, contract: str, head: int, offices: Sequence[str], commitment: bytes) -> list[_Log]:
    """The key history of ``offices`` and their versions of ``commitment`` up to ``head``, in chain order.

    Two topic-filtered log queries (the events index the office, and a filing's events its commitment), so that
    the answer stays small however busy the registry is.
    """
    specs = event_specs(load_artifact()["abi"], _EVENTS)
    topic = {spec.name: key for key, spec in specs.items()}
    codes = [o.encode("ascii").ljust(32, b"\0") for o in offices]
    directory = [[topic["OfficeAdmitted"], topic["OfficeKeyRotated"]], codes]
    versions = [[topic["FilingAnchored"], topic["FilingAmended"]], codes, [commitment]]
    out: list[_Log] = []
    for log in [*_ranged_logs(chain, contract, 0, head, directory), *_ranged_logs(chain, contract, 0, head, versions)]:
        topics = [bytes(t) for t in log["topics"]]
        spec = specs.get(topics[0]) if topics else None
        if spec is None:
            continue
        try:
            args = decode_event(spec, topics, bytes(log["data"]))
        except Exception:  # noqa: S112 - a log of another shape under a known topic reads as nothing (chain data is input)
            continue
        position = (int(log["blockNumber"]), int(log["logIndex"]))
        out.append(_Log(spec.name, position, "0x" + bytes(log["transactionHash"]).hex(), args))
    out.sort(key=lambda entry: entry.position)
    return out


def _ranged_logs(chain: Chain, contract: str, start: int, end: int, topics: list[list[bytes]]) -> list[Any]:
    try:
        return chain.logs(contract, start, end, topics)
    except errors.LedgerUnavailable:
        raise
    except errors.LedgerError:
        # Nodes cap how many logs one answer may hold: halve the range, as the index does.
        if start >= end:
            raise
        middle = (start + end) // 2
        return _ranged_logs(chain, contract, start, middle, topics) + _ranged_logs(
            chain, contract, middle + 1, end, topics
        )


def _key_at(logs: Sequence[_Log], office: str, position: tuple[int, int]) -> str | None:
    """``office``'s key current just before ``position`` (the key history of the office-directory events)."""
    key: str | None = None
    for entry in logs:
        if entry.position >= position:
            break
        if office_code(bytes(entry.args.get("office", b""))) != office:
            continue
        if entry.name == "OfficeAdmitted":
            key = to_checksum_address(entry.args["signer"])
        elif entry.name == "OfficeKeyRotated":
            key = to_checksum_address(entry.args["newSigner"])
    return key


def _version_log(logs: Sequence[_Log], office: str, commitment: bytes, version: int) -> _Log | None:
    """The log that made ``version`` of ``office``'s application ``commitment`` (an amendment; version 1: the
    anchoring of a stored record)."""
    for entry in logs:
        if office_code(bytes(entry.args.get("office", b""))) != office:
            continue
        if bytes(entry.args.get("commitment", b"")) != commitment:
            continue
        if entry.name == "FilingAmended" and int(entry.args["version"]) == version:
            return entry
        if entry.name == "FilingAnchored" and version == 1:
            return entry
    return None


def verify_package(
    chain: Chain, contract: str | None, data: bytes, access_code: str | None = None
) -> PackageVerification:
    """Check a package against the ledger (docs/spec/packages.md#checks).

    ``contract``: the deployment the caller trusts (a gateway's own); ``None`` takes the one the manifest names (the
    CLI with only a node's URL). Raises :class:`~registry.errors.MalformedPackage` when the archive breaks the
    container rules (``archiveWellFormed``: the package is refused unread) and
    :class:`~registry.errors.LedgerUnavailable` when the node does not answer; every other failure is a check that
    does not pass. ``valid`` is every check but ``isCurrentVersion`` passing.
    """
    package = read_package(data)
    checks: dict[str, CheckResult] = {"archiveWellFormed": CheckResult("archiveWellFormed", True, _WELL_FORMED)}
    evidence: dict[str, Any] = {}
    raw_manifest = package.entries.get(MANIFEST_NAME)
    manifest: Manifest | None = None
    if raw_manifest is None:
        checks["manifestCanonical"] = CheckResult("manifestCanonical", False, "the archive has no manifest.json")
    else:
        checks["manifestCanonical"], manifest = check_manifest(raw_manifest)
    if manifest is None:
        reason = "not checked: the manifest cannot be read"
        for name in CHECK_NAMES:
            checks.setdefault(name, CheckResult(name, False, reason))
        if access_code is None:
            checks.pop("numberMatchesCommitment")
        return _answer(checks, None, None, evidence)
    assert raw_manifest is not None
    checks["filesMatchManifest"] = check_files(manifest, package.entries)
    manifest_sha256 = hashlib.sha256(raw_manifest).digest()
    evidence.update(
        {
            "chainId": manifest.chain_id,
            "contract": manifest.contract,
            "commitment": to_hex(as_commitment(manifest.commitment)),
            "manifestSha256": "0x" + manifest_sha256.hex(),
        }
    )
    if access_code is not None:
        checks["numberMatchesCommitment"] = _number_check(manifest, access_code)
    ledger = _ledger_checks(chain, contract, manifest, manifest_sha256, package.entries.get(SIGNATURE_NAME), evidence)
    checks.update(ledger)
    return _answer(checks, manifest, evidence.pop("_current", None), evidence)


_WELL_FORMED = "the archive follows the container rules (stored, sorted, named, within the limits)"


def _answer(
    checks: dict[str, CheckResult], manifest: Manifest | None, current: int | None, evidence: dict[str, Any]
) -> PackageVerification:
    ordered = tuple(checks[name] for name in CHECK_NAMES if name in checks)
    valid = all(c.passed for c in ordered if c.name != "isCurrentVersion")
    return PackageVerification(
        valid=valid,
        checks=ordered,
        ip_office_code=manifest.ip_office_code if manifest else None,
        application_number=manifest.application_number if manifest else None,
        version=manifest.version if manifest else None,
        current_version=current,
        evidence=evidence,
    )


def _number_check(manifest: Manifest, access_code: str) -> CheckResult:
    name = "numberMatchesCommitment"
    try:
        number = normalize_number(manifest.ip_office_code, manifest.application_number)
        secret = normalize_access_code(access_code).secret
    except errors.InvalidInput as exc:
        return CheckResult(name, False, exc.message)
    if number.canonical != manifest.application_number:
        return CheckResult(name, False, f"the manifest's number is not canonical ({number.canonical})")
    if commit(number.office, number.canonical, secret) != manifest.commitment:
        return CheckResult(name, False, f"{number.display} and this access code do not give the manifest's commitment")
    return CheckResult(name, True, f"{number.display} and the access code give the commitment")


def _ledger_checks(
    chain: Chain,
    contract: str | None,
    manifest: Manifest,
    manifest_sha256: bytes,
    raw_signature: bytes | None,
    evidence: dict[str, Any],
) -> dict[str, CheckResult]:
    sign, anchored, current = "signedByOfficeKeyAtVersion", "anchoredOnLedger", "isCurrentVersion"

    def all_fail(reason: str) -> dict[str, CheckResult]:
        return {n: CheckResult(n, False, reason) for n in (sign, anchored, current)}

    chain_id = chain.chain_id
    if chain_id != manifest.chain_id:
        return all_fail(f"the manifest names chain {manifest.chain_id}; this node is chain {chain_id}")
    if contract is not None and to_checksum_address(contract) != to_checksum_address(manifest.contract):
        return all_fail(f"the manifest names contract {manifest.contract}; this registry is {contract}")
    address = to_checksum_address(manifest.contract)
    if not chain.code_at(address):
        return all_fail(f"no contract is deployed at {address} on chain {chain_id}")
    try:
        number: NormalizedNumber | None = normalize_number(manifest.ip_office_code, manifest.application_number)
    except errors.InvalidInput:
        number = None
    offices = judged_offices(number) if number is not None else (manifest.ip_office_code,)
    head = chain.block_number()
    evidence["blockNumber"] = head
    logs = _read_logs(chain, address, head, offices, manifest.commitment)
    binding = bound_document_digest(as_commitment(manifest.commitment), manifest_sha256)
    evidence["documentDigest"] = "0x" + binding.hex()
    found = [(o, e) for o in offices if (e := _version_log(logs, o, manifest.commitment, manifest.version))]
    out: dict[str, CheckResult] = {}
    if not found:
        return all_fail(
            f"version {manifest.version} of {to_hex(as_commitment(manifest.commitment))} is not on the ledger"
            f" (offices {', '.join(offices)})"
        )
    match = next(((o, e) for o, e in found if bytes(e.args["documentDigest"]) == binding), None)
    office, version_log = match or found[0]
    evidence.update(
        {
            "anchoringOffice": office,
            "versionBlockNumber": version_log.position[0],
            "versionTransactionHash": version_log.transaction_hash,
        }
    )
    if match is None:
        out[anchored] = CheckResult(
            anchored, False, f"version {manifest.version} on chain holds another document digest than this manifest's"
        )
    else:
        out[anchored] = CheckResult(
            anchored,
            True,
            f"version {manifest.version} of {office}'s record holds the manifest's digest"
            f" (block {version_log.position[0]})",
        )
    out[sign] = _signature_check(manifest, manifest_sha256, raw_signature, office, logs, version_log, evidence)
    root = bytes(version_log.args.get("batchRoot", bytes(32)))
    contract_obj = chain.registry_contract(address)
    latest = int(
        chain.query(lambda: contract_obj.functions.versionOf(office.encode(), root, manifest.commitment).call())
    )
    evidence["_current"] = latest
    if latest == manifest.version:
        out[current] = CheckResult(current, True, f"version {latest} is the application's latest version")
    else:
        out[current] = CheckResult(
            current, False, f"the application is at version {latest}; this package is version {manifest.version}"
        )
    return out


def _signature_check(
    manifest: Manifest,
    manifest_sha256: bytes,
    raw_signature: bytes | None,
    office: str,
    logs: Sequence[_Log],
    version_log: _Log,
    evidence: dict[str, Any],
) -> CheckResult:
    name = "signedByOfficeKeyAtVersion"
    if raw_signature is None:
        return CheckResult(name, False, "the archive has no signature.json")
    try:
        signature = parse_signature(raw_signature)
    except ValueError as exc:
        return CheckResult(name, False, str(exc))
    typed = priority_document_typed_data(
        manifest.chain_id, manifest.contract, office, manifest.commitment, manifest_sha256, manifest.version
    )
    recovered = recover_typed_data_signer(typed, signature.signature)
    key = _key_at(logs, office, version_log.position)
    evidence["signer"] = recovered
    evidence["officeKeyAtVersion"] = key
    if recovered is None or recovered != to_checksum_address(signature.signer):
        return CheckResult(name, False, f"the signature is not {signature.signer}'s over this manifest and version")
    if key is None:
        return CheckResult(name, False, f"{office} had no key when version {manifest.version} was anchored")
    if recovered != key:
        return CheckResult(
            name,
            False,
            f"signed by {recovered}, but {office}'s key when version {manifest.version} was anchored was {key}",
        )
    return CheckResult(name, True, f"signed by {key}, {office}'s key when version {manifest.version} was anchored")
