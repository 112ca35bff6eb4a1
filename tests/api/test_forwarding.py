"""A read worker hands the owner what it cannot answer (api.forwarding; `prioreg serve --workers N`).

The owner here is a real uvicorn server on a Unix socket in a thread; the worker is an app behind
:class:`~api.forwarding.ForwardToOwner`, driven in process. The whole gateway, owner and workers
as processes, is tested in tests/registry/cli/test_serve_workers.py.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

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

    @owner.get("/v1/notifications")
    async def stream() -> StreamingResponse:
        async def events() -> AsyncIterator[bytes]:
            for n in range(3):
                yield f"id: {n}\nevent: tick\ndata: {{}}\n\n".encode()

        return StreamingResponse(events(), media_type="text/event-stream")

    # The catch-all was added first and would match first: put the stream ahead of it.
    owner.router.routes.insert(0, owner.router.routes.pop())
    return owner


@pytest.fixture
def owner_socket(tmp_path: Path) -> Iterator[str]:
    path = tmp_path / "owner.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    sock.listen(16)
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


def _worker(owner_socket: str) -> TestClient:
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
    return TestClient(worker)


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
