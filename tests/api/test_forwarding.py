"""A read worker hands the owner what it cannot answer (api.forwarding; `prioreg serve --workers N`).

The owner here is a real uvicorn server on a Unix socket in a thread; the worker is an app behind
:class:`~api.forwarding.ForwardToOwner`, driven in process. The whole gateway, owner and workers
as processes, is tested in tests/registry/cli/test_serve_workers.py.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.testclient import TestClient

from api.errors import OWNER_NEEDED_HEADER, install_error_handlers
from api.forwarding import ForwardToOwner, answers_locally
from registry import errors


def _owner_app() -> FastAPI:
    owner = FastAPI()
    streams = {"open": 0}

    @owner.get("/v1/notifications")
    async def stream() -> StreamingResponse:
        async def events() -> AsyncIterator[bytes]:
            for n in range(3):
                yield f"id: {n}\nevent: tick\ndata: {{}}\n\n".encode()

        return StreamingResponse(events(), media_type="text/event-stream")

    @owner.get("/v1/notifications/endless")
    async def endless() -> StreamingResponse:
        async def events() -> AsyncIterator[bytes]:
            streams["open"] += 1
            try:
                while True:  # as the real stream: until its client goes away
                    yield b": keep-alive\n\n"
                    await asyncio.sleep(0.05)
            finally:
                streams["open"] -= 1

        return StreamingResponse(events(), media_type="text/event-stream")

    @owner.get("/streams")
    async def open_streams() -> dict[str, int]:
        return streams

    # Last: the catch-all would match everything above.
    @owner.api_route("/{path:path}", methods=["GET", "POST"])
    async def echo(path: str, request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "owner": True,
                "method": request.method,
                "path": "/" + path,
                "query": request.url.query,
                "body": (await request.body()).decode(),
                "worker": request.headers.get("x-prioreg-worker"),
                "authorization": request.headers.get("authorization"),
                "server": list(request.scope["server"]) if request.scope.get("server") else None,
            },
            status_code=201 if request.method == "POST" else 200,
            headers={"X-From": "owner"},
        )

    return owner


@pytest.fixture
def owner_socket(tmp_path: Path) -> Iterator[str]:
    path = tmp_path / "owner.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    sock.listen(256)
    server = uvicorn.Server(uvicorn.Config(_owner_app(), log_config=None, access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started
    yield str(path)
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def _worker_app(owner_socket: str) -> FastAPI:
    worker = FastAPI()
    install_error_handlers(worker)

    @worker.get("/v1/health")
    async def health() -> dict[str, bool]:
        return {"local": True}

    @worker.post("/v1/priority-claims/verify")
    async def verify(request: Request) -> dict[str, bool]:
        if (await request.json()).get("batched"):
            raise errors.OwnerNeeded("the transaction at block 7 needs the chain")
        return {"local": True}

    worker.add_middleware(ForwardToOwner, socket_path=owner_socket)
    return worker


def _worker(owner_socket: str) -> TestClient:
    return TestClient(_worker_app(owner_socket))


@pytest.fixture
def served_worker(owner_socket: str) -> Iterator[str]:
    """The worker under uvicorn on a loopback port: a client that goes away is seen as it is in a gateway."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(_worker_app(owner_socket), log_config=None, access_log=False, ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def test_a_worker_answers_its_reads_and_hands_the_rest_to_the_owner(owner_socket: str) -> None:
    with _worker(owner_socket) as client:
        assert client.get("/v1/health").json() == {"local": True}
        assert client.post("/v1/priority-claims/verify", json={}).json() == {"local": True}

        forwarded = client.post(
            "/v1/filings?dryRun=1", content=b'{"applicationNumber": "x"}', headers={"Authorization": "Bearer t"}
        )
        assert forwarded.status_code == 201
        assert forwarded.headers["x-from"] == "owner"
        body = forwarded.json()
        assert body["owner"] and body["path"] == "/v1/filings" and body["query"] == "dryRun=1"
        assert body["body"] == '{"applicationNumber": "x"}'
        assert body["authorization"] == "Bearer t"
        assert body["worker"] and body["worker"].isdigit()
        # It came over the owner's Unix socket: the owner's rate limit knows not to count it again.
        assert body["server"][1] is None


def test_a_read_that_needs_the_chain_is_sent_again_to_the_owner_unseen(owner_socket: str) -> None:
    with _worker(owner_socket) as client:
        answer = client.post("/v1/priority-claims/verify", json={"batched": True})
        assert answer.status_code == 201  # the owner's own answer (this fake owner's: 201 to every POST)
        assert answer.json()["owner"] and answer.json()["body"] == '{"batched":true}'
        assert OWNER_NEEDED_HEADER not in answer.headers


def test_a_stream_comes_through_as_the_owner_sends_it(owner_socket: str) -> None:
    with _worker(owner_socket) as client, client.stream("GET", "/v1/notifications") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        text = "".join(stream.iter_text())
    assert [line for line in text.splitlines() if line.startswith("id:")] == ["id: 0", "id: 1", "id: 2"]


def _open_streams(owner_socket: str) -> int:
    with httpx.Client(transport=httpx.HTTPTransport(uds=owner_socket), base_url="http://owner") as owner:
        count: int = owner.get("/streams").json()["open"]
        return count


def test_a_stream_its_client_leaves_is_closed_at_the_owner_too(owner_socket: str, served_worker: str) -> None:
    # It used to run on for good, holding one of the worker's connections to the owner (and, in a gateway, the owner's
    # index reads); after 100 of them every request the worker handed on waited for ever.
    with httpx.Client(base_url=served_worker, timeout=10) as client:
        for _ in range(3):
            with client.stream("GET", "/v1/notifications/endless") as stream:
                assert next(stream.iter_lines()) == ": keep-alive"
    deadline = time.monotonic() + 5
    while _open_streams(owner_socket) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _open_streams(owner_socket) == 0


def test_open_streams_do_not_hold_up_what_another_client_hands_on(owner_socket: str, served_worker: str) -> None:
    # httpx's pool held 100 connections, waited for a free one without end, and each stream keeps its connection.
    async def scenario() -> int:
        async with httpx.AsyncClient(base_url=served_worker, timeout=10, limits=httpx.Limits()) as streams:
            opened = []
            for _ in range(101):
                request = streams.build_request("GET", "/v1/notifications/endless")
                opened.append(await streams.send(request, stream=True))
            try:
                async with httpx.AsyncClient(base_url=served_worker, timeout=5) as other:
                    write = await other.post("/v1/filings", content=b"{}")
                return write.status_code
            finally:
                for response in opened:
                    await response.aclose()

    assert asyncio.run(scenario()) == 201  # the owner's answer, in time


def test_an_owner_that_cannot_be_reached_is_a_503_and_nothing_is_written(tmp_path: Path) -> None:
    with _worker(str(tmp_path / "nobody.sock")) as client:
        answer = client.post("/v1/filings", json={})
        assert answer.status_code == 503
        assert answer.headers["retry-after"] == "1"
        assert answer.json()["error"]["code"] == "LEDGER_UNAVAILABLE"
        assert "nothing was written" in answer.json()["error"]["message"]
        # Raised where no owner takes it, OwnerNeeded is the same 503, never a 500.
        needed = client.post("/v1/priority-claims/verify", json={"batched": True})
        assert needed.status_code == 503 and needed.json()["error"]["code"] == "LEDGER_UNAVAILABLE"


@pytest.mark.parametrize(
    ("method", "path", "local"),
    [
        ("GET", "/", True),
        ("GET", "/v1/applications/0x" + "ab" * 32, True),
        ("GET", "/v1/applications/0x" + "ab" * 32 + "/priority-claims", True),
        ("GET", "/v1/families/0x" + "ab" * 32, True),
        ("HEAD", "/v1/health", True),
        ("POST", "/v1/priority-claims/verify", True),
        ("POST", "/v1/documents/verify", True),
        ("POST", "/v1/priority-documents/verify", True),
        ("POST", "/v1/priority-documents/retrieve", False),
        ("POST", "/v1/filings", False),
        ("POST", "/v1/filing-batches", False),
        ("POST", "/v1/publications", False),
        ("GET", "/v1/families/0x" + "ab" * 32 + "/reports", False),
        ("GET", "/v1/reports/0x" + "cd" * 32, False),
        ("GET", "/v1/reports/0x" + "cd" * 32 + "/accesses", False),
        ("GET", "/v1/notifications", False),
        ("POST", "/v1/gateway/reports/0x" + "cd" * 32, False),
        ("DELETE", "/v1/health", False),
    ],
)
def test_what_a_worker_answers_itself(method: str, path: str, local: bool) -> None:
    assert answers_locally(method, path) is local
