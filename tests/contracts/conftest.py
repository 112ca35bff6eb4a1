"""Fixtures for contract tests: one embedded chain with the registry deployed and three offices.

Each test starts from the same snapshot, so tests stay independent without redeploying.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes

from registry.ledger.chain import Chain, SentTransaction


@dataclass
class Deployment:
    """The registry on a chain, with the accounts that play every role of
    docs/spec/governance.md#authorization-table."""

    chain: Chain
    address: str
    contract: Any
    registrar: LocalAccount
    offices: dict[str, LocalAccount]
    stranger: LocalAccount

    def tx(self, account: LocalAccount, fn: str, *args: Any, gas: int | None = None) -> SentTransaction:
        """Send ``fn(*args)`` from ``account``; typed errors on revert."""
        data = getattr(self.contract.functions, fn)(*args)._encode_transaction_data()
        return self.chain.send(account, to=self.address, data=bytes(HexBytes(data)), gas=gas)

    def view(self, fn: str, *args: Any) -> Any:
        """Call a view function."""
        return getattr(self.contract.functions, fn)(*args).call()


@pytest.fixture(scope="session")
def _deployed() -> tuple[Deployment, int]:
    chain = Chain.embedded()
    registrar = chain.new_account()
    address = chain.deploy_registry(registrar, delay=0)
    dep = Deployment(
        chain=chain,
        address=address,
        contract=chain.registry_contract(address),
        registrar=registrar,
        offices={},
        stranger=chain.new_account(),
    )
    for code in ("EP", "US", "JP"):
        key = chain.new_account()
        dep.tx(registrar, "admitOffice", code.encode(), key.address)
        dep.offices[code] = key
    return dep, chain.snapshot()


@pytest.fixture
def deployment(_deployed: tuple[Deployment, int]) -> Iterator[Deployment]:
    dep, snap = _deployed
    dep.chain.revert(snap)
    yield dep
    dep.chain.revert(snap)
