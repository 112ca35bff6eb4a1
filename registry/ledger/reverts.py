"""Contract reverts decoded into the typed errors of :mod:`registry.errors`.

A custom error of ``contracts/IPriorityRegistry.sol`` (``PriorityRegistryXxx(values)``) becomes the
:class:`registry.errors.ContractRevert` subclass that names what happened, carrying the error's
arguments by name; ``Error(string)`` keeps its reason; anything else is a
:class:`registry.errors.TransactionFailed`. One table, one home: the transports only find the revert
data in whatever their node raised (:func:`revert_data`).
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_utils.crypto import keccak
from hexbytes import HexBytes

from registry import errors
from registry.ledger.compile import load_artifact

__all__ = ["ERROR_CLASSES", "decode_revert", "revert_data"]

#: Every custom error of the contract (and of the OpenZeppelin contracts it uses) → the class that
#: names it. Not listed, and so a plain ContractRevert: OpenZeppelin's AccessControlBadConfirmation,
#: InvalidShortString and StringTooLong, which no registry operation can provoke.
ERROR_CLASSES: dict[str, type[errors.ContractRevert]] = {
    "PriorityRegistryInvalidOfficeCode": errors.OfficeCodeRefused,
    "PriorityRegistryOfficeAlreadyAdmitted": errors.OfficeAlreadyAdmitted,
    "PriorityRegistryUnknownOffice": errors.UnknownOffice,
    "PriorityRegistryOfficeNotActive": errors.OfficeNotActive,
    "PriorityRegistryOfficeActive": errors.OfficeActive,
    "PriorityRegistryInvalidSigner": errors.InvalidSigner,
    "PriorityRegistryNotOfficeSigner": errors.NotOfficeSigner,
    "PriorityRegistryUnauthorized": errors.Unauthorized,
    "PriorityRegistryAlreadyAnchored": errors.AlreadyAnchored,
    "PriorityRegistryBatchAlreadyAnchored": errors.BatchAlreadyAnchored,
    "PriorityRegistryNotAnchored": errors.NotAnchored,
    "PriorityRegistryUnknownBatch": errors.UnknownBatch,
    "PriorityRegistryInvalidProof": errors.InvalidProof,
    "PriorityRegistryInvalidKind": errors.InvalidKind,
    "PriorityRegistryInvalidDate": errors.ImplausibleDate,
    "PriorityRegistryMalformedEntries": errors.MalformedEntries,
    "PriorityRegistryEmptyBatch": errors.EmptyBatch,
    "PriorityRegistrySelfClaim": errors.SelfClaim,
    "PriorityRegistryTooManyClaims": errors.TooManyClaims,
    "PriorityRegistryExpiredSignature": errors.SignatureExpired,
    "PriorityRegistryInvalidSignature": errors.InvalidSignature,
    "PriorityRegistryCommitmentMismatch": errors.CommitmentMismatch,
    "PriorityRegistryOfficeMismatch": errors.OfficeMismatch,
    "PriorityRegistryAlreadyPublished": errors.AlreadyPublished,
    "PriorityRegistryReportAlreadyAnchored": errors.ReportAlreadyAnchored,
    "PriorityRegistryInvalidReportKind": errors.InvalidReportKind,
    "PriorityRegistryProposalNotPending": errors.ProposalNotPending,
    "PriorityRegistryProposalNotReady": errors.ProposalNotReady,
    "PriorityRegistryInvalidVote": errors.InvalidVote,
    "AccessControlUnauthorizedAccount": errors.MissingRole,
    "InvalidAccountNonce": errors.InvalidNonce,
}


def _error_selectors(abi: Sequence[dict[str, Any]]) -> dict[bytes, tuple[str, list[str], list[str]]]:
    table: dict[bytes, tuple[str, list[str], list[str]]] = {}
    for item in abi:
        if item.get("type") != "error":
            continue
        types = [i["type"] for i in item["inputs"]]
        names = [i["name"] for i in item["inputs"]]
        selector = keccak(text=f"{item['name']}({','.join(types)})")[:4]
        table[selector] = (item["name"], types, names)
    return table


_SELECTORS = _error_selectors(load_artifact()["abi"])


def decode_revert(data: bytes | str | None) -> errors.LedgerError:
    """Turn revert data into the typed error for the contract's custom error (or a generic one)."""
    raw = HexBytes(data) if data else b""
    if len(raw) >= 4 and bytes(raw[:4]) in _SELECTORS:
        name, types, names = _SELECTORS[bytes(raw[:4])]
        try:
            values = abi_decode(types, bytes(raw[4:]))
        except Exception:
            values = ()
        args = dict(zip(names, values, strict=False))
        return ERROR_CLASSES.get(name, errors.ContractRevert)(name, args)
    if len(raw) >= 4 and bytes(raw[:4]) == keccak(text="Error(string)")[:4]:
        (reason,) = abi_decode(["string"], bytes(raw[4:]))
        return errors.ContractRevert("Error", {"reason": reason})
    return errors.TransactionFailed("the ledger refused the transaction without a reason")


def revert_data(exc: BaseException | None) -> bytes | str | None:
    """Revert data from a web3 error (``.data``) or from eth-tester's, which carries raw bytes."""
    seen = 0
    while exc is not None and seen < 5:
        data = getattr(exc, "data", None)
        if isinstance(data, dict):  # some nodes nest it: {"data": "0x…", "message": …}
            data = data.get("data")
        if isinstance(data, (bytes, str)) and data:
            return data
        for arg in exc.args:
            if isinstance(arg, bytes):
                return arg
            if isinstance(arg, str):
                # eth-tester's eth_call path stringifies the bytes: "execution reverted: b'…'".
                literal = arg.removeprefix("execution reverted: ")
                if literal[:2] in ("b'", 'b"'):
                    try:
                        value = ast.literal_eval(literal)
                    except (ValueError, SyntaxError):
                        continue
                    if isinstance(value, bytes):
                        return value
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None
