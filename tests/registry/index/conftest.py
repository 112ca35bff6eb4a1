"""Fixtures of the index tests: one deployed registry a session, reverted around every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from registry.index import Index
from registry.ledger.chain import Chain
from tests.registry.index.support import Ledger


@pytest.fixture(scope="session")
def _ledger() -> tuple[Ledger, int]:
    chain = Chain.embedded()
    registrar = chain.new_account()
    address = chain.deploy_registry(registrar)
    ledger = Ledger(chain, address, chain.registry_contract(address), registrar, {})
    for code in ("EP", "US", "JP"):
        key = chain.new_account()
        ledger.tx(registrar, "admitOffice", code.encode(), key.address)
        ledger.offices[code] = key
    return ledger, chain.snapshot()


@pytest.fixture
def ledger(_ledger: tuple[Ledger, int]) -> Iterator[Ledger]:
    ledger, snapshot = _ledger
    ledger.chain.revert(snapshot)
    yield ledger
    ledger.chain.revert(snapshot)


@pytest.fixture
def index(ledger: Ledger) -> Iterator[Index]:
    with Index(":memory:", ledger.chain, ledger.address) as idx:
        yield idx
