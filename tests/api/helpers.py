"""Request bodies and shape checks shared by the API tests (docs/api.md is the contract they check)."""

from __future__ import annotations

import datetime as _dt
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn
from starlette.types import ASGIApp

from api.protocol import BoundedHttpToolsProtocol
from registry.domain.accesscodes import generate

COMMITMENT = re.compile(r"^0x[0-9a-f]{64}$")
TX_HASH = re.compile(r"^0x[0-9a-f]{64}$")


def filing(number: str, day: str, kind: str = "patent", **extra: Any) -> dict[str, Any]:
    """A ``POST /v1/filings`` body."""
    return {"applicationNumber": number, "filingDate": day, "ipRightKind": kind, **extra}


def claim(office: str, number: str, day: str, access_code: str) -> dict[str, Any]:
    """A priority claim as the applicant gives it."""
    return {"ipOfficeCode": office, "applicationNumber": number, "filingDate": day, "accessCode": access_code}


def verify_body(priority: dict[str, Any], office: str, day: str, kind: str = "patent", **later: Any) -> dict[str, Any]:
    """A ``POST /v1/priority-claims/verify`` body."""
    return {"priority": priority, "later": {"ipOfficeCode": office, "filingDate": day, "ipRightKind": kind, **later}}


def fresh_access_code() -> str:
    """A well-formed access code nobody anchored anything under."""
    return str(generate())


def is_iso_date(value: object) -> bool:
    """``YYYY-MM-DD`` and a real date."""
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    _dt.date.fromisoformat(value)
    return True


def assert_envelope(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The answer is exactly ``{"error": {"code", "message", "details": [...]}}`` with that status and code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, error
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"].strip(), error
    assert "Traceback" not in response.text
    assert isinstance(error["details"], list)
    for detail in error["details"]:
        assert {"code", "message"} <= set(detail) <= {"code", "message", "target"}, detail
        assert isinstance(detail["code"], str) and detail["code"]
        assert isinstance(detail["message"], str)
    result: dict[str, Any] = error
    return result


def assert_ledger(ledger: dict[str, Any]) -> None:
    """``{transactionHash, blockNumber}``."""
    assert set(ledger) == {"transactionHash", "blockNumber"}
    assert TX_HASH.match(ledger["transactionHash"])
    assert isinstance(ledger["blockNumber"], int) and ledger["blockNumber"] > 0


VERIFICATION_KEYS = {
    "verdict",
    "checks",
    "priorityPeriodEnd",
    "restorationPeriodEnd",
    "registered",
    "restoration",
    "evidence",
}
EVIDENCE_KEYS = {
    "chainId",
    "contract",
    "blockNumber",
    "blockHash",
    "transactionHash",
    "headBlock",
    "batchRoot",
    "proof",
    "entry",
    "rulesVersion",
    "input",
}


def assert_evidence(evidence: dict[str, Any]) -> None:
    """The ``evidence`` of a registered verification, by docs/api.md#evidence."""
    assert set(evidence) == EVIDENCE_KEYS, evidence
    assert isinstance(evidence["chainId"], int)
    assert TX_HASH.match(evidence["transactionHash"]) and TX_HASH.match(evidence["blockHash"])
    assert 0 < evidence["blockNumber"] <= evidence["headBlock"]
    batched = evidence["batchRoot"] is not None
    assert (evidence["proof"] is not None) is batched and (evidence["entry"] is not None) is batched, evidence
    if batched:
        assert COMMITMENT.match(evidence["batchRoot"])
        assert all(COMMITMENT.match(node) for node in evidence["proof"])
        assert re.fullmatch(r"0x(?:[0-9a-f]{2}){38,}", evidence["entry"])
    assert re.fullmatch(r"\d+\.\d+\.\d+.*\+.+", evidence["rulesVersion"])
    assert set(evidence["input"]) == {"priority", "later"}
    assert set(evidence["input"]["priority"]) == {"ipOfficeCode", "applicationNumber", "filingDate"}
    assert "accessCode" not in json.dumps(evidence)


def assert_verification(answer: dict[str, Any]) -> None:
    """The whole answer of the verify endpoint, by docs/api.md#verifying-a-claim."""
    assert set(answer) == VERIFICATION_KEYS, answer
    assert answer["verdict"] in {"valid", "restorable", "invalid", "notFound"}
    for check in answer["checks"]:
        assert set(check) == {"name", "passed", "severity", "message"}
        assert check["severity"] in {"error", "warning"}
        assert isinstance(check["passed"], bool)
    for key in ("priorityPeriodEnd", "restorationPeriodEnd"):
        assert answer[key] is None or is_iso_date(answer[key])
    registered = answer["registered"]
    if registered is not None:
        assert set(registered) == {"commitment", "ipOfficeCode", "filingDate", "ipRightKind", "version"}
        assert COMMITMENT.match(registered["commitment"])
        assert is_iso_date(registered["filingDate"])
        assert_evidence(answer["evidence"])
    else:
        assert answer["evidence"] is None, answer


def assert_filing_answer(answer: dict[str, Any]) -> None:
    """The 201 answer of ``POST /v1/filings`` (and each item of a batch answer)."""
    assert set(answer) == {
        "commitment",
        "ipOfficeCode",
        "applicationNumber",
        "filingDate",
        "ipRightKind",
        "accessCode",
        "priorityClaims",
        "ledger",
    }, answer
    assert COMMITMENT.match(answer["commitment"])
    assert is_iso_date(answer["filingDate"])
    assert re.fullmatch(r"[0-9A-Z*~$=]{4}(-[0-9A-Z*~$=]{4}){3}-[0-9A-Z*~$=]", answer["accessCode"])
    for item in answer["priorityClaims"]:
        assert set(item) == {"commitment", "verification"}
        assert COMMITMENT.match(item["commitment"])
        assert_verification(item["verification"])
    assert_ledger(answer["ledger"])


def check(answer: dict[str, Any], name: str) -> dict[str, Any]:
    """The named check of a verification."""
    (found,) = [c for c in answer["checks"] if c["name"] == name]
    result: dict[str, Any] = found
    return result


@contextmanager
def on_uvicorn(app: ASGIApp, **config: Any) -> Iterator[int]:
    """``app`` on uvicorn in a thread, as ``prioreg serve`` runs it (the bounded request head of
    :mod:`api.protocol`), on a free loopback port: the port, until the block ends."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(
        uvicorn.Config(app, http=BoundedHttpToolsProtocol, log_config=None, access_log=False, **config)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield int(sock.getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
