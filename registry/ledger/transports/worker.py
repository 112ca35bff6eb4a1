"""The chain as a read worker of a gateway on the embedded chain sees it: known, but held by another process.

``prioreg serve --workers N`` on the embedded chain (issue 18): the chain lives in the memory of
one process, the gateway's owner, which follows it into the index. A read worker answers from that
index; it knows the chain id (from the deployment) and the head (the last block the owner indexed),
and nothing more. Every other call raises :class:`~registry.errors.OwnerNeeded`, and the worker
hands the request to the owner (:mod:`api.forwarding`) — a batched record whose entries are only
in its transaction's calldata, say. On a node (``--rpc-url``) a worker reads the node itself through
:mod:`.rpc` instead, and needs none of this.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from web3 import Web3
from web3.types import TxReceipt

from registry import errors
from registry.ledger.transports.base import Topics, TransactionRef

__all__ = ["WorkerTransport"]


class WorkerTransport:
    """Chain id and head of a chain another process holds; every other call: :class:`~registry.errors.OwnerNeeded`."""

    kind = "worker"

    def __init__(self, chain_id: int, head: Callable[[], int | None]) -> None:
        self._chain_id = chain_id
        self._head = head

    @staticmethod
    def _owner(what: str) -> NoReturn:
        raise errors.OwnerNeeded(f"{what} needs the chain, which the gateway's owner process holds")

    @property
    def w3(self) -> Web3:
        self._owner("a web3 handle")

    @w3.setter
    def w3(self, _value: Web3) -> None:
        self._owner("a web3 handle")

    @property
    def read_only(self) -> bool:
        return True

    def chain_id(self) -> int:
        return self._chain_id

    def is_dev_node(self) -> bool:
        return False

    def block_number(self) -> int:
        head = self._head()
        if head is None:
            self._owner("the head block, before the first sync,")
        return head

    def latest_timestamp(self) -> int:
        self._owner("the latest block's time")

    def header(self, number: int) -> tuple[bytes, bytes] | None:
        self._owner(f"the header of block {number}")

    def block_timestamp(self, number: int) -> int | None:
        self._owner(f"the time of block {number}")

    def block_gas_limit(self) -> int:
        self._owner("the block gas limit")

    def logs(self, address: str, from_block: int, to_block: int, topics: Topics = None) -> list[Any]:
        self._owner("reading logs")

    def transaction_at(self, block_number: int, index: int) -> TransactionRef | None:
        self._owner(f"the transaction at block {block_number}")

    def balance(self, address: str) -> int:
        self._owner("a balance")

    def code_at(self, address: str) -> bytes:
        self._owner("contract code")

    def pending_nonce(self, address: str) -> int:
        self._owner("a nonce")

    def gas_price(self) -> int:
        self._owner("the gas price")

    def estimate_gas(self, sender: str, to: str | None, data: bytes, value: int) -> int:
        self._owner("a gas estimate")

    def submit(self, raw: bytes) -> bytes:
        self._owner("sending a transaction")

    def sync(self) -> None:
        self._owner("sending a transaction")

    def wait_for_receipt(self, tx_hash: bytes, timeout: float) -> TxReceipt:
        self._owner("a receipt")

    def revert_reason(
        self, sender: str, to: str | None, data: bytes, value: int, block: int
    ) -> errors.LedgerError | None:
        self._owner("replaying a call")

    def send_unsigned(self, sender: str, to: str, data: bytes) -> TxReceipt:
        self._owner("sending a transaction")

    def unlock(self, private_key: bytes) -> None:
        self._owner("unlocking an account")

    def advance_time(self, head: int, seconds: int) -> None:
        self._owner("mining a block")

    def snapshot(self) -> int:
        self._owner("a snapshot")

    def revert(self, snapshot_id: int) -> None:
        self._owner("a revert")

    def contract(
        self, abi: Sequence[dict[str, Any]], *, address: str | None = None, bytecode: str | None = None
    ) -> Any:
        self._owner("a contract call")

    def close(self) -> None:
        """Nothing is held."""
