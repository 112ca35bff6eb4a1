"""A real anvil node for integration tests (docs/design.md#p11-same-code-any-evm: same code, any EVM).

:func:`running_anvil` starts ``node_modules/.bin/anvil`` (the npm ``@foundry-rs/anvil`` wrapper,
resolved from the repository root) on a free loopback port, waits until it answers JSON-RPC, yields
its URL and stops it afterwards: SIGTERM (the wrapper forwards it to the real binary), then SIGKILL
to the whole process group if it does not exit in time, so no node outlives its test.

When anvil is missing a test is *skipped* with the reason on a developer machine, but *fails* when
the ``CI`` environment variable is set: CI must never pass by silently skipping the real node.

Use the ``anvil_url`` fixture (import it into a test module) or the context manager directly::

    from tests.support.anvil import running_anvil

    with running_anvil() as url:
        chain = Chain.connect(url, funder_key=ANVIL_DEV_KEY)
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

__all__ = ["ANVIL", "REPO_ROOT", "anvil_url", "require_anvil", "rpc", "running_anvil"]

REPO_ROOT = Path(__file__).resolve().parents[2]
ANVIL = REPO_ROOT / "node_modules" / ".bin" / "anvil"

_START_TIMEOUT = 30.0
_STOP_TIMEOUT = 10.0


def require_anvil() -> Path:
    """The anvil executable; skip the test when it is missing, or fail it under CI."""
    if ANVIL.exists() and os.access(ANVIL, os.X_OK):
        return ANVIL
    reason = f"anvil is not installed at {ANVIL} (run `npm ci` in {REPO_ROOT})"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the anvil tests, not skip them")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def rpc(url: str, method: str, params: Sequence[object] = (), *, timeout: float = 10.0) -> object:
    """One raw JSON-RPC call (for node-only methods such as ``anvil_reorg``); raises on an error answer."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        answer = json.loads(response.read())
    if "error" in answer:
        raise RuntimeError(f"{method} failed: {answer['error']}")
    return answer.get("result")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        # The wrapper runs in its own session: its process group holds exactly the node we started.
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=_STOP_TIMEOUT)


@contextmanager
def running_anvil(*, block_time: float | None = None, extra_args: Sequence[str] = ()) -> Iterator[str]:
    """Start anvil on a free loopback port, yield ``http://127.0.0.1:PORT``, stop it afterwards.

    ``block_time=None`` keeps anvil's automine (one block per transaction, mined at once).
    """
    executable = require_anvil()
    for _attempt in range(3):  # another process may take the free port before anvil binds it
        port = _free_port()
        command = [str(executable), "--port", str(port), "--host", "127.0.0.1", "--silent", *extra_args]
        if block_time is not None:
            command += ["--block-time", str(block_time)]
        with tempfile.TemporaryFile() as log:
            process = subprocess.Popen(
                command, cwd=REPO_ROOT, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True
            )
            url = f"http://127.0.0.1:{port}"
            try:
                if _wait_until_ready(url, process):
                    yield url
                    return
                log.seek(0)
                output = log.read().decode(errors="replace")[-2000:]
            finally:
                _stop(process)
        if "Address already in use" not in output:
            raise RuntimeError(f"anvil did not start ({' '.join(command)}):\n{output}")
    raise RuntimeError("anvil found no free port in three attempts")


def _wait_until_ready(url: str, process: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            rpc(url, "eth_chainId", timeout=1.0)
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            time.sleep(0.05)
            continue
        return True
    return False


@pytest.fixture
def anvil_url() -> Iterator[str]:
    """A fresh anvil node for one test (automine); its URL."""
    with running_anvil() as url:
        yield url
