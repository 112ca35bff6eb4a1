"""``GET /v1/offices``, ``GET /v1/health``, the OpenAPI contract, and a ledger that cannot be reached."""

from __future__ import annotations

import re
import socket

import pytest
from web3 import Web3

from tests.api.conftest import OFFICES, Api
from tests.api.helpers import assert_envelope, assert_verification, claim, filing, fresh_access_code, verify_body


def test_the_offices_are_listed_with_their_signers(api: Api) -> None:
    response = api.client.get("/v1/offices")
    assert response.status_code == 200, response.text
    offices = response.json()
    assert {o["ipOfficeCode"] for o in offices} == set(OFFICES)
    for office in offices:
        assert set(office) == {"ipOfficeCode", "signer", "active", "endpoint"}
        assert re.fullmatch(r"0x[0-9a-fA-F]{40}", office["signer"])
        assert office["active"] is True


def test_health_reports_the_chain_the_contract_and_the_index(api: Api) -> None:
    response = api.client.get("/v1/health")
    assert response.status_code == 200, response.text
    health = response.json()
    assert set(health) == {"status", "chainId", "blockNumber", "contract", "indexedBlock"}
    assert health["status"] == "ok"
    assert health["chainId"] == api.service.chain.chain_id
    assert isinstance(health["blockNumber"], int) and health["blockNumber"] >= health["indexedBlock"] > 0
    assert health["contract"] == api.service.contract


def test_the_openapi_contract_and_the_docs_are_served(api: Api) -> None:
    spec = api.client.get("/openapi.json")
    assert spec.status_code == 200
    document = spec.json()
    assert document["openapi"].startswith("3.")
    assert {
        "/v1/offices",
        "/v1/filings",
        "/v1/filing-batches",
        "/v1/applications/{commitment}",
        "/v1/priority-claims/verify",
        "/v1/families/{commitment}",
        "/v1/publications",
        "/v1/documents/verify",
        "/v1/health",
    } <= set(document["paths"])
    docs = api.client.get("/docs")
    assert docs.status_code == 200
    assert "text/html" in docs.headers["content-type"]
    assert "/openapi.json" in docs.text


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # closed again: connecting is refused


@pytest.fixture
def node_down(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """The node stops answering: the chain's web3 provider now points at a closed loopback port.

    This is the transport the service really uses (chain and index share ``chain.w3``), so every
    ledger call fails the way it does when a node goes away: ``requests.ConnectionError``, which
    ``registry.ledger.chain`` turns into ``LedgerUnavailable``. The embedded chain keeps its state, and the
    provider is put back after the test.
    """
    url = f"http://127.0.0.1:{_closed_port()}"
    monkeypatch.setattr(api.service.chain.w3, "provider", Web3.HTTPProvider(url, request_kwargs={"timeout": 2}))


@pytest.mark.usefixtures("node_down")
def test_an_unreachable_node_is_503_for_writes_and_degraded_health(api: Api) -> None:
    body = filing("2017-187500", "2017-09-27", accessCode=fresh_access_code())
    error = assert_envelope(
        api.client.post("/v1/filings", json=body, headers=api.auth("JP")), 503, "LEDGER_UNAVAILABLE"
    )
    assert "reached" in error["message"]
    assert_envelope(
        api.client.post("/v1/filing-batches", json={"filings": [body]}, headers=api.auth("JP")),
        503,
        "LEDGER_UNAVAILABLE",
    )
    publication = {"applicationNumber": "2017-187500", "accessCode": body["accessCode"]}
    assert_envelope(
        api.client.post("/v1/publications", json=publication, headers=api.auth("JP")), 503, "LEDGER_UNAVAILABLE"
    )

    health = api.client.get("/v1/health").json()
    assert health["status"] == "degraded"
    assert health["chainId"] is None and health["blockNumber"] is None

    # Reads come from the index and still answer.
    answer = api.client.post(
        "/v1/priority-claims/verify",
        json=verify_body(claim("JP", "2017-187500", "2017-09-27", body["accessCode"]), "US", "2018-09-06"),
    )
    assert answer.status_code == 200
    assert_verification(answer.json())


def test_nothing_was_written_while_the_node_was_down(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    body = filing("2017-187501", "2017-09-27", accessCode=fresh_access_code())
    provider = api.service.chain.w3.provider
    url = f"http://127.0.0.1:{_closed_port()}"
    monkeypatch.setattr(api.service.chain.w3, "provider", Web3.HTTPProvider(url, request_kwargs={"timeout": 2}))
    assert api.client.post("/v1/filings", json=body, headers=api.auth("JP")).status_code == 503
    monkeypatch.setattr(api.service.chain.w3, "provider", provider)
    assert api.client.post("/v1/filings", json=body, headers=api.auth("JP")).status_code == 201
    assert api.client.get("/v1/health").json()["status"] == "ok"
