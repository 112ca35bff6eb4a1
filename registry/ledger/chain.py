"""The transport to one EVM node: the embedded eth-tester chain or any JSON-RPC node.

DESIGN.md property 8, "same code, any EVM": nothing outside this module (and ``client.py``, which
builds registry transactions on top of it) knows which node it is on. Every write is signed
locally (eth-account), sent with explicit gas, nonce and chain id, and acknowledged only when its
receipt has status 1 (property 7); a revert is decoded from the contract's custom errors into the
typed exceptions of :mod:`registry.errors`. eth-tester does not raise on a reverted transaction
sent with explicit gas, so the status is always checked.
"""

from __future__ import annotations

import datetime as _dt
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

import requests
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from hexbytes import HexBytes
from web3 import EthereumTesterProvider, Web3
from web3.exceptions import (
    BlockNotFound,
    ContractLogicError,
    ProviderConnectionError,
    TimeExhausted,
    TransactionNotFound,
    Web3Exception,
    Web3RPCError,
)
from web3.middleware import ExtraDataToPOAMiddleware
from web3.types import TxParams, TxReceipt, Wei

from registry import errors
from registry.ledger.compile import load_artifact
from registry.ledger.embedded import Journal, open_tester, stamp_pending_block
from registry.ledger.reverts import decode_revert, revert_data

__all__ = [
    "ANVIL_DEV_KEY",
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
#: anvil's and hardhat's chain id: a dev node, where governance runs without delay (SPEC.md §3).
DEV_CHAIN_ID = 31337
#: The governance delay of a real network (SPEC.md §3): two days.
DEFAULT_GOVERNANCE_DELAY = 2 * 24 * 3600


def _is_eth_tester_failure(exc: BaseException) -> bool:
    # eth-tester raises its own TransactionFailed, outside web3's tree; matched by name so that
    # the RPC path does not import eth-tester.
    return type(exc).__name__ == "TransactionFailed" and type(exc).__module__.startswith("eth_tester")


@contextmanager
def _translated() -> Iterator[None]:
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


@dataclass(frozen=True)
class TransactionRef:
    """The parts of a mined transaction the index reads."""

    transaction_hash: bytes
    block_hash: bytes
    to: str | None
    input: bytes


@dataclass(frozen=True)
class SentTransaction:
    """A transaction that was mined with status 1: the acknowledgement of a write."""

    transaction_hash: str
    block_number: int
    gas_used: int
    receipt: TxReceipt


_TX_HASHES = 256


class Chain:
    """One node, and the accounts that write to it through locally signed transactions."""

    def __init__(self, w3: Web3, *, kind: str, funder: LocalAccount | None = None) -> None:
        self.w3 = w3
        self.kind = kind
        self.funder = funder
        self._chain_id: int | None = None
        self._nonces: dict[str, int] = {}
        self._lock = threading.RLock()
        # The embedded chain is one py-evm instance: sends (and their journal records) go one at a time.
        self._send_lock = threading.Lock()
        self._tester_ref: Any = None
        self._journal: Journal | None = None
        #: A read-only view of a durable embedded chain: a send would be forgotten, so none is made.
        self.read_only = False
        # Hashes of embedded transactions by (block hash, position): a batch's hash is keccak over
        # its 120 KB, ~0.3 ms, and the index asks for it twice (its logs, then its input).
        self._tx_hashes: OrderedDict[tuple[bytes, int], bytes] = OrderedDict()

    # ── connecting ───────────────────────────────────────────────────────────────────────

    @classmethod
    def embedded(cls, state_dir: str | Path | None = None, *, read_only: bool = False) -> Chain:
        """The in-process eth-tester chain (py-evm, Prague rules); its first account funds the rest.

        With ``state_dir`` the chain is durable: rebuilt from its journal now, and every accepted
        transaction journaled (fsynced) before it is acknowledged (:mod:`registry.ledger.embedded`).
        ``read_only`` rebuilds it without writing the state directory and refuses every send
        (the read-only commands, which run beside the directory's one writer).
        """
        path = Path(state_dir) if state_dir is not None else None
        tester, journal = open_tester(path, now=int(time.time()), read_only=read_only and path is not None)
        w3 = Web3(EthereumTesterProvider(tester))
        funder = Account.from_key(tester.backend.account_keys[0].to_bytes())
        chain = cls(w3, kind="embedded", funder=funder)
        chain._tester_ref = tester
        chain._journal = journal
        chain.read_only = read_only and path is not None
        return chain

    def close(self) -> None:
        """Release what the chain holds (the embedded chain's journal)."""
        if self._journal is not None:
            self._journal.close()
            self._journal = None

    @classmethod
    def connect(cls, rpc_url: str, *, funder_key: str | None = None, timeout: float = 30.0) -> Chain:
        """A JSON-RPC node (anvil, geth, Besu …); Besu/QBFT's long extra-data is accepted."""
        w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": timeout}))
        # QBFT/Clique put more than 32 bytes in extraData; the middleware is harmless elsewhere.
        w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
        funder = Account.from_key(funder_key) if funder_key else None
        chain = cls(w3, kind="rpc", funder=funder)
        chain.chain_id  # noqa: B018 - fail now, with a clear error, if the node is not there
        return chain

    @property
    def chain_id(self) -> int:
        """The chain id (asked once)."""
        if self._chain_id is None:
            with _translated():
                self._chain_id = int(self.w3.eth.chain_id)
        return self._chain_id

    def block_number(self) -> int:
        """The latest block number."""
        with _translated():
            return int(self.w3.eth.block_number)

    def latest_block_day(self) -> _dt.date:
        """The UTC day of the latest block: what anchoring measures filing dates against (SPEC.md §5).

        The embedded chain mines a block for each transaction, stamped with this machine's clock
        when it is sent (:func:`registry.ledger.embedded.stamp_pending_block`): between writes its head
        grows old while the next block will carry the current time, so its latest block is taken
        to be that next one. A node (``--rpc-url``) answers for its own latest block.
        """
        if self._tester_ref is not None:
            head = self.query(lambda: int(self._tester_ref.backend.chain.get_canonical_head().timestamp))
            timestamp = max(head, int(time.time()))
        else:
            timestamp = self.query(lambda: int(self.w3.eth.get_block("latest")["timestamp"]))
        return _dt.datetime.fromtimestamp(timestamp, _dt.UTC).date()

    def header(self, number: int) -> tuple[bytes, bytes] | None:
        """Hash and parent hash of block ``number``; ``None`` when the chain has no such block (yet)."""
        if self._tester_ref is not None:
            return self.query(lambda: self._embedded_header(number))

        def fetch() -> tuple[bytes, bytes] | None:
            try:
                block = self.w3.eth.get_block(number)
            except BlockNotFound:
                return None
            return bytes(block["hash"]), bytes(block["parentHash"])

        return self.query(fetch)

    def block_timestamp(self, number: int) -> int | None:
        """The timestamp (seconds, UTC) of block ``number``; ``None`` when the chain has no such block."""
        if self._tester_ref is not None:

            def embedded() -> int | None:
                header = self._canonical(number)
                return None if header is None else int(header.timestamp)

            return self.query(embedded)

        def fetch() -> int | None:
            try:
                return int(self.w3.eth.get_block(number)["timestamp"])
            except BlockNotFound:
                return None

        return self.query(fetch)

    def logs(self, address: str, from_block: int, to_block: int) -> list[Any]:
        """The logs ``address`` emitted in blocks ``from_block``…``to_block``, in chain order.

        Each log reads like web3's (``topics``, ``data``, ``blockNumber``, ``blockHash``,
        ``transactionIndex``, ``transactionHash``, ``logIndex``). A node's limits on an answer's
        size surface as :class:`~registry.errors.LedgerError`: the caller narrows the range.
        """
        if self._tester_ref is not None:
            return self.query(lambda: self._embedded_logs(address, from_block, to_block))
        params: Any = {"address": address, "fromBlock": from_block, "toBlock": to_block}
        return list(self.query(lambda: self.w3.eth.get_logs(params)))

    # eth-tester answers eth_getLogs by looking every transaction up by hash, scanning the chain back
    # from the head each time (quadratic in the chain's length: a 3.7 M-filing chain took minutes
    # for 64 blocks), and get_block hashes every 120 KB batch transaction to list it. The embedded
    # chain's own database answers the same questions directly, block by block.

    def _canonical(self, number: int) -> Any:
        """py-evm's canonical header of mined block ``number``, or ``None``."""
        backend = self._tester_ref.backend
        chain = backend.chain
        if number < 0 or number > chain.get_canonical_head().block_number:
            return None
        return chain.get_canonical_block_header_by_number(number)

    def _embedded_header(self, number: int) -> tuple[bytes, bytes] | None:
        header = self._canonical(number)
        return None if header is None else (bytes(header.hash), bytes(header.parent_hash))

    def _embedded_logs(self, address: str, from_block: int, to_block: int) -> list[dict[str, Any]]:
        chain = self._tester_ref.backend.chain
        wanted = bytes(HexBytes(address))
        out: list[dict[str, Any]] = []
        # The head once for the whole range, not once a block.
        last = min(to_block, chain.get_canonical_head().block_number)
        for number in range(max(0, from_block), last + 1):
            header = chain.get_canonical_block_header_by_number(number)
            if header.gas_used == 0:
                continue  # no transaction, no log
            block = chain.get_block_by_header(header)
            log_index = 0
            for tx_index, (tx, receipt) in enumerate(
                zip(block.transactions, block.get_receipts(chain.chaindb), strict=True)
            ):
                tx_hash: bytes | None = None
                for log in receipt.logs:
                    if bytes(log.address) == wanted:
                        tx_hash = tx_hash or self._embedded_tx_hash(header, tx_index, tx)
                        out.append(
                            {
                                "address": address,
                                "topics": [topic.to_bytes(32, "big") for topic in log.topics],
                                "data": bytes(log.data),
                                "blockNumber": number,
                                "blockHash": bytes(header.hash),
                                "transactionIndex": tx_index,
                                "transactionHash": tx_hash,
                                "logIndex": log_index,
                                "removed": False,
                            }
                        )
                    log_index += 1
        return out

    def _embedded_tx_hash(self, header: Any, index: int, tx: Any) -> bytes:
        key = (bytes(header.hash), index)
        with self._lock:
            known = self._tx_hashes.get(key)
        if known is None:
            known = bytes(tx.hash)
            with self._lock:
                self._tx_hashes[key] = known
                while len(self._tx_hashes) > _TX_HASHES:
                    self._tx_hashes.popitem(last=False)
        return known

    def _embedded_transaction(self, block_number: int, index: int) -> TransactionRef | None:
        header = self._canonical(block_number)
        if header is None:
            return None
        transactions = self._tester_ref.backend.chain.get_block_by_header(header).transactions
        if not 0 <= index < len(transactions):
            return None
        tx = transactions[index]
        return TransactionRef(
            transaction_hash=self._embedded_tx_hash(header, index, tx),
            block_hash=bytes(header.hash),
            to=to_checksum_address(tx.to) if tx.to else None,
            input=bytes(tx.data),
        )

    def transaction_at(self, block_number: int, index: int) -> TransactionRef | None:
        """The transaction at ``index`` in block ``block_number`` (its hash, block hash, recipient, input).

        By position rather than by hash: a node finds it directly, where eth-tester answers
        ``eth_getTransactionByHash`` by scanning every block back from the head (a rebuild of the
        index would grow with the square of the chain). web3's eth-tester provider hands this call
        back with the backend's own field names (``data``, ``block_hash``); both spellings are read.
        """

        if self._tester_ref is not None:
            return self.query(lambda: self._embedded_transaction(block_number, index))

        def fetch() -> Any:
            try:
                return self.w3.eth.get_transaction_by_block(block_number, index)
            except (TransactionNotFound, BlockNotFound):
                return None

        tx = self.query(fetch)
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

    def query(self, fn: Callable[[], T]) -> T:
        """Run a read against the node with failures mapped to the registry's errors."""
        with _translated():
            return fn()

    # ── snapshots (embedded chain only: tests and the state-machine model) ──────────────

    def snapshot(self) -> int:
        """Remember the embedded chain's state; :meth:`revert` returns to it."""
        tester = self._tester()
        return int(tester.take_snapshot())

    def revert(self, snapshot_id: int) -> None:
        """Return the embedded chain to a snapshot; local nonces are read again afterwards."""
        if self._journal is not None:
            raise errors.LedgerError("a durable chain cannot go back: its journal only grows")
        self._tester().revert_to_snapshot(snapshot_id)
        with self._lock:
            self._nonces.clear()

    def advance_time(self, seconds: int) -> None:
        """Mine a block ``seconds`` later than the head (test chains only: the embedded chain
        without a journal, or a dev node): how a governance delay is seen to pass (SPEC.md §3)."""
        if seconds < 0:
            raise errors.InvalidInput("time only moves forward", code="badDelay")
        head = self.block_timestamp(self.block_number()) or 0
        if self.kind == "embedded":
            if self._journal is not None:
                raise errors.LedgerError("a durable chain keeps real time: its journal replays blocks as mined")
            self._tester().time_travel(head + seconds)
            return
        if self.chain_id != DEV_CHAIN_ID:
            raise errors.LedgerError("only a dev node (chain id 31337) can be moved forward in time")
        self.query(lambda: self.w3.provider.make_request("evm_increaseTime", [seconds]))  # type: ignore[arg-type]
        self.query(lambda: self.w3.provider.make_request("evm_mine", []))  # type: ignore[arg-type]

    def _tester(self) -> Any:
        provider = self.w3.provider
        if not isinstance(provider, EthereumTesterProvider):
            raise errors.LedgerError("snapshots exist only on the embedded chain")
        return provider.ethereum_tester

    # ── accounts ─────────────────────────────────────────────────────────────────────────

    def fund(self, address: str, wei: int = 10**21) -> None:
        """Give ``address`` ether for gas from the funder account."""
        if self.funder is None:
            raise errors.LedgerError("no funder account: pass a funded key to pay for gas")
        balance = self.query(lambda: self.w3.eth.get_balance(to_checksum_address(address)))
        if balance >= wei // 2:
            return
        self.send(self.funder, to=address, value=wei, gas=21_000)

    def new_account(self, *, fund: bool = True) -> LocalAccount:
        """A fresh random key, funded for gas when ``fund``."""
        account: LocalAccount = Account.create()
        if fund:
            self.fund(account.address)
        return account

    # ── writing ──────────────────────────────────────────────────────────────────────────

    def _next_nonce(self, address: str) -> int:
        # Local nonce bookkeeping: several transactions in a row need no round trip each.
        with self._lock:
            if address not in self._nonces:
                with _translated():
                    self._nonces[address] = int(
                        self.w3.eth.get_transaction_count(to_checksum_address(address), "pending")
                    )
            nonce = self._nonces[address]
            self._nonces[address] = nonce + 1
            return nonce

    def forget_nonce(self, address: str) -> None:
        """Drop the local nonce of ``address`` (after a failure) so it is read from the node again."""
        with self._lock:
            self._nonces.pop(address, None)

    def estimate_gas(self, account: LocalAccount, to: str | None, data: bytes, value: int = 0) -> int:
        """Simulate the call; a revert raises its typed error before anything is sent."""
        params: TxParams = {"from": account.address, "data": HexBytes(data), "value": Wei(value)}
        if to is not None:
            params["to"] = to_checksum_address(to)
        with _translated():
            return int(self.w3.eth.estimate_gas(params))

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
        with _translated():
            return int(self.w3.eth.gas_price)

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
            if self._journal is not None:
                self._journal.sync()  # acknowledged means journaled (DESIGN.md property 7)
        results: list[SentTransaction] = []
        failure: errors.RegistryError | None = None
        for tx_hash, (to, data, value, _gas) in zip(hashes, calls, strict=False):
            with _translated():
                receipt = self.w3.eth.wait_for_transaction_receipt(
                    HexBytes(tx_hash), timeout=timeout, poll_latency=0.05
                )
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

    def _submit(self, raw: bytes) -> bytes:
        if self.read_only:
            raise errors.LedgerError("this chain was opened read-only (a read-only command): nothing can be sent")
        if self._tester_ref is None:
            with _translated():
                return bytes(self.w3.eth.send_raw_transaction(raw))
        with self._send_lock:
            timestamp = stamp_pending_block(self._tester_ref, int(time.time()))
            with _translated():
                tx_hash = bytes(self.w3.eth.send_raw_transaction(raw))
            if self._journal is not None:
                self._journal.append(timestamp, raw)
            return tx_hash

    def _explain_failure(
        self, account: LocalAccount, to: str | None, data: bytes, value: int, receipt: TxReceipt
    ) -> errors.LedgerError:
        # Replay the call on the state before the failed block to learn the revert reason.
        params: TxParams = {"from": account.address, "data": HexBytes(data), "value": Wei(value)}
        if to is not None:
            params["to"] = to_checksum_address(to)
        tx_hash = "0x" + bytes(receipt["transactionHash"]).hex()
        try:
            self.w3.eth.call(params, int(receipt["blockNumber"]) - 1)
        except ContractLogicError as exc:
            return decode_revert(revert_data(exc))
        except Exception as exc:
            if _is_eth_tester_failure(exc):
                return decode_revert(revert_data(exc))
            pass
        return errors.TransactionFailed(f"transaction {tx_hash} failed on the ledger", transaction_hash=tx_hash)

    # ── contracts ────────────────────────────────────────────────────────────────────────

    def default_governance_delay(self) -> int:
        """SPEC.md §3: no delay on the embedded chain and on a dev node (chain id 31337), 2 days elsewhere."""
        return 0 if self.kind == "embedded" or self.chain_id == DEV_CHAIN_ID else DEFAULT_GOVERNANCE_DELAY

    def deploy_registry(self, deployer: LocalAccount, registrar: str | None = None, *, delay: int | None = None) -> str:
        """Deploy ``PriorityRegistry`` from the committed artifact; return its address.

        ``delay``: the governance delay in seconds (:meth:`default_governance_delay` when None).
        """
        artifact = load_artifact()
        factory = self.w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
        seconds = self.default_governance_delay() if delay is None else delay
        if not 0 <= seconds < 2**48:
            raise errors.InvalidInput("a governance delay is a number of seconds, 0 or more", code="badDelay")
        registrar_address = to_checksum_address(registrar or deployer.address)
        data = HexBytes(factory.constructor(registrar_address, seconds).data_in_transaction)
        sent = self.send(deployer, to=None, data=bytes(data))
        address = sent.receipt["contractAddress"]
        if not address:
            raise errors.TransactionFailed("the deployment created no contract")
        return cast(str, to_checksum_address(address))

    def registry_contract(self, address: str) -> Any:
        """A web3 contract object for the registry at ``address`` (reads and calldata building)."""
        return self.w3.eth.contract(address=to_checksum_address(address), abi=load_artifact()["abi"])
