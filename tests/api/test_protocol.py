"""The request head is bounded before anything reads it (api.protocol).

docs/design.md#p10-no-request-can-take-the-gateway-down.

A real uvicorn server with :class:`api.protocol.BoundedHttpToolsProtocol` on a free loopback port, spoken to over raw
sockets, since an HTTP client would refuse to send what is under test.
"""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from api.protocol import MAX_HEAD_BYTES
from tests.api.helpers import on_uvicorn


async def _app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    seen = sum(len(k) + len(v) for k, v in scope["headers"])
    body = json.dumps({"path": scope["path"], "headerBytes": seen}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    with on_uvicorn(_app, lifespan="off") as served:
        yield served


def _exchange(port: int, data: bytes) -> bytes:
    """Send ``data`` (as far as the server reads it) and read until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        try:
            conn.sendall(data)
            conn.shutdown(socket.SHUT_WR)
        except OSError:  # broken pipe, reset, not connected: the server closed while we were still sending
            pass  # what it answered is still to be read
        out = b""
        try:
            while chunk := conn.recv(65536):
                out += chunk
        except ConnectionResetError:
            pass
        return out


def _get(path: str, header: bytes = b"", *, close: bool = True) -> bytes:
    connection = b"connection: close\r\n" if close else b""
    return b"GET " + path.encode() + b" HTTP/1.1\r\nhost: t\r\n" + header + connection + b"\r\n"


def _refused(answer: bytes) -> dict[str, Any]:
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert b"connection: close" in head.lower()
    error: dict[str, Any] = json.loads(body)["error"]
    assert error["code"] == "REQUEST_HEADER_FIELDS_TOO_LARGE" and error["details"] == []
    return error


def test_a_head_under_the_bound_is_read_whole(port: int) -> None:
    header = b"x-big: " + b"a" * (MAX_HEAD_BYTES - 1024) + b"\r\n"
    answer = _exchange(port, _get("/ok", header))
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:200]
    assert json.loads(answer.partition(b"\r\n\r\n")[2])["headerBytes"] > MAX_HEAD_BYTES - 1024


def test_a_header_over_the_bound_is_a_431_in_the_envelope(port: int) -> None:
    error = _refused(_exchange(port, _get("/big", b"x-big: " + b"a" * (2 * MAX_HEAD_BYTES) + b"\r\n")))
    assert "64 KB" in error["message"]


def test_a_long_url_or_many_headers_count_alike(port: int) -> None:
    _refused(_exchange(port, _get("/" + "u" * (2 * MAX_HEAD_BYTES))))
    many = b"".join(b"x-h%d: %s\r\n" % (i, b"v" * 100) for i in range(1_000))
    _refused(_exchange(port, _get("/many", many)))


def test_a_huge_header_is_not_read_to_its_end(port: int) -> None:
    """200 MB in one header: the server answers and closes after ~64 KB, and the sender cannot send it all."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(b"GET /huge HTTP/1.1\r\nhost: t\r\nx-huge: ")
        sent, chunk = 0, b"a" * 65536
        with pytest.raises((BrokenPipeError, ConnectionResetError)):
            while sent < 200 * 2**20:
                conn.sendall(chunk)
                sent += len(chunk)
        assert sent < 32 * 2**20  # the kernel's buffers, not the server, took the rest


def test_the_bound_is_per_request_on_a_kept_alive_connection(port: int) -> None:
    """100 requests of 1 KB on one connection sum past the bound; only the one big head is refused."""
    small = _get("/small", b"x-s: " + b"s" * 1000 + b"\r\n", close=False)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        for _ in range(100):
            conn.sendall(small)
            answer = b""
            while not answer.endswith(b"}"):
                answer += conn.recv(65536)
            assert answer.startswith(b"HTTP/1.1 200 "), answer[:200]
        with contextlib.suppress(OSError):  # the server may close before all of it is sent
            conn.sendall(_get("/big", b"x-big: " + b"a" * (2 * MAX_HEAD_BYTES) + b"\r\n"))
        refused = b""
        while chunk := conn.recv(65536):
            refused += chunk
    _refused(refused)


def test_a_head_split_over_many_small_chunks_is_measured_whole(port: int) -> None:
    """A slow client: the head arrives 1 KB at a time, and its sum is what counts."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(b"GET /slow HTTP/1.1\r\nhost: t\r\n")
        try:
            for i in range(2 * MAX_HEAD_BYTES // 1024):
                conn.sendall(b"x-h%d: %s\r\n" % (i, b"v" * 1000))
                time.sleep(0.001)
        except OSError:
            pass
        refused = b""
        while chunk := conn.recv(65536):
            refused += chunk
    _refused(refused)


@pytest.mark.parametrize(
    "garbage",
    [
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40,
        b"GET / HTTP/9.9\r\n\r\n",
        b"GET / HTTP/1.1\r\nno colon\r\n\r\n",
    ],
    ids=["tls-hello", "http-9.9", "header-without-colon"],
)
def test_what_the_parser_cannot_read_is_a_400_in_the_envelope_and_the_connection_closes(
    port: int, garbage: bytes
) -> None:
    answer = _exchange(port, garbage)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 "), answer[:200]
    assert b"content-type: application/json" in head.lower() and b"connection: close" in head.lower()
    assert json.loads(body) == {
        "error": {"code": "BAD_REQUEST", "message": "the request is not HTTP/1.1 this gateway can read", "details": []}
    }
