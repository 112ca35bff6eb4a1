"""One chain, two transports (registry.ledger.transports): the embedded chain and a JSON-RPC node
(a real anvil) answer the chain's questions alike (docs/design.md#p11-same-code-any-evm, "same code, any EVM"), each
refuses what only the other can do, and nothing outside ``registry/ledger/`` speaks web3."""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_utils.crypto import keccak

from registry import errors
from registry.domain.entries import Entry
from registry.domain.types import IpRightKind
from registry.ledger.chain import ANVIL_DEV_KEY, Chain
from registry.ledger.client import RegistryClient, deploy, filing_message
from registry.ledger.transports.embedded import EmbeddedTransport
from registry.ledger.transports.rpc import RpcTransport
from tests.support.anvil import REPO_ROOT, running_anvil

DAY = dt.date(2024, 3, 1)


def _entry(label: str) -> Entry:
    return Entry(keccak(text=label), IpRightKind.PATENT, DAY)


@pytest.fixture(params=["embedded", pytest.param("rpc", marks=pytest.mark.anvil)])
def chain(request: pytest.FixtureRequest) -> Iterator[Chain]:
    if request.param == "embedded":
        embedded = Chain.embedded()
        yield embedded
        embedded.close()
        return
    with running_anvil() as url:
        yield Chain.connect(url, funder_key=ANVIL_DEV_KEY)


def _office(chain: Chain) -> RegistryClient:
    registrar = deploy(chain, chain.new_account())
    office = chain.new_account()
    registrar.admit_office("EP", office.address)
    return registrar.for_account(office)


def test_both_transports_answer_the_reads_of_a_mined_filing_alike(chain: Chain) -> None:
    ep = _office(chain)
    anchored = ep.anchor_filing(_entry("one"))
    number = anchored.block_number

    assert chain.kind == ("embedded" if isinstance(chain.transport, EmbeddedTransport) else "rpc")
    header = chain.header(number)
    parent = chain.header(number - 1)
    assert header is not None and parent is not None and header[1] == parent[0]
    assert chain.header(chain.block_number() + 5) is None
    assert chain.block_timestamp(chain.block_number() + 5) is None
    stamp = chain.block_timestamp(number)
    assert stamp is not None and chain.latest_block_day() >= dt.datetime.fromtimestamp(stamp, dt.UTC).date()

    (log,) = chain.logs(ep.address, number, number)
    assert log["blockNumber"] == number and bytes(log["blockHash"]) == header[0]
    tx = chain.transaction_at(number, int(log["transactionIndex"]))
    assert tx is not None
    assert tx.transaction_hash == bytes(log["transactionHash"]) == bytes.fromhex(anchored.transaction_hash[2:])
    assert tx.block_hash == header[0] and tx.to == ep.address
    assert tx.input == ep.calldata("anchorFiling", filing_message(_entry("one")).as_abi())
    assert chain.transaction_at(number, 7) is None

    # A topic filter (eth_getLogs's): the same answer from both transports.
    everything = chain.logs(ep.address, 0, number)
    admitted, anchored_topic = keccak(text="OfficeAdmitted(bytes2,address)"), bytes(log["topics"][0])
    ep_topic, us_topic = b"EP".ljust(32, b"\0"), b"US".ljust(32, b"\0")
    assert chain.logs(ep.address, 0, number, [[anchored_topic]]) == [log]
    assert chain.logs(ep.address, 0, number, [[anchored_topic, admitted], [ep_topic]]) == [
        e for e in everything if bytes(e["topics"][0]) in (anchored_topic, admitted)
    ]
    assert chain.logs(ep.address, 0, number, [None, [us_topic]]) == []
    assert chain.logs(ep.address, 0, number, [[anchored_topic], None, [keccak(text="one")]]) == [log]
    assert chain.logs(ep.address, 0, number, [[anchored_topic], None, None, [bytes(32)]]) == []

    assert chain.balance(ep.account.address) > 0
    assert chain.balance(chain.new_account(fund=False).address) == 0
    assert chain.block_gas_limit() >= 2**24


def test_a_deployment_carries_the_registrar_and_the_delay_it_was_given(chain: Chain) -> None:
    deployer = chain.new_account()
    address = chain.deploy_registry(deployer, delay=3600)
    registry = RegistryClient(chain, address, deployer)
    assert registry.governance_delay() == 3600
    assert chain.deployment_data(deployer.address, 60) != chain.deployment_data(deployer.address, 61)
    with pytest.raises(errors.InvalidInput) as refused:
        chain.deployment_data(deployer.address, -1)
    assert refused.value.code == "badDelay"


def test_a_revert_is_typed_on_both_transports(chain: Chain) -> None:
    ep = _office(chain)
    ep.anchor_filing(_entry("twice"))
    with pytest.raises(errors.AlreadyAnchored):
        ep.anchor_filing(_entry("twice"))


def test_only_the_embedded_chain_holds_unlocked_accounts_snapshots_and_a_journal(chain: Chain) -> None:
    ep = _office(chain)
    if isinstance(chain.transport, RpcTransport):
        with pytest.raises(errors.LedgerError, match="only the embedded chain"):
            chain.unlock(ep.account)
        with pytest.raises(errors.LedgerError, match="snapshots exist only on the embedded chain"):
            chain.snapshot()
        with pytest.raises(errors.LedgerError, match="snapshots exist only on the embedded chain"):
            chain.revert(1)
        assert chain._journal is None
        return
    # The benchmark's baseline: the node signs for an account it holds unlocked, as plain web3.py does.
    chain.unlock(ep.account)
    data = ep.calldata("anchorFiling", filing_message(_entry("unsigned")).as_abi())
    before = chain.snapshot()
    receipt = chain.send_unsigned(ep.account.address, to=ep.address, data=data)
    assert receipt["status"] == 1 and ep.has_record("EP", _entry("unsigned").commitment)
    chain.revert(before)
    assert not ep.has_record("EP", _entry("unsigned").commitment)
    assert chain._journal is None  # an in-memory chain keeps no journal


def test_a_durable_chain_keeps_its_journal_and_refuses_to_go_back(tmp_path: Path) -> None:
    chain = Chain.embedded(tmp_path)
    try:
        assert chain._journal is not None and not chain.read_only
        mark = chain.snapshot()
        chain.new_account()
        with pytest.raises(errors.LedgerError, match="cannot go back"):
            chain.revert(mark)
        with pytest.raises(errors.LedgerError, match="keeps real time"):
            chain.advance_time(60)
    finally:
        chain.close()
    reader = Chain.embedded(tmp_path, read_only=True)
    try:
        assert reader.read_only and reader.block_number() == 1
        with pytest.raises(errors.LedgerError, match="read-only"):
            reader.new_account()
    finally:
        reader.close()


_WEB3 = {"web3", "eth_tester", "eth"}


def _reaches_web3(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] in _WEB3]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in _WEB3:
            found.append(node.module)
        elif isinstance(node, ast.Attribute) and node.attr == "w3":
            found.append(f".w3 (line {node.lineno})")
    return found


def test_nothing_outside_the_ledger_speaks_web3() -> None:
    ledger = REPO_ROOT / "registry" / "ledger"
    offenders = {
        str(path.relative_to(REPO_ROOT)): found
        for top in ("registry", "api", "scripts")
        for path in sorted((REPO_ROOT / top).rglob("*.py"))
        if ledger not in path.parents and (found := _reaches_web3(path))
    }
    assert offenders == {}
