"""The chain: one EVM node, and the accounts that write to it through locally signed transactions.

docs/design.md#p11-same-code-any-evm, "same code, any EVM": nothing outside ``registry.ledger`` knows which node it
is on. :class:`Chain` is what the rest of the registry holds; what differs by kind of node is a
*transport* (:mod:`registry.ledger.transports`: the embedded eth-tester chain, or any JSON-RPC
node), to which it delegates. Every write is signed locally (eth-account), sent with explicit gas,
nonce and chain id, and acknowledged only when its receipt has status 1 (property 7); a revert is
decoded from the contract's custom errors into the typed exceptions of :mod:`registry.errors`
(:mod:`registry.ledger.reverts`). eth-tester does not raise on a reverted transaction sent with
explicit gas, so the status is always checked.
"""

from __future__ import annotations

import datetime as _dt
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from hexbytes import HexBytes
from web3 import Web3
from web3.types import TxReceipt

from registry import errors
from registry.ledger.compile import load_artifact
from registry.ledger.embedded import Journal
from registry.ledger.reverts import decode_revert
from registry.ledger.transports.base import Topics, TransactionRef, Transport, translated
from registry.ledger.transports.embedded import EmbeddedTransport
from registry.ledger.transports.rpc import DEV_CHAIN_ID, RpcTransport

__all__ = [
    "ANVIL_DEV_KEY",
    "DEFAULT_GOVERNANCE_DELAY",
    "DEV_CHAIN_ID",
    "TX_GAS_CAP",
    "Chain",
    "SentTransaction",
    "TransactionRef",
    "decode_revert",
]

T = TypeVar("T")

# The first of anvil's (and hardhat's) well-known development accounts; funded on every dev node.
ANVIL_DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"

# What a transaction may spend at most (EIP-7825's per-transaction cap); the client splits batches under it.
TX_GAS_CAP = 2**24
#: The governance delay of a real network (docs/spec/governance.md#delay-and-cancellation): two days.
DEFAULT_GOVERNANCE_DELAY = 2 * 24 * 3600


@dataclass(frozen=True)
class SentTransaction:
    """A transaction that was mined with status 1: the acknowledgement of a write."""

    transaction_hash: str
    block_number: int
    gas_used: int
    receipt: TxReceipt


class Chain:
    """One node (through its transport), and the accounts that write to it."""

    def __init__(self, transport: Transport, *, funder: LocalAccount | None = None) -> None:
        self.transport = transport
        self.funder = funder
        self._nonces: dict[str, int] = {}
        self._lock = threading.RLock()

    # ── connecting ───────────────────────────────────────────────────────────────────────

    @classmethod
    def embedded(
        cls, state_dir: str | Path | None = None, *, read_only: bool = False, chain_db: str | Path | None = None
    ) -> Chain:
        """The in-process eth-tester chain (py-evm, Prague rules); its first account funds the rest.

        With ``state_dir`` the chain is durable: rebuilt from its journal now, and every accepted
        transaction journaled (fsynced) before it is acknowledged (:mod:`registry.ledger.embedded`).
        ``read_only`` rebuilds it without writing the state directory and refuses every send
        (the read-only commands, which run beside the directory's one writer). ``chain_db`` (a new chain
        only, the benchmark's): py-evm's database in a SQLite file at that path instead of memory.
        """
        transport = EmbeddedTransport.open(
            Path(state_dir) if state_dir is not None else None,
            read_only=read_only,
            chain_db=Path(chain_db) if chain_db is not None else None,
        )
        return cls(transport, funder=Account.from_key(transport.funder_key()))

    @classmethod
    def connect(cls, rpc_url: str, *, funder_key: str | None = None, timeout: float = 30.0) -> Chain:
        """A JSON-RPC node (anvil, geth, Besu …); Besu/QBFT's long extra-data is accepted."""
        funder = Account.from_key(funder_key) if funder_key else None
        chain = cls(RpcTransport.connect(rpc_url, timeout=timeout), funder=funder)
        chain.chain_id  # noqa: B018 - fail now, with a clear error, if the node is not there
        return chain

    def close(self) -> None:
        """Release what the chain holds (the embedded chain's journal)."""
        self.transport.close()

    @property
    def kind(self) -> str:
        """``"embedded"`` or ``"rpc"``: which transport this chain speaks through."""
        return self.transport.kind

    @property
    def read_only(self) -> bool:
        """A read-only view of a durable embedded chain: a send would be forgotten, so none is made."""
        return self.transport.read_only

    @property
    def w3(self) -> Web3:
        """The transport's web3 handle: for tests that reach the node itself; the registry uses the methods."""
        return self.transport.w3

    @property
    def _journal(self) -> Journal | None:
        # The embedded chain's journal (tests and the restart benchmark look at it).
        return self.transport.journal if isinstance(self.transport, EmbeddedTransport) else None

    # ── reading ──────────────────────────────────────────────────────────────────────────

    @property
    def chain_id(self) -> int:
        """The chain id (asked once)."""
        with translated():
            return self.transport.chain_id()

    def block_number(self) -> int:
        """The latest block number."""
        with translated():
            return self.transport.block_number()

    def latest_block_day(self) -> _dt.date:
        """The UTC day of the latest block: what anchoring measures filing dates against
        (docs/spec/priority-rules.md#plausible-dates).

        The embedded chain mines a block for each transaction, stamped with this machine's clock
        when it is sent (:func:`registry.ledger.embedded.stamp_pending_block`): between writes its head
        grows old while the next block will carry the current time, so its latest block is taken
        to be that next one. A node (``--rpc-url``) answers for its own latest block.
        """
        timestamp = self.query(self.transport.latest_timestamp)
        return _dt.datetime.fromtimestamp(timestamp, _dt.UTC).date()

    def header(self, number: int) -> tuple[bytes, bytes] | None:
        """Hash and parent hash of block ``number``; ``None`` when the chain has no such block (yet)."""
        return self.query(lambda: self.transport.header(number))

    def block_timestamp(self, number: int) -> int | None:
        """The timestamp (seconds, UTC) of block ``number``; ``None`` when the chain has no such block."""
        return self.query(lambda: self.transport.block_timestamp(number))

    def block_gas_limit(self) -> int:
        """The gas limit of the latest block."""
        return self.query(self.transport.block_gas_limit)

    def logs(self, address: str, from_block: int, to_block: int, topics: Topics = None) -> list[Any]:
        """The logs ``address`` emitted in blocks ``from_block``…``to_block``, in chain order.

        Each log reads like web3's (``topics``, ``data``, ``blockNumber``, ``blockHash``,
        ``transactionIndex``, ``transactionHash``, ``logIndex``). A node's limits on an answer's
        size surface as :class:`~registry.errors.LedgerError`: the caller narrows the range.
        """
        return self.query(lambda: self.transport.logs(address, from_block, to_block, topics))

    def transaction_at(self, block_number: int, index: int) -> TransactionRef | None:
        """The transaction at ``index`` in block ``block_number`` (its hash, block hash, recipient, input).

        By position rather than by hash: a node finds it directly, where eth-tester answers
        ``eth_getTransactionByHash`` by scanning every block back from the head (a rebuild of the
        index would grow with the square of the chain).
        """
        return self.query(lambda: self.transport.transaction_at(block_number, index))

    def balance(self, address: str) -> int:
        """The balance of ``address``, in wei."""
        return self.query(lambda: self.transport.balance(address))

    def code_at(self, address: str) -> bytes:
        """The runtime code at ``address`` (empty where no contract is deployed)."""
        return self.query(lambda: self.transport.code_at(address))

    def query(self, fn: Callable[[], T]) -> T:
        """Run a read against the node with failures mapped to the registry's errors."""
        with translated():
            return fn()

    # ── snapshots (embedded chain only: tests and the state-machine model) ──────────────

    def snapshot(self) -> int:
        """Remember the embedded chain's state; :meth:`revert` returns to it."""
        return self.transport.snapshot()

    def revert(self, snapshot_id: int) -> None:
        """Return the embedded chain to a snapshot; local nonces are read again afterwards."""
        self.transport.revert(snapshot_id)
        with self._lock:
            self._nonces.clear()

    def advance_time(self, seconds: int) -> None:
        """Mine a block ``seconds`` later than the head (test chains only: the embedded chain
        without a journal, or a dev node): how a governance delay is seen to pass
        (docs/spec/governance.md#delay-and-cancellation)."""
        if seconds < 0:
            raise errors.InvalidInput("time only moves forward", code="badDelay")
        head = self.block_timestamp(self.block_number()) or 0
        with translated():
            self.transport.advance_time(head, seconds)

    # ── accounts ─────────────────────────────────────────────────────────────────────────

    def fund(self, address: str, wei: int = 10**21) -> None:
        """Give ``address`` ether for gas from the funder account."""
        if self.funder is None:
            raise errors.LedgerError("no funder account: pass a funded key to pay for gas")
        if self.balance(address) >= wei // 2:
            return
        self.send(self.funder, to=address, value=wei, gas=21_000)

    def new_account(self, *, fund: bool = True) -> LocalAccount:
        """A fresh random key, funded for gas when ``fund``."""
        account: LocalAccount = Account.create()
        if fund:
            self.fund(account.address)
        return account

    def unlock(self, account: LocalAccount) -> None:
        """Let the node hold ``account`` unlocked, so that :meth:`send_unsigned` can send from it
        (the embedded chain only: the benchmark's plain-web3 baseline)."""
        self.transport.unlock(bytes(account.key))

    # ── writing ──────────────────────────────────────────────────────────────────────────

    def _next_nonce(self, address: str) -> int:
        # Local nonce bookkeeping: several transactions in a row need no round trip each.
        with self._lock:
            if address not in self._nonces:
                with translated():
                    self._nonces[address] = self.transport.pending_nonce(address)
            nonce = self._nonces[address]
            self._nonces[address] = nonce + 1
            return nonce

    def forget_nonce(self, address: str) -> None:
        """Drop the local nonce of ``address`` (after a failure) so it is read from the node again."""
        with self._lock:
            self._nonces.pop(address, None)

    def estimate_gas(self, account: LocalAccount, to: str | None, data: bytes, value: int = 0) -> int:
        """Simulate the call; a revert raises its typed error before anything is sent."""
        with translated():
            return self.transport.estimate_gas(account.address, to, data, value)

    def sign(
        self,
        account: LocalAccount,
        *,
        to: str | None,
        data: bytes = b"",
        value: int = 0,
        gas: int,
        gas_price: int,
    ) -> tuple[bytes, int]:
        """Sign a legacy (type 0) transaction with explicit gas, nonce and chain id; return raw bytes and nonce."""
        nonce = self._next_nonce(account.address)
        tx: dict[str, Any] = {
            "nonce": nonce,
            "gas": gas,
            "gasPrice": gas_price,
            "value": value,
            "data": HexBytes(data),
            "chainId": self.chain_id,
        }
        if to is not None:
            tx["to"] = to_checksum_address(to)
        signed = account.sign_transaction(tx)
        return bytes(signed.raw_transaction), nonce

    def gas_price(self) -> int:
        """A gas price the next block accepts (zero on a gas-free consortium chain)."""
        with translated():
            return self.transport.gas_price()

    def send(
        self,
        account: LocalAccount,
        *,
        to: str | None,
        data: bytes = b"",
        value: int = 0,
        gas: int | None = None,
    ) -> SentTransaction:
        """Send one transaction and return once it is mined with status 1 (else raise, typed)."""
        return self.send_many(account, [(to, data, value, gas)])[0]

    def send_many(
        self,
        account: LocalAccount,
        calls: Sequence[tuple[str | None, bytes, int, int | None]],
        *,
        timeout: float = 120.0,
    ) -> list[SentTransaction]:
        """Send several transactions back to back from one account, then wait for all receipts.

        Each call is ``(to, data, value, gas)``; a ``None`` gas is estimated (which also surfaces a
        revert as its typed error before anything is sent). Receipts are checked in order; the first
        failure raises, and the transactions after it are still awaited so nothing is left unknown.
        """
        price = self.gas_price()
        hashes: list[bytes] = []
        try:
            for to, data, value, gas in calls:
                if gas is None:
                    estimate = self.estimate_gas(account, to, data, value)
                    gas = min(TX_GAS_CAP, estimate + estimate // 5 + 10_000)
                raw, _ = self.sign(account, to=to, data=data, value=value, gas=gas, gas_price=price)
                hashes.append(self._submit(raw))
        except errors.RegistryError:
            self.forget_nonce(account.address)
            raise
        finally:
            self.transport.sync()  # acknowledged means durable (docs/design.md#p7-acknowledged-means-on-the-ledger)
        results: list[SentTransaction] = []
        failure: errors.RegistryError | None = None
        for tx_hash, (to, data, value, _gas) in zip(hashes, calls, strict=False):
            with translated():
                receipt = self.transport.wait_for_receipt(tx_hash, timeout)
            if receipt["status"] != 1:
                self.forget_nonce(account.address)
                if failure is None:
                    failure = self._explain_failure(account, to, data, value, receipt)
                continue
            results.append(
                SentTransaction(
                    transaction_hash="0x" + tx_hash.hex(),
                    block_number=int(receipt["blockNumber"]),
                    gas_used=int(receipt["gasUsed"]),
                    receipt=receipt,
                )
            )
        if failure is not None:
            raise failure
        return results

    def send_unsigned(self, sender: str, *, to: str, data: bytes) -> TxReceipt:
        """Let the node sign and send from ``sender`` (unlocked there: :meth:`unlock`), as a plain
        web3.py script does; return the receipt, unchecked. The benchmark's baseline, nothing else:
        the registry signs every write itself."""
        with translated():
            return self.transport.send_unsigned(sender, to, data)

    def _submit(self, raw: bytes) -> bytes:
        if self.read_only:
            raise errors.LedgerError("this chain was opened read-only (a read-only command): nothing can be sent")
        with translated():
            return self.transport.submit(raw)

    def _explain_failure(
        self, account: LocalAccount, to: str | None, data: bytes, value: int, receipt: TxReceipt
    ) -> errors.LedgerError:
        # Replay the call on the state before the failed block to learn the revert reason.
        tx_hash = "0x" + bytes(receipt["transactionHash"]).hex()
        reason = self.transport.revert_reason(account.address, to, data, value, int(receipt["blockNumber"]) - 1)
        if reason is not None:
            return reason
        return errors.TransactionFailed(f"transaction {tx_hash} failed on the ledger", transaction_hash=tx_hash)

    # ── contracts ────────────────────────────────────────────────────────────────────────

    def default_governance_delay(self) -> int:
        """docs/spec/governance.md#delay-and-cancellation: no delay on the embedded chain and on a dev node (chain id
        31337), 2 days elsewhere."""
        with translated():
            dev = self.transport.is_dev_node()
        return 0 if dev else DEFAULT_GOVERNANCE_DELAY

    def deployment_data(self, registrar: str, delay: int | None = None) -> bytes:
        """The creation code of ``PriorityRegistry`` with its constructor arguments: ``registrar``
        and the governance delay in seconds (:meth:`default_governance_delay` when None)."""
        artifact = load_artifact()
        factory = self.transport.contract(artifact["abi"], bytecode=artifact["bytecode"])
        seconds = self.default_governance_delay() if delay is None else delay
        if not 0 <= seconds < 2**48:
            raise errors.InvalidInput("a governance delay is a number of seconds, 0 or more", code="badDelay")
        return bytes(HexBytes(factory.constructor(to_checksum_address(registrar), seconds).data_in_transaction))

    def deploy_registry(self, deployer: LocalAccount, registrar: str | None = None, *, delay: int | None = None) -> str:
        """Deploy ``PriorityRegistry`` from the committed artifact; return its address.

        ``delay``: the governance delay in seconds (:meth:`default_governance_delay` when None).
        """
        data = self.deployment_data(registrar or deployer.address, delay)
        sent = self.send(deployer, to=None, data=data)
        address = sent.receipt["contractAddress"]
        if not address:
            raise errors.TransactionFailed("the deployment created no contract")
        return cast(str, to_checksum_address(address))

    def registry_contract(self, address: str) -> Any:
        """A web3 contract object for the registry at ``address`` (reads and calldata building)."""
        return self.transport.contract(load_artifact()["abi"], address=address)
