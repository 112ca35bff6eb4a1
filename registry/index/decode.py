"""ABI decoding of what the index reads from the chain: the contract's events and a batch's calldata.

docs/design.md#p3-the-ledger-is-the-only-source-of-truth — the index is rebuilt from chain data alone: the events
(``eth_getLogs``) and, for a batch, the transaction input that carries its packed entries
(docs/spec/entries.md#batch-entry-layout). This module only turns those bytes into Python values; whether the values are
acceptable is :mod:`registry.index.checks`, what they change in the tables is :mod:`registry.index.projector`.
The selectors of the calls a batch may come in are :mod:`registry.ledger.selectors`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_utils.crypto import keccak

from registry import errors
from registry.ledger import selectors

__all__ = [
    "EventSpec",
    "batch_from_input",
    "decode_event",
    "digest_or_none",
    "event_specs",
    "office_code",
]

_ZERO32 = bytes(32)


@dataclass(frozen=True, slots=True)
class EventSpec:
    """How to read one event of the ABI: its indexed inputs (topics) and its data inputs."""

    name: str
    indexed: tuple[tuple[str, str], ...]
    data_names: tuple[str, ...]
    data_types: tuple[str, ...]


def event_specs(abi: Sequence[dict[str, Any]], names: Iterable[str]) -> dict[bytes, EventSpec]:
    """The specs of the ABI's events called ``names``, keyed by their topic (the signature's keccak).

    Raises :class:`~registry.errors.IndexInconsistent` when the ABI lacks one of them: an index
    that cannot read an event it handles would silently miss state.
    """
    wanted = set(names)
    specs: dict[bytes, EventSpec] = {}
    for item in abi:
        if item.get("type") != "event" or item["name"] not in wanted:
            continue
        inputs = item["inputs"]
        signature = f"{item['name']}({','.join(i['type'] for i in inputs)})"
        specs[keccak(text=signature)] = EventSpec(
            name=item["name"],
            indexed=tuple((i["name"], i["type"]) for i in inputs if i["indexed"]),
            data_names=tuple(i["name"] for i in inputs if not i["indexed"]),
            data_types=tuple(i["type"] for i in inputs if not i["indexed"]),
        )
    if len(specs) != len(wanted):
        raise errors.IndexInconsistent("the contract artifact lacks events the index reads")
    return specs


def decode_event(spec: EventSpec, topics: Sequence[bytes], data: bytes) -> dict[str, Any]:
    """The arguments of one log by name. Raises whatever eth_abi raises for bytes of another shape."""
    args: dict[str, Any] = {}
    for (name, typ), topic in zip(spec.indexed, topics[1:], strict=True):
        (args[name],) = abi_decode([typ], bytes(topic))
    if spec.data_types:
        args.update(zip(spec.data_names, abi_decode(list(spec.data_types), bytes(data)), strict=True))
    return args


def batch_from_input(data: bytes, root: bytes, office: bytes) -> tuple[bytes | None, str | None]:
    """The packed entries a transaction input carries for batch ``root``, or why there are none."""
    selector, body = data[:4], data[4:]
    try:
        if selector == selectors.ANCHOR_BATCH:
            sent_root, _count, entries = abi_decode(["bytes32", "uint32", "bytes"], body)
            sent_office = office
        elif selector == selectors.ANCHOR_BATCH_BY_SIG:
            sent_office, sent_root, _count, entries, _deadline, _sig = abi_decode(
                ["bytes2", "bytes32", "uint32", "bytes", "uint256", "bytes"], body
            )
        else:
            # Sent through another contract (a multisig, a relayer): the entries are in the inner
            # call, which only a tracing node could show. Property 3 needs them in our own input.
            return None, "the transaction input is not a call of anchorBatch / anchorBatchBySig"
    except Exception as exc:  # eth_abi raises several unrelated types for bad input
        return None, f"the transaction input does not decode: {exc}"
    if sent_root != root or sent_office != office:
        return None, "the transaction input names another batch than its event"
    return bytes(entries), None


def office_code(code: bytes) -> str:
    """An event's ``bytes2`` office as text; bytes that are not ASCII stay visible as U+FFFD."""
    return code.decode("ascii", "replace")


def digest_or_none(value: bytes | None) -> bytes | None:
    """An event's document digest, ``None`` for none (docs/spec/entries.md#document-digests-and-reports: a zero digest
    means "no document")."""
    return None if value is None or value == _ZERO32 else bytes(value)
