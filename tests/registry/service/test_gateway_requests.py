"""Signed requests between gateways (docs/spec/between-gateways.md#signed-requests; issue 15 item 4): each way of
misusing one is refused.

The holder's check runs against a real embedded chain (the registry deployed, JP and US admitted):
a request replayed, expired, expiring too far ahead, naming another office than its signer's, signed
by a key rotated out, or by a suspended office — each refused, and every refusal is the route's
own 404. The sender runs against a real HTTP server on loopback: an oversized answer, a redirect,
an encoded answer, a slow one, an unreachable holder, an office without an endpoint — each
``HolderUnavailable``; the holder's 404 stays a 404.
"""

from __future__ import annotations

import gzip
import secrets
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from fastapi import APIRouter
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import TokenStore
from api.gateway import GatewayChecker, GatewaySenderDep
from registry import errors
from registry.index import Index
from registry.ledger.chain import Chain
from registry.ledger.client import RegistryClient, deploy
from registry.service import RegistryService
from registry.service.gateway_requests import (
    CLOCK_SKEW,
    MAX_AHEAD,
    GatewaySender,
    NonceStore,
    PriorityDocumentRequest,
    ReportRequest,
    RequestChecker,
    expiry_in,
    new_nonce,
    sign_request,
)
from tests.support.gateways import free_port

NOT_FOUND = "no report with this id"
NOW = 1_900_000_000


class Ledger:
    """A deployment on the embedded chain with JP and US admitted."""

    def __init__(self) -> None:
        self.chain = Chain.embedded()
        self.registrar = deploy(self.chain, self.chain.new_account())
        self.keys: dict[str, LocalAccount] = {}
        for office in ("JP", "US"):
            self.keys[office] = self.chain.new_account()
            self.registrar.admit_office(office, self.keys[office].address)

    @property
    def contract(self) -> str:
        return self.registrar.address

    def client(self, office: str) -> RegistryClient:
        return self.registrar.for_account(self.keys[office])

    def body(self, office: str = "JP", *, key: LocalAccount | None = None, expiry: int | None = None) -> dict[str, Any]:
        request = ReportRequest(
            office, secrets.token_bytes(32), secrets.token_bytes(32), new_nonce(), expiry or NOW + 60
        )
        return sign_request(request, (key or self.keys[office]).key, self.chain.chain_id, self.contract)


@pytest.fixture(scope="module")
def ledger() -> Ledger:
    return Ledger()


@pytest.fixture
def checker(ledger: Ledger) -> RequestChecker:
    return RequestChecker(ledger.chain, ledger.contract, NonceStore(":memory:"), clock=lambda: NOW)


def _refused(checker: RequestChecker, body: Any) -> str:
    with pytest.raises(errors.GatewayRequestRefused) as refused:
        checker.check_report(body, not_found=NOT_FOUND)
    assert refused.value.message == NOT_FOUND  # the same sentence as an unknown id
    assert isinstance(refused.value, errors.NotFound)
    return refused.value.reason


def test_a_signed_request_is_accepted_once_and_a_replay_is_refused(ledger: Ledger, checker: RequestChecker) -> None:
    body = ledger.body()
    accepted = checker.check_report(body, not_found=NOT_FOUND)
    assert accepted.office == "JP"
    assert accepted.to_json() == body["request"]
    assert _refused(checker, body) == "nonce seen before"


def test_the_nonces_are_shared_by_every_worker_of_a_gateway(ledger: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "gateway-nonces.sqlite"
    first = RequestChecker(ledger.chain, ledger.contract, NonceStore(path), clock=lambda: NOW)
    second = RequestChecker(ledger.chain, ledger.contract, NonceStore(path), clock=lambda: NOW)
    body = ledger.body()
    first.check_report(body, not_found=NOT_FOUND)
    assert _refused(second, body) == "nonce seen before"
    # And after a restart: the store is in the state directory.
    assert _refused(RequestChecker(ledger.chain, ledger.contract, NonceStore(path), clock=lambda: NOW), body)


def test_an_expired_request_is_refused_beyond_the_clock_skew(ledger: Ledger, checker: RequestChecker) -> None:
    assert _refused(checker, ledger.body(expiry=NOW - CLOCK_SKEW - 1)) == "expired"
    checker.check_report(ledger.body(expiry=NOW - CLOCK_SKEW + 1), not_found=NOT_FOUND)


def test_a_request_expiring_too_far_ahead_is_refused(ledger: Ledger, checker: RequestChecker) -> None:
    assert _refused(checker, ledger.body(expiry=NOW + MAX_AHEAD + CLOCK_SKEW + 1)) == "expiry too far ahead"
    checker.check_report(ledger.body(expiry=NOW + MAX_AHEAD + CLOCK_SKEW), not_found=NOT_FOUND)


def test_a_request_naming_another_office_than_its_signer_s_is_refused(ledger: Ledger, checker: RequestChecker) -> None:
    assert _refused(checker, ledger.body("US", key=ledger.keys["JP"])) == "not the current key of an active office"
    stranger = ledger.chain.new_account(fund=False)
    assert _refused(checker, ledger.body("JP", key=stranger)) == "not the current key of an active office"
    # A signature made for another chain or contract recovers to someone else.
    other = ReportRequest("JP", b"\x01" * 32, b"\x02" * 32, new_nonce(), NOW + 60)
    foreign = sign_request(other, ledger.keys["JP"].key, ledger.chain.chain_id + 1, ledger.contract)
    assert _refused(checker, foreign) == "not the current key of an active office"


def test_a_tampered_or_malformed_request_is_refused(ledger: Ledger, checker: RequestChecker) -> None:
    body = ledger.body()
    tampered = {**body, "request": {**body["request"], "expiry": body["request"]["expiry"] - 1}}
    assert _refused(checker, tampered) == "not the current key of an active office"
    assert _refused(checker, {**body, "extra": 1}) == "not {request, signature}"
    assert _refused(checker, {**body, "request": {**body["request"], "office": "jp"}}) == "malformed request"
    assert _refused(checker, {**body, "request": {**body["request"], "expiry": True}}) == "malformed request"
    assert _refused(checker, {**body, "signature": "0x00"}) == "malformed signature"
    assert _refused(checker, {**body, "signature": "0x" + "00" * 65}) in (
        "signature does not recover",
        "not the current key of an active office",
    )
    assert _refused(checker, ["not", "an", "object"]) == "not {request, signature}"
    # The other kind of request is not read as this one.
    document = PriorityDocumentRequest("JP", b"\x01" * 32, 1, b"\x02" * 32, new_nonce(), NOW + 60)
    signed = sign_request(document, ledger.keys["JP"].key, ledger.chain.chain_id, ledger.contract)
    assert _refused(checker, signed) == "malformed request"
    assert checker.check_priority_document(signed, not_found=NOT_FOUND).version == 1


def test_a_request_member_that_is_not_an_object_is_refused_and_counted(ledger: Ledger) -> None:
    seen: list[tuple[str, str, str]] = []
    observed = RequestChecker(
        ledger.chain, ledger.contract, NonceStore(":memory:"), clock=lambda: NOW, observe=lambda *a: seen.append(a)
    )
    for body in ({"request": True, "signature": None, "x": 1}, {"request": [], "signature": "0x"}, True):
        _refused(observed, body)
    assert seen == [("incoming", "?", "refused")] * 3


def test_a_key_rotated_out_is_refused_and_the_new_one_accepted() -> None:
    ledger = Ledger()  # its own chain: the rotation must not change the other tests' JP
    checker = RequestChecker(ledger.chain, ledger.contract, NonceStore(":memory:"), clock=lambda: NOW)
    old = ledger.keys["JP"]
    new = ledger.chain.new_account()
    ledger.client("JP").rotate_office_key("JP", new.address)  # an active office rotates its own key at once
    assert _refused(checker, ledger.body(key=old)) == "not the current key of an active office"
    assert checker.check_report(ledger.body(key=new), not_found=NOT_FOUND).office == "JP"


def test_a_suspended_office_is_refused() -> None:
    ledger = Ledger()
    checker = RequestChecker(ledger.chain, ledger.contract, NonceStore(":memory:"), clock=lambda: NOW)
    checker.check_report(ledger.body("US"), not_found=NOT_FOUND)
    ledger.registrar.suspend_office("US")  # governance delay 0 on the embedded chain: at once
    assert _refused(checker, ledger.body("US")) == "not the current key of an active office"


# ── the sender, against a real HTTP server ──────────────────────────────────────────────


class _Holder(BaseHTTPRequestHandler):
    def log_message(self, *_args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        path = self.path
        if path == "/ok":
            self._answer(200, b"the report")
        elif path == "/big":
            self._answer(200, b"x" * 2048)
        elif path == "/big-unannounced":
            self.send_response(200)
            self.send_header("Content-Type", "application/pdf")
            self.end_headers()
            self.wfile.write(b"x" * 4096)  # no Content-Length: read until the connection closes
            self.close_connection = True
        elif path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/ok")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/gzip":
            packed = gzip.compress(b"x" * 100_000)
            self.send_response(200)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(packed)))
            self.end_headers()
            self.wfile.write(packed)
        elif path == "/slow":
            time.sleep(1.5)
            self._answer(200, b"late")
        elif path == "/fail":
            self._answer(500, b"oops")
        else:
            self._answer(404, b'{"error": {"code": "NOT_FOUND"}}')

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/pdf")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def holder() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Holder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _sender(endpoint: str | None, timeout: float = 5.0) -> tuple[GatewaySender, list[tuple[str, str, str]]]:
    seen: list[tuple[str, str, str]] = []
    sender = GatewaySender(
        lambda office: endpoint if office == "US" else None,
        timeout=timeout,
        observe=lambda *labels: seen.append(labels),
    )
    return sender, seen


def _unavailable(sender: GatewaySender, path: str, max_bytes: int = 1024, holder: str = "US") -> str:
    with pytest.raises(errors.HolderUnavailable) as unavailable:
        sender.post(holder, path, {"request": {}, "signature": "0x"}, max_bytes=max_bytes, not_found=NOT_FOUND)
    return unavailable.value.message


def test_an_answer_within_the_limit_is_received(holder: str) -> None:
    sender, seen = _sender(holder)
    answer = sender.post("US", "/ok", {"request": {}}, max_bytes=1024, not_found=NOT_FOUND)
    assert answer.content == b"the report"
    assert answer.content_type == "application/pdf"
    assert seen == [("outgoing", "US", "ok")]


def test_an_oversized_answer_is_refused_announced_or_not(holder: str) -> None:
    sender, seen = _sender(holder)
    assert "more than 1024 bytes" in _unavailable(sender, "/big")
    assert "more than 1024 bytes" in _unavailable(sender, "/big-unannounced")
    assert seen[-1] == ("outgoing", "US", "unavailable")


def test_a_redirect_is_not_followed(holder: str) -> None:
    assert "redirect" in _unavailable(_sender(holder)[0], "/redirect")


def test_an_encoded_answer_is_refused(holder: str) -> None:
    assert "encoded" in _unavailable(_sender(holder)[0], "/gzip", max_bytes=200_000)


def test_a_slow_holder_times_out(holder: str) -> None:
    started = time.monotonic()
    assert "cannot be reached" in _unavailable(_sender(holder, timeout=0.5)[0], "/slow")
    assert time.monotonic() - started < 1.4


def test_a_failing_unreachable_or_missing_holder_is_unavailable(holder: str) -> None:
    assert "answered 500" in _unavailable(_sender(holder)[0], "/fail")
    assert "cannot be reached" in _unavailable(_sender(f"http://127.0.0.1:{free_port()}")[0], "/ok")
    assert "no gateway endpoint" in _unavailable(_sender(holder)[0], "/ok", holder="JP")
    assert "not an http(s) URL" in _unavailable(_sender("ftp://127.0.0.1/")[0], "/ok")


def test_the_holder_s_404_stays_a_404(holder: str) -> None:
    sender, seen = _sender(holder)
    with pytest.raises(errors.NotFound) as not_found:
        sender.post("US", "/unknown", {}, max_bytes=1024, not_found=NOT_FOUND)
    assert not_found.value.message == NOT_FOUND
    assert seen == [("outgoing", "US", "notFound")]


# ── through the API: a refusal is the unknown id's 404, byte for byte ───────────────────


def test_through_the_api_every_refusal_is_the_same_404_and_an_unreachable_holder_503(ledger: Ledger) -> None:
    service = RegistryService(ledger.chain, Index(":memory:", ledger.chain, ledger.contract), ledger.contract)
    known = secrets.token_bytes(32)
    router = APIRouter()

    # A route of its own (the app's POST /v1/gateway/reports/{reportId} is tests/api/test_reports.py's): the checker
    # alone, through the API's dependencies and error envelope.
    @router.post("/v1/test-gateway/reports/{report_id}")
    async def report(report_id: str, body: dict[str, Any], checker: GatewayChecker) -> dict[str, str]:
        if report_id != "0x" + known.hex():
            raise errors.NotFound(NOT_FOUND)
        request = checker.check_report(body, not_found=NOT_FOUND)
        if request.report_id != known:
            raise errors.NotFound(NOT_FOUND)
        return {"office": request.office}

    @router.post("/fetch")
    async def fetch(sender: GatewaySenderDep) -> dict[str, str]:
        sender.post("US", "/v1/gateway/reports/x", {}, max_bytes=10, not_found=NOT_FOUND)
        return {}

    app = create_app(service, TokenStore(), follow_index=False, rate_limit=0)
    app.include_router(router)
    with TestClient(app) as client:
        path = "/v1/test-gateway/reports/0x" + known.hex()
        good = ReportRequest("JP", known, b"\x00" * 32, new_nonce(), expiry_in())
        body = sign_request(good, ledger.keys["JP"].key, ledger.chain.chain_id, ledger.contract)
        assert client.post(path, json=body).json() == {"office": "JP"}
        unknown = client.post("/v1/test-gateway/reports/0x" + "00" * 32, json=body)
        replayed = client.post(path, json=body)
        expired = ReportRequest("JP", known, b"\x00" * 32, new_nonce(), expiry_in(-120))
        late = client.post(
            path, json=sign_request(expired, ledger.keys["JP"].key, ledger.chain.chain_id, ledger.contract)
        )
        assert unknown.status_code == replayed.status_code == late.status_code == 404
        assert unknown.content == replayed.content == late.content
        unavailable = client.post("/fetch")
        assert unavailable.status_code == 503
        assert unavailable.json()["error"]["code"] == "HOLDER_UNAVAILABLE"
        assert int(unavailable.headers["Retry-After"]) > 0
