"""The transport to a JSON-RPC node: anvil, geth, Besu, any EVM (docs/design.md#p11-same-code-any-evm).

Everything goes through the node's standard ``eth_*`` methods; the node keeps what it accepted,
so there is no journal and no snapshot here. Time moves forward only on a dev node (chain id
31337: anvil, hardhat), through ``evm_increaseTime`` and ``evm_mine`` (docs/spec/governance.md#delay-and-cancellation).
"""

from __future__ import annotations

from typing import Any

from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import BlockNotFound, TransactionNotFound
from web3.middleware import ExtraDataToPOAMiddleware

from registry import errors
from registry.ledger.transports.base import Topics, TransactionRef, Web3Transport

__all__ = ["DEV_CHAIN_ID", "RpcTransport"]

#: anvil's and hardhat's chain id: a dev node, where governance runs without delay
#: (docs/spec/governance.md#delay-and-cancellation).
DEV_CHAIN_ID = 31337


class RpcTransport(Web3Transport):
    """A JSON-RPC node over HTTP."""

    kind = "rpc"

    @classmethod
    def connect(cls, rpc_url: str, *, timeout: float = 30.0) -> RpcTransport:
        """A node at ``rpc_url``; Besu/QBFT's long extra-data is accepted. Nothing is asked of it yet."""
        w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": timeout}))
        # QBFT/Clique put more than 32 bytes in extraData; the middleware is harmless elsewhere.
        w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
        return cls(w3)

    def is_dev_node(self) -> bool:
        return self.chain_id() == DEV_CHAIN_ID

    def latest_timestamp(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def header(self, number: int) -> tuple[bytes, bytes] | None:
        try:
            block = self.w3.eth.get_block(number)
        except BlockNotFound:
            return None
        return bytes(block["hash"]), bytes(block["parentHash"])

    def block_timestamp(self, number: int) -> int | None:
        try:
            return int(self.w3.eth.get_block(number)["timestamp"])
        except BlockNotFound:
            return None

    def logs(self, address: str, from_block: int, to_block: int, topics: Topics = None) -> list[Any]:
        params: Any = {"address": address, "fromBlock": from_block, "toBlock": to_block}
        if topics is not None:
            params["topics"] = [None if t is None else ["0x" + bytes(v).hex() for v in t] for t in topics]
        return list(self.w3.eth.get_logs(params))

    def transaction_at(self, block_number: int, index: int) -> TransactionRef | None:
        # By position rather than by hash: the node finds it directly. web3's eth-tester provider
        # hands this call back with the backend's own field names (``data``, ``block_hash``), so
        # both spellings are read (a Web3 over an eth-tester provider is still served right).
        try:
            tx: Any = self.w3.eth.get_transaction_by_block(block_number, index)
        except (TransactionNotFound, BlockNotFound):
            return None
        if tx is None:
            return None

        def field(*names: str) -> Any:
            for name in names:
                if name in tx and tx[name] is not None:
                    return tx[name]
            return None

        to = field("to")
        return TransactionRef(
            transaction_hash=bytes(HexBytes(field("hash"))),
            block_hash=bytes(HexBytes(field("blockHash", "block_hash") or b"")),
            to=str(to) if to else None,
            input=bytes(HexBytes(field("input", "data") or b"")),
        )

    def unlock(self, private_key: bytes) -> None:
        raise errors.LedgerError("only the embedded chain holds accounts unlocked for a caller")

    def advance_time(self, head: int, seconds: int) -> None:
        if self.chain_id() != DEV_CHAIN_ID:
            raise errors.LedgerError("only a dev node (chain id 31337) can be moved forward in time")
        self.w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
        self.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]

    def snapshot(self) -> int:
        raise errors.LedgerError("snapshots exist only on the embedded chain")

    def revert(self, snapshot_id: int) -> None:
        raise errors.LedgerError("snapshots exist only on the embedded chain")
