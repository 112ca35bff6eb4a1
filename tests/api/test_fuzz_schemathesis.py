"""Schemathesis fuzzes every operation of the served OpenAPI contract (issue 7, item 3).

The schema is read from the running app (``/openapi.json``), as a client would read it; requests
are generated from it, valid and invalid, and sent with an office's bearer token. Every answer must
hold to the contract of docs/api.md and of the schema itself:

- never a 5xx (``not_a_server_error``: the API answers every request it can read, LEDGER_UNAVAILABLE
  aside, which an embedded chain cannot produce);
- its status code is documented for the operation, its content type too;
- its body matches the documented schema (``response_schema_conformance``);
- every 4xx body is the one error envelope ``{"error": {"code", "message", "details": [...]}}``,
  and every ``details[].code`` is in the one documented vocabulary (:data:`api.vocabulary.DETAIL_CODES`:
  never a pydantic type name nor a Solidity error name; issue 19);
- a request the schema forbids is refused with a 4xx (``negative_data_rejection``).

Generation is derandomized and the example database is off, so CI sees the same requests every run.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import MAX_BODY_BYTES, create_app
from api.auth import TokenStore
from api.vocabulary import DETAIL_CODES
from registry.domain import accesscodes
from registry.domain.filings import ClaimInput, FilingInput
from registry.domain.types import IpRightKind
from registry.service import RegistryService
from tests.api.conftest import build_service

OFFICE = "US"
# Examples per operation and generation mode (valid and invalid requests): 11 operations send
# about 2,400 requests (GET /v1/offices has no invalid request), ~30-40 s on one core.
EXAMPLES = 130
MIN_CASES = 2_000

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@dataclass
class Tally:
    """What the fuzzer sent and what it found."""

    cases: int = 0
    by_operation: dict[str, int] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)

    def fail(self, key: str, report: str) -> None:
        self.failures.setdefault(key, report)


def _envelope_problem(body: Any) -> str | None:
    """Why a 4xx/5xx body is not the docs/api.md#errors error envelope (None when it is)."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(body, dict) or set(body) != {"error"} or not isinstance(error, dict):
        return f"not an envelope: {str(body)[:200]}"
    if not isinstance(error.get("code"), str) or not isinstance(error.get("message"), str):
        return f"envelope without code or message: {error}"
    details = error.get("details")
    if not isinstance(details, list) or not all(
        isinstance(d, dict) and isinstance(d.get("code"), str) and isinstance(d.get("message"), str) for d in details
    ):
        return f"envelope details are not a list of {{code, message}}: {details}"
    unknown = [d["code"] for d in details if d["code"] not in DETAIL_CODES]
    if unknown:
        return f"detail codes outside the vocabulary of docs/api.md#error-detail-codes (api.vocabulary): {unknown}"
    return None


@dataclass(frozen=True)
class Seed:
    """Applications on the ledger before fuzzing, so that generated requests also reach them."""

    commitments: tuple[str, ...]
    priority: dict[str, str]  # a JP application a US filing can claim (verify's "priority")
    publication: dict[str, str]  # a US application the token's office may publish
    document: dict[str, str]  # documents/verify of the US application


def _seed(service: RegistryService) -> Seed:
    digest = hashlib.sha256(b"priority document").digest()
    jp_code, us_code = str(accesscodes.generate()), str(accesscodes.generate())
    jp = service.anchor("JP", FilingInput("2017-187096", dt.date(2017, 9, 27), IpRightKind.PATENT, access_code=jp_code))
    claim = ClaimInput("JP", "2017-187096", dt.date(2017, 9, 27), jp_code)
    us = service.anchor(
        OFFICE,
        FilingInput(
            "16/123,456", dt.date(2018, 9, 6), IpRightKind.PATENT, digest, access_code=us_code, priority_claims=(claim,)
        ),
    )
    return Seed(
        commitments=tuple("0x" + o.prepared.commitment.hex() for o in (jp, us)),
        priority={
            "ipOfficeCode": "JP",
            "applicationNumber": "2017-187096",
            "filingDate": "2017-09-27",
            "accessCode": jp_code,
        },
        publication={"applicationNumber": "16/123,456", "accessCode": us_code},
        document={
            "ipOfficeCode": OFFICE,
            "applicationNumber": "16/123,456",
            "accessCode": us_code,
            "documentDigest": digest.hex(),
        },
    )


@pytest.fixture(scope="module")
def app_and_token() -> Iterator[tuple[Any, str]]:
    service = build_service()
    store = TokenStore()
    token = store.issue(OFFICE)
    app = create_app(service, store, follow_index=False, rate_limit=0)
    app.state.seed = _seed(service)
    yield app, token
    from schemathesis.python import asgi

    asgi.shutdown_lifespans()


def _seeded(case: schemathesis.Case, seed: Seed, pick: int) -> schemathesis.Case:
    """Point a generated valid request at an application that is on the ledger (one in three).

    Random strings almost never make a readable application number, so without this the fuzzer
    would hardly ever see a 200 or 201 and their schemas would go unchecked. A notifications request
    never waits: a cursor past the head would hold each one up to 30 s (the long poll is
    tests/api/test_notifications.py's)."""
    if case.operation.path == "/v1/notifications" and isinstance(case.query, dict) and "wait" in case.query:
        case.query["wait"] = 0
    if pick % 3:
        return case
    if case.path_parameters and "commitment" in case.path_parameters:
        case.path_parameters["commitment"] = seed.commitments[pick % 2]
    body = case.body if isinstance(case.body, dict) else None
    path = case.operation.path
    if body is None:
        return case
    if path == "/v1/priority-claims/verify" and isinstance(body.get("later"), dict):
        body["priority"] = dict(seed.priority)
        body["later"]["ipOfficeCode"] = OFFICE
    elif path == "/v1/publications":
        body.update(seed.publication)
    elif path == "/v1/documents/verify" and case.media_type == "application/json":
        body.update(seed.document)
    elif path == "/v1/filings":
        body["applicationNumber"] = f"17/{pick % 1_000_000:06d}"
        body["filingDate"] = "2019-03-01"
        body.pop("priorityClaims", None)
        body.pop("parentApplication", None)
    return case


def _fuzz(operation: Any, mode: GenerationMode, auth: dict[str, str], tally: Tally, seed: Seed) -> None:
    """Send ``EXAMPLES`` generated requests to one operation and record what the checks say."""

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), pick=st.integers(0, 2**20))
    def run(case: schemathesis.Case, pick: int) -> None:
        if mode is GenerationMode.POSITIVE:
            case = _seeded(case, seed, pick)
        response = case.call(headers=auth)
        tally.cases += 1
        tally.by_operation[operation.label] = tally.by_operation.get(operation.label, 0) + 1
        tally.statuses[response.status_code] = tally.statuses.get(response.status_code, 0) + 1
        try:
            case.validate_response(response, checks=CHECKS, headers=auth)
        except FailureGroup as group:
            for failure in group.exceptions:
                tally.fail(f"{operation.label} {failure.code} {response.status_code}", str(group))
        if response.status_code >= 400:
            try:
                problem = _envelope_problem(response.json())
            except ValueError:
                problem = f"not JSON: {response.text[:200]!r}"
            if problem:
                tally.fail(f"{operation.label} envelope {response.status_code}", problem)

    before = tally.cases
    try:
        run()
    except Unsatisfiable:
        # An operation without parameters or body (GET /v1/offices) has no invalid request to make.
        if mode is not GenerationMode.NEGATIVE or tally.cases > before:
            raise


@pytest.mark.slow
def test_every_generated_request_gets_a_documented_answer(app_and_token: tuple[Any, str]) -> None:
    app, token = app_and_token
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    auth = {"Authorization": f"Bearer {token}"}
    tally = Tally()
    started = time.monotonic()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10, [op.label for op in operations]
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, auth, tally, app.state.seed)
    seconds = time.monotonic() - started
    print(f"\nschemathesis: {tally.cases} cases over {len(operations)} operations in {seconds:.1f} s")
    print(f"  by status: {dict(sorted(tally.statuses.items()))}")
    for label, count in sorted(tally.by_operation.items()):
        print(f"  {count:5d}  {label}")
    assert not tally.failures, "\n\n".join(f"{k}\n{v}" for k, v in tally.failures.items())
    assert tally.cases >= MIN_CASES


# ── the body-size limit cannot be walked around with a chunked body ─────────────────────────────

CHUNK = 256 * 1024


def _send_chunked(app: Any, path: str, content_type: str, chunks: Iterator[bytes], token: str) -> tuple[int, Any, int]:
    """Send a body in chunks without Content-Length (Transfer-Encoding: chunked), straight to the ASGI app.

    Returns the status, the JSON body of the answer and how many bytes the app read."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", content_type.encode()),
            (b"transfer-encoding", b"chunked"),
            (b"authorization", f"Bearer {token}".encode()),
        ],
        "client": ("testclient", 50000),
        "server": ("testserver", 80),
    }
    read = 0
    status = 0
    body = b""
    pending = iter(chunks)

    async def receive() -> dict[str, Any]:
        nonlocal read
        chunk = next(pending, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        read += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, body
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            body += message.get("body", b"")

    asyncio.run(app(scope, receive, send))
    return status, json.loads(body), read


def _json_chunks(total: int) -> Iterator[bytes]:
    """A JSON document of about ``total`` bytes (one long string), in chunks."""
    yield b'{"applicationNumber": "'
    for _ in range(total // CHUNK):
        yield b"1" * CHUNK
    yield b'"}'


def _multipart_chunks(total: int) -> Iterator[bytes]:
    yield b'--B\r\nContent-Disposition: form-data; name="file"; filename="d.pdf"\r\n\r\n'
    for _ in range(total // CHUNK):
        yield b"%" * CHUNK
    yield b"\r\n--B--\r\n"


@pytest.mark.parametrize(
    ("path", "content_type", "chunks"),
    [
        ("/v1/filings", "application/json", _json_chunks),
        ("/v1/filing-batches", "application/json", _json_chunks),
        ("/v1/priority-claims/verify", "application/json", _json_chunks),
        ("/v1/documents/verify", "application/json", _json_chunks),
        ("/v1/documents/verify", "multipart/form-data; boundary=B", _multipart_chunks),
    ],
)
def test_a_chunked_body_over_the_limit_is_refused_with_413_and_not_read_to_the_end(
    app_and_token: tuple[Any, str], path: str, content_type: str, chunks: Any
) -> None:
    app, token = app_and_token
    status, body, read = _send_chunked(app, path, content_type, chunks(MAX_BODY_BYTES + 4 * CHUNK), token)
    assert status == 413, body
    assert body["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert _envelope_problem(body) is None
    assert read <= MAX_BODY_BYTES + CHUNK


def test_a_chunked_body_under_the_limit_is_read_as_usual(app_and_token: tuple[Any, str]) -> None:
    app, token = app_and_token
    status, body, _read = _send_chunked(app, "/v1/filings", "application/json", _json_chunks(2 * CHUNK), token)
    assert status == 422, body  # read whole, then refused for what it says: no filingDate, no kind
    assert body["error"]["code"] == "INVALID_INPUT_DATA"
