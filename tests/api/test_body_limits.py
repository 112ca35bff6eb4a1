"""No request body can take the gateway down (docs/design.md#p10-no-request-can-take-the-gateway-down, issue 12 item 1).

The regression first: ~200 KB of nested JSON posted to the verify endpoint ended ``prioreg serve``
with SIGSEGV, because py_ecc (imported by eth-account) raises the interpreter's recursion limit to
100,000 and the ``json`` decoder's C recursion overflowed the stack before that limit was reached.
That test runs a real ``prioreg serve`` process and checks that it answers afterwards. The others
drive the ASGI app: every body beyond a limit — deep, long, many items, chunked without a length —
is refused in the envelope before any route runs, and bodies inside the limits are unaffected.

A body that does not arrive (a ``Content-Length`` the client never fills, a trickle) is 408 after the read
timeout: tested over raw sockets against uvicorn serving the app (an HTTP client would send the whole body), with
the timeout set to half a second, and once against ``prioreg serve`` with ``PRIOREG_BODY_READ_TIMEOUT``.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import TokenStore
from api.limits import BODY_READ_TIMEOUT, MAX_BODY_BYTES, PACKAGE_BODY_BYTES, BodyGuard, BodyLimits
from registry.ops.config import Settings
from tests.api.conftest import Api
from tests.api.helpers import assert_envelope, claim, filing, fresh_access_code, on_uvicorn, verify_body
from tests.reliability.support import ROOT, soak

JSON = {"content-type": "application/json"}
VERIFY = "/v1/priority-claims/verify"


def _nested_arrays(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def _nested_objects(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


def _good_verify_body() -> dict[str, Any]:
    return verify_body(claim("JP", "2017-187096", "2017-09-27", fresh_access_code()), "US", "2018-09-06")


@pytest.mark.slow
def test_the_nested_body_that_killed_the_server_is_a_422_and_the_server_keeps_answering(tmp_path: Path) -> None:
    server = soak.ServerProcess(tmp_path / "state", tmp_path / "tokens.json", log_path=tmp_path / "server.log")
    server.start()
    try:
        with httpx.Client(base_url=server.base_url, timeout=60.0) as client:
            for body in (_nested_arrays(100_000), _nested_objects(50_000), b'{"priority": ' + _nested_arrays(300_000)):
                response = client.post(VERIFY, content=body, headers=JSON)
                error = assert_envelope(response, 422, "INVALID_INPUT_DATA")
                assert error["details"][0]["code"] == "tooDeep"
            # The same body without a Content-Length (chunked) is refused the same way.
            chunked = client.post(VERIFY, content=iter([_nested_arrays(100_000)]), headers=JSON)
            assert_envelope(chunked, 422, "INVALID_INPUT_DATA")
            assert server.process is not None and server.process.poll() is None, "the server died"
            assert client.get("/v1/health").status_code == 200
            answer = client.post(VERIFY, json=_good_verify_body())
            assert answer.status_code == 200, answer.text
            assert answer.json()["verdict"] == "notFound"
    finally:
        server.stop()


def test_importing_the_ledger_libraries_leaves_the_recursion_limit_where_it_was() -> None:
    # A fresh interpreter: in this one they are long imported. py_ecc alone used to set 100,000.
    script = (
        "import sys; before = sys.getrecursionlimit(); import registry; import eth_account, py_ecc, eth;"
        " from registry.ledger.chain import Chain; Chain.embedded(); print(before, sys.getrecursionlimit())"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True)
    before, after = out.stdout.split()
    assert after == before == "1000"


@pytest.mark.parametrize(
    ("body", "code", "target"),
    [
        (_nested_arrays(33), "tooDeep", "[0]" * 32),
        (_nested_objects(33), "tooDeep", ".".join(["a"] * 32)),
        (_nested_arrays(100_000), "tooDeep", None),
        (b'{"priority": {"applicationNumber": "' + b"1" * (2**20 + 1) + b'"}}', "stringTooLong", None),
        (b'{"' + b"k" * 257 + b'": 1}', "keyTooLong", None),
        (b"[" + b",".join([b"0"] * 10_001) + b"]", "tooManyItems", None),
        (b'{"priority": {"ipOfficeCode": NaN}}', "jsonInvalid", None),
        (b'{"priority": {"ipOfficeCode": 1e400}}', "numberOutOfRange", "priority.ipOfficeCode"),
        (b'{"priority": {"ipOfficeCode": "JP",}}', "jsonInvalid", None),
        (b'{"priority": "\\ud800"}', "jsonInvalid", None),
    ],
    ids=[
        "arrays 33 deep",
        "objects 33 deep",
        "arrays 100000 deep",
        "a 1 MiB string",
        "a 257-character key",
        "10001 items",
        "NaN",
        "1e400",
        "trailing comma",
        "lone surrogate",
    ],
)
def test_a_body_beyond_a_limit_is_422_naming_the_limit(api: Api, body: bytes, code: str, target: str | None) -> None:
    error = assert_envelope(api.client.post(VERIFY, content=body, headers=JSON), 422, "INVALID_INPUT_DATA")
    (detail,) = error["details"]
    assert detail["code"] == code, error
    if target is not None:
        assert detail["target"] == target
    assert len(json.dumps(error)) < 2_000  # the answer never echoes the body


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-32"])
def test_json_in_the_encodings_the_standard_decoder_reads_still_passes(api: Api, encoding: str) -> None:
    body = json.dumps(_good_verify_body()).encode(encoding)
    answer = api.client.post(VERIFY, content=body, headers=JSON)
    assert answer.status_code == 200, answer.text


def test_a_body_at_the_depth_limit_reaches_the_route(api: Api) -> None:
    # 32 levels pass the parser; the schema then refuses the shape with its own detail.
    body = b'{"priority": ' + _nested_arrays(31) + b', "later": {}}'
    error = assert_envelope(api.client.post(VERIFY, content=body, headers=JSON), 422, "INVALID_INPUT_DATA")
    assert all(d["code"] != "tooDeep" for d in error["details"])


def test_a_batch_of_10001_filings_and_a_filing_of_10001_claims_are_refused_before_the_schema(api: Api) -> None:
    one = json.dumps(filing("2017-187096", "2017-09-27"))
    batch = ('{"filings": [' + ",".join([one] * 10_001) + "]}").encode()
    error = assert_envelope(
        api.client.post("/v1/filing-batches", content=batch, headers={**JSON, **api.auth("JP")}),
        422,
        "INVALID_INPUT_DATA",
    )
    assert error["details"] == [
        {"code": "tooManyItems", "message": error["message"], "target": "filings"},
    ]
    claims = json.dumps(filing("2017-187096", "2017-09-27", priorityClaims=[{}] * 10_001)).encode()
    error = assert_envelope(
        api.client.post("/v1/filings", content=claims, headers={**JSON, **api.auth("JP")}), 422, "INVALID_INPUT_DATA"
    )
    assert error["details"][0]["target"] == "priorityClaims"


def test_a_body_of_a_million_values_is_refused(api: Api) -> None:
    rows = ",".join(["[" + ",".join(["0"] * 10_000) + "]"] * 101)
    error = assert_envelope(
        api.client.post(VERIFY, content=f"[{rows}]".encode(), headers=JSON), 422, "INVALID_INPUT_DATA"
    )
    assert error["details"][0]["code"] == "tooManyValues"


def test_a_deep_body_is_refused_whatever_its_content_type_says(api: Api) -> None:
    # /v1/documents/verify reads any body that is not multipart as JSON itself. A media type it does
    # not take is refused before a byte of the body is read (issue 19: 415); JSON is bounded.
    for content_type in ("text/plain", "application/octet-stream", "application/vnd.api+json"):
        response = api.client.post(
            "/v1/documents/verify", content=_nested_arrays(50_000), headers={"content-type": content_type}
        )
        assert assert_envelope(response, 415, "UNSUPPORTED_MEDIA_TYPE")["details"][0]["code"] == "unsupportedMediaType"
    response = api.client.post("/v1/documents/verify", content=_nested_arrays(50_000), headers=JSON)
    assert assert_envelope(response, 422, "INVALID_INPUT_DATA")["details"][0]["code"] == "tooDeep"


def _chunks(parts: list[bytes]) -> Iterator[bytes]:
    yield from parts


def test_a_chunked_deep_body_without_content_length_is_refused(api: Api) -> None:
    body = _nested_arrays(60_000)
    parts = [body[i : i + 4096] for i in range(0, len(body), 4096)]
    response = api.client.post(VERIFY, content=_chunks(parts), headers=JSON)
    assert "content-length" not in {k.lower() for k in response.request.headers}
    assert assert_envelope(response, 422, "INVALID_INPUT_DATA")["details"][0]["code"] == "tooDeep"


def test_a_declared_length_over_the_limit_is_413_before_the_route_or_the_token_check(api: Api) -> None:
    headers = {**JSON, "content-length": str(MAX_BODY_BYTES + 1)}
    response = api.client.post("/v1/filings", content=b"{}", headers=headers)  # no token either
    error = assert_envelope(response, 413, "PAYLOAD_TOO_LARGE")
    assert error["details"][0]["code"] == "bodyTooLarge"
    assert "16 MB" in error["message"]


def test_the_size_limit_is_set_per_route() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("not called")

    guard = BodyGuard(app, BodyLimits())
    assert guard.max_bytes_for(VERIFY) == MAX_BODY_BYTES == 16 * 2**20
    assert guard.max_bytes_for("/v1/filing-batches") == MAX_BODY_BYTES
    # docs/spec/packages.md#upload-limits: the package endpoints take 65 MB (the routes themselves come with issue R26).
    assert guard.max_bytes_for("/v1/applications/0x" + "ab" * 32 + "/priority-document") == PACKAGE_BODY_BYTES
    assert guard.max_bytes_for("/v1/priority-documents/verify") == PACKAGE_BODY_BYTES == 65 * 2**20
    assert guard.max_bytes_for("/v1/applications/0x" + "ab" * 32) == MAX_BODY_BYTES


def test_a_route_with_its_own_limit_takes_more_than_the_others(api: Api) -> None:
    limits = BodyLimits(max_bytes=2_000, per_route={VERIFY: 8_000})
    store = TokenStore()
    token = store.issue("JP")
    padded = dict(_good_verify_body(), padding=" " * 3_000)  # 3 KB: over 2,000, under 8,000
    with TestClient(create_app(api.service, store, follow_index=False, body_limits=limits)) as client:
        big = json.dumps(padded).encode()
        refused = client.post("/v1/filings", content=big, headers={**JSON, "Authorization": f"Bearer {token}"})
        assert "2,000 bytes" in assert_envelope(refused, 413, "PAYLOAD_TOO_LARGE")["message"]
        # Past the guard: the schema refuses the unknown field, as it would any other time.
        reached = client.post(VERIFY, content=big, headers=JSON)
        assert assert_envelope(reached, 422, "INVALID_INPUT_DATA")["details"][0]["target"] == "padding"
        assert client.post(VERIFY, json=_good_verify_body()).status_code == 200


# ── a body that does not arrive ─────────────────────────────────────────────────────────────

READ_TIMEOUT = 0.5


@pytest.fixture(scope="module")
def served(api: Api) -> Iterator[int]:
    """The app on uvicorn (as ``prioreg serve`` runs it) on a free loopback port, with a half-second read timeout."""
    app = create_app(
        api.service, TokenStore(), follow_index=False, rate_limit=0, body_limits=BodyLimits(read_timeout=READ_TIMEOUT)
    )
    with on_uvicorn(app) as port:
        yield port


def _post_head(path: str, length: int, content_type: str = "application/json") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nhost: t\r\ncontent-type: {content_type}\r\ncontent-length: {length}\r\n\r\n"
    ).encode()


def _answer(conn: socket.socket, *, until_closed: bool = True) -> tuple[bytes, dict[str, Any], bytes]:
    """The head and the JSON body of one answer, and (``until_closed``) what came after it before the server closed."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        assert chunk, f"the server closed without an answer: {data!r}"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.lower().split(b"\r\n")
    (length,) = [int(line.split(b":")[1]) for line in lines if line.startswith(b"content-length:")]
    while len(rest) < length:
        rest += conn.recv(65536)
    after = rest[length:]
    while until_closed and (chunk := conn.recv(65536)):
        after += chunk
    return head, json.loads(rest[:length]), after


def _timed_out(head: bytes, body: dict[str, Any]) -> None:
    assert head.startswith(b"HTTP/1.1 408 "), head
    assert b"connection: close" in head.lower()
    error = body["error"]
    assert error["code"] == "REQUEST_TIMEOUT" and set(error) == {"code", "message", "details"}
    assert [d["code"] for d in error["details"]] == ["bodyTimeout"]


def test_a_body_shorter_than_its_content_length_is_408_after_the_read_timeout(served: int) -> None:
    with socket.create_connection(("127.0.0.1", served), timeout=10) as conn:
        conn.sendall(_post_head(VERIFY, 100) + b'{"priority":')
        sent = time.monotonic()
        head, body, after = _answer(conn)
        waited = time.monotonic() - sent
    _timed_out(head, body)
    assert after == b""  # and the connection is closed: the missing bytes are never taken as a next request
    assert READ_TIMEOUT * 0.9 <= waited < READ_TIMEOUT + 2.0, waited


def test_a_body_trickled_faster_than_the_timeout_but_slower_than_1_kib_a_second_is_408(served: int) -> None:
    with socket.create_connection(("127.0.0.1", served), timeout=10) as conn:
        conn.sendall(_post_head(VERIFY, 10_000))
        started = time.monotonic()
        answered = b""
        conn.settimeout(READ_TIMEOUT / 3)
        while not answered and time.monotonic() - started < 10:
            try:
                conn.sendall(b" ")  # one byte every READ_TIMEOUT / 3 seconds: never idle for a whole timeout
                answered = conn.recv(65536)
            except TimeoutError:
                continue
        waited = time.monotonic() - started
    head, _, body = answered.partition(b"\r\n\r\n")
    _timed_out(head, json.loads(body))
    assert waited < READ_TIMEOUT + 2.0, waited


def test_a_stalled_multipart_upload_is_408_too(served: int) -> None:
    start = b'--b\r\ncontent-disposition: form-data; name="file"; filename="d.pdf"\r\n\r\n%PDF-1.7'
    with socket.create_connection(("127.0.0.1", served), timeout=10) as conn:
        conn.sendall(_post_head("/v1/documents/verify", 10_000, "multipart/form-data; boundary=b") + start)
        head, body, after = _answer(conn)
    _timed_out(head, body)
    assert after == b""


def test_a_body_that_pauses_less_than_the_timeout_is_read_and_the_server_keeps_answering(served: int) -> None:
    for _ in range(3):  # requests that timed out hold nothing: three more stall and end in turn
        with socket.create_connection(("127.0.0.1", served), timeout=10) as conn:
            conn.sendall(_post_head(VERIFY, 50) + b"{")
            _timed_out(*_answer(conn)[:2])
    body = json.dumps(_good_verify_body()).encode()
    with socket.create_connection(("127.0.0.1", served), timeout=10) as conn:
        conn.sendall(_post_head(VERIFY, len(body)) + body[:20])
        time.sleep(READ_TIMEOUT / 2)
        conn.sendall(body[20:])
        head, answer, _ = _answer(conn, until_closed=False)
    assert head.startswith(b"HTTP/1.1 200 "), head
    assert answer["verdict"] == "notFound"
    with httpx.Client(base_url=f"http://127.0.0.1:{served}", timeout=10) as client:
        assert client.get("/v1/health").status_code == 200


def test_the_read_timeout_is_a_setting_of_a_few_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRIOREG_BODY_READ_TIMEOUT", raising=False)
    assert Settings().body_read_timeout == BODY_READ_TIMEOUT == BodyLimits().read_timeout == 5.0
    monkeypatch.setenv("PRIOREG_BODY_READ_TIMEOUT", "1.5")
    assert Settings().body_read_timeout == 1.5
    for bad in ("0", "-1", "301", "soon"):
        monkeypatch.setenv("PRIOREG_BODY_READ_TIMEOUT", bad)
        with pytest.raises(ValueError, match="body_read_timeout"):
            Settings()


@pytest.mark.slow
def test_prioreg_serve_ends_a_stalled_body_after_prioreg_body_read_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRIOREG_BODY_READ_TIMEOUT", "1")
    # Two processes: the owner and a read worker (registry.cli.workers) each take the setting.
    log = tmp_path / "server.log"
    server = soak.ServerProcess(tmp_path / "state", tmp_path / "tokens.json", log_path=log, workers=2)
    server.start()
    try:
        conns = [socket.create_connection(("127.0.0.1", server.port), timeout=15) for _ in range(4)]
        started = time.monotonic()
        for conn in conns:
            conn.sendall(_post_head(VERIFY, 100) + b"{")
        for conn in conns:
            with conn:
                _timed_out(*_answer(conn)[:2])
        assert time.monotonic() - started < 6.0
        with httpx.Client(base_url=server.base_url, timeout=10.0) as client:
            assert client.get("/v1/health").status_code == 200
    finally:
        server.stop()
