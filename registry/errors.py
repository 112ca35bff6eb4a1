"""The one exception tree of the registry.

Every failure a caller can act on is a :class:`RegistryError`. Classes that describe bad input
also subclass :class:`ValueError` (the web3.py habit: ``Web3ValueError(Web3Exception, ValueError)``),
so generic code that catches ``ValueError`` keeps working.

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
    │   └── InvalidClaim                    code ∈ duplicateClaim, selfClaim, claimCycle, …
    ├── KeyStoreError
    │   ├── WrongPassphrase
    │   └── KeyNotFound
    ├── Forbidden                          API: 403 FORBIDDEN (refused before the ledger)
    ├── NotFound                           API: 404 NOT_FOUND
    ├── LedgerError
    │   ├── LedgerUnavailable              API: 503 LEDGER_UNAVAILABLE (nothing was written)
    │   ├── TransactionFailed              mined with status 0, reason unknown
    │   └── ContractRevert                 a decoded custom error: ``name`` and ``args``
    │       ├── AlreadyAnchored            API: 409 CONFLICT
    │       ├── NotOfficeSigner            API: 403 FORBIDDEN
    │       ├── OfficeNotActive            API: 403 FORBIDDEN
    │       ├── Unauthorized               API: 403 FORBIDDEN
    │       ├── InvalidSignature
    │       ├── SignatureExpired
    │       └── InvalidProof
    ├── IndexInconsistent                  the read model disagrees with the chain
    └── StateDirLocked                     another process writes this state directory (CLI: exit 2)
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AlreadyAnchored",
    "AlreadyPublished",
    "BackupError",
    "ContractRevert",
    "Forbidden",
    "IndexInconsistent",
    "InvalidAccessCode",
    "InvalidApplicationNumber",
    "InvalidClaim",
    "InvalidDate",
    "InvalidInput",
    "InvalidOfficeCode",
    "InvalidProof",
    "InvalidSignature",
    "KeyNotFound",
    "KeyStoreError",
    "LedgerError",
    "LedgerUnavailable",
    "NotAnchored",
    "NotFound",
    "NotOfficeSigner",
    "OfficeNotActive",
    "RegistryError",
    "SignatureExpired",
    "StateDirLocked",
    "TransactionFailed",
    "Unauthorized",
    "WrongPassphrase",
]


class RegistryError(Exception):
    """Raised for every failure of the registry that a caller can act on."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(RegistryError, ValueError):
    """Raised when input is malformed; ``code`` names the reason (lowerCamelCase, API.md details)."""

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


class KeyStoreError(RegistryError):
    """Raised when an office key cannot be created, read or decrypted."""


class WrongPassphrase(KeyStoreError):
    """Raised when the passphrase does not decrypt an office key."""


class KeyNotFound(KeyStoreError):
    """Raised when no key file exists for the requested office."""


class NotFound(RegistryError):
    """Raised when a record asked for is not on the ledger (or not visible with the given secret)."""


class IndexInconsistent(RegistryError):
    """Raised when the read model cannot be reconciled with the chain it follows."""


class LedgerError(RegistryError):
    """Raised when a ledger operation did not take effect."""


class LedgerUnavailable(LedgerError):
    """Raised when the node cannot be reached or does not answer; nothing was written."""


class TransactionFailed(LedgerError):
    """Raised when a transaction was mined with status 0 and no decodable reason."""

    def __init__(self, message: str, *, transaction_hash: str | None = None) -> None:
        super().__init__(message)
        self.transaction_hash = transaction_hash


class ContractRevert(LedgerError):
    """Raised when the contract reverted with a custom error; ``name`` and ``args`` carry it."""

    def __init__(
        self, name: str, args: dict[str, Any], message: str | None = None, *, target: str | None = None
    ) -> None:
        super().__init__(message or f"the ledger refused the transaction: {name}({_fmt(args)})")
        self.name = name
        self.error_args = args
        #: The input the refusal is about (``filings[3]``), when the gateway refused it before the ledger.
        self.target = target


class AlreadyAnchored(ContractRevert):
    """Raised when a commitment (or batch root) is already on the ledger: first write wins."""


class NotOfficeSigner(ContractRevert):
    """Raised when the sender or signer is not the current key of an admitted office."""


class OfficeNotActive(ContractRevert):
    """Raised when the office is suspended or was never admitted."""


class Unauthorized(ContractRevert):
    """Raised when the caller lacks the role the action needs (e.g. registrar) or acts for another office."""


class InvalidSignature(ContractRevert):
    """Raised when a relayed entry's signature does not come from the office's current key."""


class SignatureExpired(ContractRevert):
    """Raised when a relayed entry arrives after its deadline."""


class InvalidProof(ContractRevert):
    """Raised when a Merkle inclusion proof does not lead to the stored batch root."""


def _fmt(args: dict[str, Any]) -> str:
    def one(v: Any) -> str:
        if isinstance(v, bytes):
            # An ST.3 office code travels as bytes2: show it as the letters people know.
            if len(v) == 2 and v.isalpha():
                return v.decode()
            return "0x" + v.hex()
        return repr(v)

    return ", ".join(f"{k}={one(v)}" for k, v in args.items())


class AlreadyPublished(ContractRevert):
    """Raised when an application's number was already revealed on the ledger."""


class NotAnchored(ContractRevert):
    """Raised when the ledger holds no record for the commitment an operation names."""


class Forbidden(RegistryError):
    """Raised when a caller asks to act for an office it does not hold (checked before the ledger)."""


class StateDirLocked(RegistryError):
    """Raised when another process holds a state directory's writer lock (registry.ops.lock); ``pid`` names it."""

    def __init__(self, message: str, *, pid: int | None) -> None:
        super().__init__(message)
        self.pid = pid


class BackupError(RegistryError):
    """Raised when a state directory cannot be backed up or restored: a backup that is incomplete or
    altered, a target that is not empty, a journal that needs ``prioreg state check`` first."""


# ── between gateways (issue 15, SPEC.md §7) ─────────────────────────────────────────────


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
