"""The one exception tree of the registry.

Every failure a caller can act on is a :class:`RegistryError`, and every class of the tree lives in
this module (docs/design.md#how-the-code-is-written: "one exception tree, all of it in ``errors.py``"); modules that
raise one (``registry.ledger.embedded``, ``registry.ledger.compile``, ``api.deps``) import it from here.

Classes also subclass the builtin that says what kind of failure they are (the web3.py habit:
``Web3ValueError(Web3Exception, ValueError)``), so generic code that catches ``ValueError`` or
``LookupError`` keeps working: bad input and unreadable files are :class:`ValueError`, things not
there are :class:`LookupError`, a toolchain that fails is :class:`RuntimeError`. None subclasses
an :class:`OSError` (``PermissionError``, ``ConnectionError``, ``TimeoutError``): the file-handling
code of the registry catches ``OSError``, and must never swallow a refusal or a ledger failure.

A contract revert (``PriorityRegistryXxx(values)`` of ``contracts/IPriorityRegistry.sol``) becomes
the class that names it (:mod:`registry.ledger.reverts` holds the table), carrying the error's
arguments as typed attributes (``UnknownOffice(...).office == "XY"``). Where a revert is a kind of a
broader refusal it subclasses that one (``UnknownOffice`` is an ``OfficeNotActive``), so
``except OfficeNotActive`` still catches both. Which HTTP status each class is answered with is
decided in one table, ``api.errors.STATUS``; a test walks this tree and checks that every class
has its row.

::

    RegistryError
    ├── InvalidInput (ValueError)          code, message, target — API: 422 INVALID_INPUT_DATA
    │   ├── InvalidOfficeCode
    │   ├── InvalidApplicationNumber       code ∈ checkDigitMismatch, unknownSeries, badLength,
    │   │                                   notAnApplicationNumber, ambiguousNumber, badFormat,
    │   │                                   legacyForm (a database form that dropped part of the
    │   │                                   number, e.g. DOCDB's old US serial + year), …
    │   ├── InvalidAccessCode               code ∈ checkCharacterMismatch, badLength, badCharacter
    │   ├── InvalidDate
    │   ├── InvalidClaim                    code ∈ duplicateClaim, selfClaim, claimCycle, …
    │   ├── MalformedPackage                code malformedPackage: the check archiveWellFormed
    │   ├── ReportBeforeFiling              code reportBeforeFiling: a report dated before its application's filing
    │   └── JsonTooLarge                    API: 413 PAYLOAD_TOO_LARGE (a body over the limit)
    ├── Unauthenticated                    API: 401 UNAUTHENTICATED (no or a bad office token)
    ├── Forbidden                          API: 403 FORBIDDEN (refused before the ledger)
    ├── NotFound (LookupError)             API: 404 NOT_FOUND
    │   └── GatewayRequestRefused          a signed request between gateways refused (the same 404)
    ├── KeyStoreError                      API: 500 INTERNAL_ERROR, detail keyStoreUnavailable
    │   ├── WrongPassphrase (ValueError)
    │   └── KeyNotFound (LookupError)
    ├── LedgerError                        API: 502 LEDGER_ERROR
    │   ├── LedgerUnavailable              API: 503 LEDGER_UNAVAILABLE (nothing was written)
    │   │   └── OwnerNeeded                a gateway's read worker cannot answer alone: its owner process must
    │   ├── TransactionFailed              mined with status 0, reason unknown
    │   └── ContractRevert                 a decoded custom error: ``name`` and ``args``
    │       ├── AlreadyAnchored            API: 409 CONFLICT
    │       │   ├── BatchAlreadyAnchored
    │       │   └── ReportAlreadyAnchored
    │       ├── AlreadyPublished           API: 409 CONFLICT
    │       ├── NotAnchored                API: 404 NOT_FOUND
    │       ├── NotOfficeSigner            API: 403 FORBIDDEN
    │       ├── OfficeNotActive            API: 403 FORBIDDEN
    │       │   └── UnknownOffice
    │       ├── Unauthorized               API: 403 FORBIDDEN
    │       │   ├── OfficeMismatch
    │       │   └── MissingRole            (OpenZeppelin AccessControlUnauthorizedAccount)
    │       ├── InvalidSignature
    │       ├── SignatureExpired
    │       ├── InvalidNonce               (OpenZeppelin InvalidAccountNonce)
    │       ├── InvalidProof
    │       │   ├── UnknownBatch
    │       │   └── CommitmentMismatch
    │       ├── OfficeCodeRefused          (the contract's InvalidOfficeCode)
    │       ├── OfficeAlreadyAdmitted
    │       ├── OfficeActive
    │       ├── InvalidSigner
    │       ├── InvalidKind
    │       ├── ImplausibleDate            (the contract's InvalidDate)
    │       ├── MalformedEntries
    │       ├── EmptyBatch
    │       ├── SelfClaim
    │       ├── TooManyClaims
    │       ├── InvalidReportKind
    │       ├── ProposalNotPending
    │       ├── ProposalNotReady
    │       └── InvalidVote
    ├── IndexInconsistent (RuntimeError)   the read model disagrees with the chain
    ├── JournalCorrupt (ValueError)        the embedded chain's journal has a bad record
    ├── SnapshotCorrupt (ValueError)       a snapshot of the embedded chain is unreadable
    ├── CompileError (RuntimeError)        the contracts do not compile, or no solc is found
    ├── StateDirLocked                     another process writes this state directory (CLI: exit 2)
    ├── BackupError                        a backup is incomplete or altered, or cannot be restored
    ├── MalformedEvidence (ValueError)     a saved verification is no answer with evidence (check-evidence: exit 2)
    └── HolderUnavailable                  API: 503 HOLDER_UNAVAILABLE (another gateway unreachable)

Every status not named above is the API's 500 ``INTERNAL_ERROR`` (never with a stack trace).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

__all__ = [
    "AlreadyAnchored",
    "AlreadyPublished",
    "BackupError",
    "BatchAlreadyAnchored",
    "CommitmentMismatch",
    "CompileError",
    "ContractRevert",
    "EmptyBatch",
    "Forbidden",
    "GatewayRequestRefused",
    "HolderUnavailable",
    "ImplausibleDate",
    "IndexInconsistent",
    "InvalidAccessCode",
    "InvalidApplicationNumber",
    "InvalidClaim",
    "InvalidDate",
    "InvalidInput",
    "InvalidKind",
    "InvalidNonce",
    "InvalidOfficeCode",
    "InvalidProof",
    "InvalidReportKind",
    "InvalidSignature",
    "InvalidSigner",
    "InvalidVote",
    "JournalCorrupt",
    "JsonTooLarge",
    "KeyNotFound",
    "KeyStoreError",
    "LedgerError",
    "LedgerUnavailable",
    "MalformedEntries",
    "MalformedEvidence",
    "MalformedPackage",
    "MissingRole",
    "NotAnchored",
    "NotFound",
    "NotOfficeSigner",
    "OfficeActive",
    "OfficeAlreadyAdmitted",
    "OfficeCodeRefused",
    "OfficeMismatch",
    "OfficeNotActive",
    "OwnerNeeded",
    "ProposalNotPending",
    "ProposalNotReady",
    "RegistryError",
    "ReportAlreadyAnchored",
    "ReportBeforeFiling",
    "SelfClaim",
    "SignatureExpired",
    "SnapshotCorrupt",
    "StateDirLocked",
    "TooManyClaims",
    "TransactionFailed",
    "Unauthenticated",
    "Unauthorized",
    "UnknownBatch",
    "UnknownOffice",
    "WrongPassphrase",
]

_T = TypeVar("_T")


class RegistryError(Exception):
    """Raised when the registry fails in a way a caller can act on: the root of the tree, also raised
    as itself for a failure no subclass names."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# ── input ────────────────────────────────────────────────────────────────────────────────────


class InvalidInput(RegistryError, ValueError):
    """Raised when input is malformed; ``code`` names the reason (lowerCamelCase, docs/api.md#error-detail-codes
    details)."""

    default_code = "invalidInput"

    def __init__(self, message: str, *, code: str | None = None, target: str | None = None) -> None:
        super().__init__(message)
        self.code = code or self.default_code
        self.target = target

    def with_target(self, target: str) -> InvalidInput:
        """Return the same error located at ``target`` (a JSON path such as ``priority.applicationNumber``)."""
        self.target = target
        return self


class InvalidOfficeCode(InvalidInput):
    """Raised when a string is not a valid, non-reserved WIPO ST.3 office code."""

    default_code = "invalidOfficeCode"


class InvalidApplicationNumber(InvalidInput):
    """Raised when an application number cannot be read as one canonical number of its office."""

    default_code = "badFormat"


class InvalidAccessCode(InvalidInput):
    """Raised when an access code is malformed or its check character does not match."""

    default_code = "badFormat"


class InvalidDate(InvalidInput):
    """Raised when a date is not a real calendar date or is out of the range the ledger encodes."""

    default_code = "invalidDate"


class InvalidClaim(InvalidInput):
    """Raised when a set of priority claims is inconsistent (duplicate, self-claim, cycle)."""

    default_code = "invalidClaim"


class MalformedPackage(InvalidInput):
    """Raised when a priority-document package breaks the container rules (docs/spec/packages.md#container): the
    check ``archiveWellFormed`` fails and the package is refused unread (API: 422)."""

    default_code = "malformedPackage"


class ReportBeforeFiling(InvalidInput):
    """Raised when a search or examination report is dated (``issued``) before the filing date of the application it
    reports on (R15): nothing is kept or anchored (API: 422)."""

    default_code = "reportBeforeFiling"


class JsonTooLarge(InvalidInput):
    """Raised when a JSON document is larger than its limit's ``max_bytes`` (registry.domain.bounded_json; API: 413)."""

    default_code = "bodyTooLarge"


# ── who may ask ──────────────────────────────────────────────────────────────────────────────


class Unauthenticated(RegistryError):
    """Raised when a write comes without a valid office token (docs/api.md#errors: 401 ``UNAUTHENTICATED``)."""


class Forbidden(RegistryError):
    """Raised when a caller asks to act for an office it does not hold (checked before the ledger)."""


class NotFound(RegistryError, LookupError):
    """Raised when a record asked for is not on the ledger (or not visible with the given secret)."""


# ── office keys ──────────────────────────────────────────────────────────────────────────────


class KeyStoreError(RegistryError):
    """Raised when an office key cannot be created, read or decrypted (registry.ops.keys).

    The message may name a file, never a key or a passphrase; the API answers with a fixed sentence
    (a gateway's operator reads the real one in its log).
    """


class WrongPassphrase(KeyStoreError, ValueError):
    """Raised when the passphrase does not decrypt an office key."""


class KeyNotFound(KeyStoreError, LookupError):
    """Raised when no key file exists for the requested office."""


# ── the ledger ───────────────────────────────────────────────────────────────────────────────


class LedgerError(RegistryError):
    """Raised when a ledger operation did not take effect."""


class LedgerUnavailable(LedgerError):
    """Raised when the node cannot be reached or does not answer; nothing was written."""


class OwnerNeeded(LedgerUnavailable):
    """Raised when a read worker of ``prioreg serve --workers N`` needs what only the process owning the chain has.

    The worker hands the request to that process instead (:mod:`api.forwarding`); answered as is,
    it is a 503 ``LEDGER_UNAVAILABLE``: nothing was written.
    """


class TransactionFailed(LedgerError):
    """Raised when a transaction was mined with status 0 and no decodable reason."""

    def __init__(self, message: str, *, transaction_hash: str | None = None) -> None:
        super().__init__(message)
        self.transaction_hash = transaction_hash


class ContractRevert(LedgerError):
    """Raised when the contract reverted with a custom error; ``name`` and ``args`` carry it.

    A custom error with a class of its own (the subclasses below) exposes its arguments as typed
    attributes too; a plain ``ContractRevert`` is an ``Error(string)`` (``args["reason"]``) or an
    error of a library contract that names nothing the registry acts on.
    """

    def __init__(
        self, name: str, args: dict[str, Any], message: str | None = None, *, target: str | None = None
    ) -> None:
        super().__init__(message or f"the ledger refused the transaction: {name}({_fmt(args)})")
        self.name = name
        self.error_args = args
        #: The input the refusal is about (``filings[3]``), when the gateway refused it before the ledger.
        self.target = target


def _office(value: Any) -> str:
    # An ST.3 office code travels as bytes2; people (and the rest of the registry) read letters.
    return value.decode("ascii") if isinstance(value, bytes) else str(value)


def _address(value: Any) -> str:
    # eth-abi decodes an address in lowercase; the registry shows EIP-55 checksummed addresses.
    from eth_utils.address import to_checksum_address

    return str(to_checksum_address(value))


def _bytes(value: Any) -> bytes:
    return bytes(value)


class _Arg(Generic[_T]):
    """One argument of a contract error, read by its ABI name from ``error_args``.

    Absent (``AttributeError``) when the revert data could not be decoded: the error then still
    names what happened, but not with which values.
    """

    def __init__(self, abi_name: str, convert: Callable[[Any], _T]) -> None:
        self.abi_name = abi_name
        self._convert = convert

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self._attr = name

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> _Arg[_T]: ...

    @overload
    def __get__(self, obj: ContractRevert, owner: type[Any]) -> _T: ...

    def __get__(self, obj: ContractRevert | None, owner: type[Any]) -> _T | _Arg[_T]:
        if obj is None:
            return self
        if self.abi_name not in obj.error_args:
            raise AttributeError(f"{obj.name} carries no {self.abi_name} (its revert data could not be decoded)")
        return self._convert(obj.error_args[self.abi_name])


class AlreadyAnchored(ContractRevert):
    """Raised when ``office`` already holds a record of ``commitment``: first write wins (409)."""

    office = _Arg("office", _office)
    commitment = _Arg("commitment", _bytes)


class BatchAlreadyAnchored(AlreadyAnchored):
    """Raised when ``office`` already anchored a batch with this Merkle ``root``."""

    root = _Arg("root", _bytes)


class ReportAlreadyAnchored(AlreadyAnchored):
    """Raised when ``office`` already anchored a search or examination report with this ``report_digest``."""

    report_digest = _Arg("reportDigest", _bytes)


class AlreadyPublished(ContractRevert):
    """Raised when an application's number (``commitment``) was already revealed on the ledger."""

    commitment = _Arg("commitment", _bytes)


class NotAnchored(ContractRevert):
    """Raised when ``office`` holds no record of the ``commitment`` an operation names."""

    office = _Arg("office", _office)
    commitment = _Arg("commitment", _bytes)


class NotOfficeSigner(ContractRevert):
    """Raised when the sender or signer (``account``) is not the current key of an admitted office."""

    account = _Arg("account", _address)


class OfficeNotActive(ContractRevert):
    """Raised when ``office`` is suspended (or was never admitted: :class:`UnknownOffice`)."""

    office = _Arg("office", _office)


class UnknownOffice(OfficeNotActive):
    """Raised when ``office`` was never admitted to the directory."""


class Unauthorized(ContractRevert):
    """Raised when the caller (``account``) lacks the role the action needs or acts for another ``office``."""

    account = _Arg("account", _address)
    office = _Arg("office", _office)


class OfficeMismatch(Unauthorized):
    """Raised when a number's office (``number_office``) is neither the anchoring ``record_office`` nor ``WO``."""

    number_office = _Arg("numberOffice", _office)
    record_office = _Arg("recordOffice", _office)


class MissingRole(Unauthorized):
    """Raised when ``account`` lacks the OpenZeppelin role ``needed_role`` (e.g. the registrar's)."""

    needed_role = _Arg("neededRole", _bytes)


class InvalidSignature(ContractRevert):
    """Raised when a relayed entry's signature recovers to ``recovered``, not ``office``'s current key."""

    office = _Arg("office", _office)
    recovered = _Arg("recovered", _address)


class SignatureExpired(ContractRevert):
    """Raised when a relayed entry arrives after its ``deadline`` (Unix seconds)."""

    deadline = _Arg("deadline", int)


class InvalidNonce(ContractRevert):
    """Raised when a relayed entry's nonce is not ``account``'s ``current_nonce`` (a replay, or out of order)."""

    account = _Arg("account", _address)
    current_nonce = _Arg("currentNonce", int)


class InvalidProof(ContractRevert):
    """Raised when a Merkle inclusion proof does not place ``commitment``'s entry under ``root``."""

    root = _Arg("root", _bytes)
    commitment = _Arg("commitment", _bytes)


class UnknownBatch(InvalidProof):
    """Raised when ``office`` anchored no batch with the ``root`` a proof leads to."""

    office = _Arg("office", _office)


class CommitmentMismatch(InvalidProof):
    """Raised when a revealed number and access secret hash to ``computed``, not to ``commitment``."""

    computed = _Arg("computed", _bytes)


class OfficeCodeRefused(ContractRevert):
    """Raised when the ledger refuses ``office`` as an office code (zero; the contract's InvalidOfficeCode)."""

    office = _Arg("office", _office)


class OfficeAlreadyAdmitted(ContractRevert):
    """Raised when ``office`` is admitted a second time."""

    office = _Arg("office", _office)


class OfficeActive(ContractRevert):
    """Raised when ``office`` is reinstated while it is active (only a suspended office can be)."""

    office = _Arg("office", _office)


class InvalidSigner(ContractRevert):
    """Raised when ``signer`` cannot be ``office``'s key (zero, or already an office's key)."""

    signer = _Arg("signer", _address)
    office = _Arg("office", _office)


class InvalidKind(ContractRevert):
    """Raised when ``kind`` is not a kind of right the ledger knows (1–4)."""

    kind = _Arg("kind", int)


class ImplausibleDate(ContractRevert):
    """Raised when the ledger refuses a ``date`` (days since 1970) of zero or after the block's day + 1."""

    date = _Arg("date", int)


class MalformedEntries(ContractRevert):
    """Raised when ``length`` bytes of batch entries cannot hold the ``count`` entries they announce."""

    count = _Arg("count", int)
    length = _Arg("length", int)


class EmptyBatch(ContractRevert):
    """Raised when a batch carries no entry."""


class SelfClaim(ContractRevert):
    """Raised when the filing ``commitment`` claims itself."""

    commitment = _Arg("commitment", _bytes)


class TooManyClaims(ContractRevert):
    """Raised when an entry carries ``count`` priority claims, more than the 127 it can hold."""

    count = _Arg("count", int)


class InvalidReportKind(ContractRevert):
    """Raised when ``kind`` is not a kind of report the ledger knows (1–5)."""

    kind = _Arg("kind", int)


class ProposalNotPending(ContractRevert):
    """Raised when governance proposal ``proposal_id`` does not exist or is no longer pending."""

    proposal_id = _Arg("id", int)


class ProposalNotReady(ContractRevert):
    """Raised when proposal ``proposal_id`` runs before ``eta``, or lacks the consent a key rotation needs."""

    proposal_id = _Arg("id", int)
    eta = _Arg("eta", int)


class InvalidVote(ContractRevert):
    """Raised when office ``voter`` may not vote on proposal ``proposal_id``, or already voted this way."""

    proposal_id = _Arg("id", int)
    voter = _Arg("voter", _office)


def _fmt(args: dict[str, Any]) -> str:
    def one(v: Any) -> str:
        if isinstance(v, bytes):
            # An ST.3 office code travels as bytes2: show it as the letters people know.
            if len(v) == 2 and v.isalpha():
                return v.decode()
            return "0x" + v.hex()
        return repr(v)

    return ", ".join(f"{k}={one(v)}" for k, v in args.items())


# ── local state ──────────────────────────────────────────────────────────────────────────────


class IndexInconsistent(RegistryError, RuntimeError):
    """Raised when the read model cannot be reconciled with the chain it follows."""


class JournalCorrupt(RegistryError, ValueError):
    """Raised when the chain journal has a corrupt record (or a bad header); it is never silently used.

    ``offset`` is where the bad record starts; ``record`` its number (1 = the first record after
    the header; 0 for a bad header); ``kept`` how many records before it are good.
    """

    def __init__(self, message: str, *, offset: int, record: int = 0) -> None:
        super().__init__(message)
        self.offset = offset
        self.record = record

    @property
    def kept(self) -> int:
        """The records before the bad one: what ``prioreg state check --repair`` keeps."""
        return max(self.record - 1, 0)


class SnapshotCorrupt(RegistryError, ValueError):
    """Raised when a snapshot file is unreadable, truncated or fails its checksum."""


class CompileError(RegistryError, RuntimeError):
    """Raised when the contracts do not compile or no compiler can be found."""


class StateDirLocked(RegistryError):
    """Raised when another process holds a state directory's writer lock (registry.ops.lock); ``pid`` names it."""

    def __init__(self, message: str, *, pid: int | None) -> None:
        super().__init__(message)
        self.pid = pid


class MalformedEvidence(RegistryError, ValueError):
    """Raised when a file given to ``prioreg check-evidence`` is not a verify answer with evidence (exit 2)."""


class BackupError(RegistryError):
    """Raised when a state directory cannot be backed up or restored: a backup that is incomplete or
    altered, a target that is not empty, a journal that needs ``prioreg state check`` first."""


# ── between gateways (issue 15, docs/spec/between-gateways.md) ─────────────────────────────────────────────


class GatewayRequestRefused(NotFound):
    """Raised when a signed request from another office's gateway is refused — expired, too far
    ahead, replayed, badly signed, not signed by the current key of an active office, or for
    something the office has no right to (registry.service.gateway_requests). The message is the
    route's own "not found" sentence, so the answer is the same 404 as an unknown id, byte for
    byte; ``reason`` says why, for the log only."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class HolderUnavailable(RegistryError):
    """Raised when another office's gateway cannot be reached, has no endpoint in the on-chain
    directory, redirects, or answers with something that fails its limits or checks (API: 503
    ``HOLDER_UNAVAILABLE``, with ``Retry-After`` of :attr:`retry_after` seconds)."""

    retry_after = 30
