"""What :class:`~registry.ledger.chain.Chain` asks of a node, and what every web3-backed node shares.

docs/design.md#p11-same-code-any-evm, "same code, any EVM": the chain's bookkeeping (nonces, signing, receipts
checked for status 1, typed reverts) is written once in ``chain.py``; a *transport* is the part
that differs by kind of node — the embedded eth-tester chain (:mod:`.embedded`) or a JSON-RPC
node (:mod:`.rpc`). :class:`Transport` is that interface. Both transports speak to their node
through web3.py, so the calls that are the same on both live in :class:`Web3Transport`.

A transport raises what its node raised (web3's exceptions, eth-tester's ``TransactionFailed``);
the chain runs every call inside :func:`translated`, which maps those into the registry's
exception tree and decodes reverts through :mod:`registry.ledger.reverts`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import requests
from eth_utils.address import to_checksum_address
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import (
    ContractLogicError,
    ProviderConnectionError,
    TimeExhausted,
    Web3Exception,
    Web3RPCError,
)
from web3.types import TxParams, TxReceipt, Wei

from registry import errors
from registry.ledger.reverts import decode_revert, revert_data

__all__ = ["Topics", "TransactionRef", "Transport", "Web3Transport", "translated"]

#: An ``eth_getLogs`` topic filter: position i holds the values topic i may take (``None``: any); ``None``: no filter.
Topics = Sequence[Sequence[bytes] | None] | None


@dataclass(frozen=True)
class TransactionRef:
    """The parts of a mined transaction the index reads."""

    transaction_hash: bytes
    block_hash: bytes
    to: str | None
    input: bytes


def _is_eth_tester_failure(exc: BaseException) -> bool:
    # eth-tester raises its own TransactionFailed, outside web3's tree; matched by name so that
    # the RPC path does not import eth-tester.
    return type(exc).__name__ == "TransactionFailed" and type(exc).__module__.startswith("eth_tester")


@contextmanager
def translated() -> Iterator[None]:
    """Map transport and node failures into the registry's exception tree."""
    try:
        yield
    except errors.RegistryError:
        raise
    except ContractLogicError as exc:
        raise decode_revert(revert_data(exc)) from exc
    except (ProviderConnectionError, requests.ConnectionError, requests.Timeout, ConnectionError) as exc:
        raise errors.LedgerUnavailable(f"the ledger node cannot be reached: {exc}") from exc
    except TimeExhausted as exc:
        raise errors.LedgerUnavailable(f"the ledger did not confirm the transaction in time: {exc}") from exc
    except Web3RPCError as exc:
        data = revert_data(exc)
        if data:
            raise decode_revert(data) from exc
        raise errors.LedgerError(f"the ledger node refused the request: {exc}") from exc
    except Web3Exception as exc:
        raise errors.LedgerError(f"the ledger request failed: {exc}") from exc
    except Exception as exc:
        if _is_eth_tester_failure(exc):
            raise decode_revert(revert_data(exc)) from exc
        raise


def _params(sender: str, to: str | None, data: bytes, value: int) -> TxParams:
    params: TxParams = {"from": sender, "data": HexBytes(data), "value": Wei(value)}
    if to is not None:
        params["to"] = to_checksum_address(to)
    return params


class Transport(Protocol):
    """One kind of node, as the chain uses it. Methods raise the node's own exceptions (see
    :func:`translated`); block reads answer ``None`` for a block or transaction the node does not have."""

    #: ``"embedded"`` or ``"rpc"``.
    kind: str
    #: The web3 handle the transport speaks through (tests reach the provider through it).
    w3: Web3

    @property
    def read_only(self) -> bool:
        """Whether every send is refused (a read-only view of a durable embedded chain)."""
        ...

    def chain_id(self) -> int:
        """The chain id."""
        ...

    def is_dev_node(self) -> bool:
        """Whether governance runs without delay here (the embedded chain, a dev node:
        docs/spec/governance.md#delay-and-cancellation)."""
        ...

    def block_number(self) -> int:
        """The latest block number."""
        ...

    def latest_timestamp(self) -> int:
        """The timestamp the latest block is taken to carry (see ``Chain.latest_block_day``)."""
        ...

    def header(self, number: int) -> tuple[bytes, bytes] | None:
        """Hash and parent hash of block ``number``."""
        ...

    def block_timestamp(self, number: int) -> int | None:
        """The timestamp of block ``number``."""
        ...

    def block_gas_limit(self) -> int:
        """The gas limit of the latest block."""
        ...

    def logs(self, address: str, from_block: int, to_block: int, topics: Topics = None) -> list[Any]:
        """The logs of ``address`` in blocks ``from_block``…``to_block``, web3-shaped, in chain order.

        ``topics`` filters as ``eth_getLogs`` does: position i of the list holds the values topic i may take
        (``None``: any).
        """
        ...

    def transaction_at(self, block_number: int, index: int) -> TransactionRef | None:
        """The transaction at ``index`` in block ``block_number``."""
        ...

    def balance(self, address: str) -> int:
        """The balance of ``address`` in wei."""
        ...

    def code_at(self, address: str) -> bytes:
        """The runtime code at ``address``."""
        ...

    def pending_nonce(self, address: str) -> int:
        """The nonce the next transaction of ``address`` takes (pending transactions counted)."""
        ...

    def gas_price(self) -> int:
        """A gas price the next block accepts."""
        ...

    def estimate_gas(self, sender: str, to: str | None, data: bytes, value: int) -> int:
        """Simulate the call and return its gas."""
        ...

    def submit(self, raw: bytes) -> bytes:
        """Send one signed transaction; return its hash."""
        ...

    def sync(self) -> None:
        """Make every submitted transaction durable: called before any write is acknowledged."""
        ...

    def wait_for_receipt(self, tx_hash: bytes, timeout: float) -> TxReceipt:
        """The receipt of ``tx_hash`` once it is mined."""
        ...

    def revert_reason(
        self, sender: str, to: str | None, data: bytes, value: int, block: int
    ) -> errors.LedgerError | None:
        """Replay a call on the state after ``block`` and return the typed revert, if it reverts."""
        ...

    def send_unsigned(self, sender: str, to: str, data: bytes) -> TxReceipt:
        """Let the node sign and send from an account it holds unlocked; wait for the receipt."""
        ...

    def unlock(self, private_key: bytes) -> None:
        """Let the node hold ``private_key`` unlocked (the embedded chain only)."""
        ...

    def advance_time(self, head: int, seconds: int) -> None:
        """Mine a block ``seconds`` after ``head`` (the head block's timestamp)."""
        ...

    def snapshot(self) -> int:
        """Remember the chain's state (the embedded chain only)."""
        ...

    def revert(self, snapshot_id: int) -> None:
        """Return to a snapshot (the embedded chain only)."""
        ...

    def contract(
        self, abi: Sequence[dict[str, Any]], *, address: str | None = None, bytecode: str | None = None
    ) -> Any:
        """A web3 contract object (calldata building and ``call``)."""
        ...

    def close(self) -> None:
        """Release what the transport holds."""
        ...


class Web3Transport:
    """The calls both transports make the same way, through web3.py's ``eth`` module."""

    kind = "web3"

    def __init__(self, w3: Web3) -> None:
        self.w3 = w3
        self._chain_id: int | None = None

    @property
    def read_only(self) -> bool:
        return False

    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = int(self.w3.eth.chain_id)
        return self._chain_id

    def block_number(self) -> int:
        return int(self.w3.eth.block_number)

    def block_gas_limit(self) -> int:
        return int(self.w3.eth.get_block("latest")["gasLimit"])

    def balance(self, address: str) -> int:
        return int(self.w3.eth.get_balance(to_checksum_address(address)))

    def code_at(self, address: str) -> bytes:
        return bytes(self.w3.eth.get_code(to_checksum_address(address)))

    def pending_nonce(self, address: str) -> int:
        return int(self.w3.eth.get_transaction_count(to_checksum_address(address), "pending"))

    def gas_price(self) -> int:
        return int(self.w3.eth.gas_price)

    def estimate_gas(self, sender: str, to: str | None, data: bytes, value: int) -> int:
        return int(self.w3.eth.estimate_gas(_params(sender, to, data, value)))

    def submit(self, raw: bytes) -> bytes:
        return bytes(self.w3.eth.send_raw_transaction(raw))

    def sync(self) -> None:
        return None  # a node keeps what it accepted

    def wait_for_receipt(self, tx_hash: bytes, timeout: float) -> TxReceipt:
        return self.w3.eth.wait_for_transaction_receipt(HexBytes(tx_hash), timeout=timeout, poll_latency=0.05)

    def revert_reason(
        self, sender: str, to: str | None, data: bytes, value: int, block: int
    ) -> errors.LedgerError | None:
        try:
            self.w3.eth.call(_params(sender, to, data, value), block)
        except ContractLogicError as exc:
            return decode_revert(revert_data(exc))
        except Exception as exc:
            if _is_eth_tester_failure(exc):
                return decode_revert(revert_data(exc))
        return None

    def send_unsigned(self, sender: str, to: str, data: bytes) -> TxReceipt:
        # What a plain web3.py script does (``contract.functions.f(...).transact()``): the node
        # signs, web3 fills in gas (estimated) and price.
        tx_hash = self.w3.eth.send_transaction({"from": sender, "to": to_checksum_address(to), "data": HexBytes(data)})
        return self.w3.eth.wait_for_transaction_receipt(tx_hash)

    def contract(
        self, abi: Sequence[dict[str, Any]], *, address: str | None = None, bytecode: str | None = None
    ) -> Any:
        if address is not None:
            return self.w3.eth.contract(address=to_checksum_address(address), abi=abi)
        return self.w3.eth.contract(abi=abi, bytecode=bytecode)

    def close(self) -> None:
        return None
