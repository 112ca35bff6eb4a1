"""An API over a fresh embedded chain: the registry deployed, offices admitted, one token each.

The whole app runs for real (TestClient drives the ASGI app, the lifespan follows the index); only
the HTTP socket is skipped. Each test module gets its own chain.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import TokenStore
from registry.index import Index
from registry.ledger.chain import Chain
from registry.ledger.client import deploy
from registry.service import RegistryService

OFFICES = ("JP", "US", "EP", "CN", "WO")


@dataclass
class Api:
    """A running app and the tokens of its offices."""

    client: TestClient
    tokens: dict[str, str]
    service: RegistryService

    def auth(self, office: str) -> dict[str, str]:
        """The Authorization header of ``office``."""
        return {"Authorization": f"Bearer {self.tokens[office]}"}


def build_service(offices: tuple[str, ...] = OFFICES) -> RegistryService:
    """Deploy on a new embedded chain and give the service a key and a seed for each office."""
    chain = Chain.embedded()
    registrar = deploy(chain, chain.new_account())
    service = RegistryService(chain, Index(":memory:", chain, registrar.address), registrar.address)
    for office in offices:
        key = chain.new_account()
        registrar.admit_office(office, key.address)
        service.add_office(office, key, secrets.token_bytes(32))
    return service


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    service = build_service()
    store = TokenStore()
    tokens = {office: store.issue(office) for office in OFFICES}
    app = create_app(service, store, follow_index=False, rate_limit=0)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client, tokens, service)
