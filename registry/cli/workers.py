"""``prioreg serve --workers N``: one owner process and N − 1 read workers on one listening socket (issue 18).

One process per core, and still one writer (docs/api.md#one-writer-per-state-directory):

* The **owner** is the gateway as it runs alone — the writer lock, the chain (embedded or the
  sending side of a node), the office keys, the index follower, the nonces between gateways — and
  it serves the public port *and* a Unix socket in a private directory of its own (mode 0700).
* Each **read worker** (this module's :func:`main`, started by :class:`Workers`) inherits a
  listening socket and the lock's descriptor (so the lock stays held while any of them lives),
  opens the deployment read-only (:func:`registry.ops.deployment.open_worker`: the index file, never
  written here) and answers what the index answers; everything else it hands to the owner over the
  Unix socket (:mod:`api.forwarding`). Each worker's listening socket is its own, bound to the
  public port beside the owner's (``SO_REUSEPORT``), so that the kernel spreads new connections
  over the processes: on one shared socket, the event loop that woke first accepted a whole burst
  (asyncio and uvloop accept until the queue is empty), and ``wrk -c32`` against two processes ran
  at one process's rate in 3 of 10 runs. Where the system has no ``SO_REUSEPORT`` the workers share
  the owner's socket.

A worker dies with its owner (``PR_SET_PDEATHSIG``, and a watch on the parent pid where that is not
available), so a killed gateway never leaves workers holding the lock; the owner starts a worker
again when one dies, and stops them all when it stops. Each worker keeps its own rate-limit buckets
and metrics and reloads the token file itself; ``/metrics`` says which process answered
(``prioreg_worker_info``).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

__all__ = ["LISTEN_FD_ENV_VAR", "Workers", "bound_socket", "default_workers", "main", "owner_socket"]

log = logging.getLogger("prioreg.serve")

#: The inherited listening socket's descriptor in a worker.
LISTEN_FD_ENV_VAR = "PRIOREG_LISTEN_FD"
_PR_SET_PDEATHSIG = 1
#: A worker that dies sooner than this after its start is started again only after this long.
_RESTART_BACKOFF = 1.0
#: How a worker starts: not ``-m registry.cli.workers`` (the package imports this module first, and runpy warns).
_ENTRY = "import sys; from registry.cli.workers import main; main(sys.argv[1:])"


def default_workers() -> int:
    """One process per core this process may run on (``--workers`` default)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def bound_socket(family: socket.AddressFamily, address: Any, *, reuse_port: bool) -> socket.socket:
    """A TCP socket bound to ``address`` as uvicorn binds one (``SO_REUSEADDR``), in the port's ``SO_REUSEPORT``
    group when ``reuse_port``; OSError (closed) when the address cannot be bound."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def owner_socket() -> tuple[socket.socket, Path]:
    """A listening Unix socket in a new private directory: only this user's processes reach the owner."""
    directory = Path(tempfile.mkdtemp(prefix="prioreg-owner-"))  # mode 0700
    path = directory / "owner.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    os.chmod(path, 0o600)
    sock.listen(2048)
    return sock, path


class Workers:
    """The owner's side: start ``count`` read workers, start again any that dies, stop them all."""

    def __init__(
        self,
        count: int,
        *,
        listen: socket.socket,
        lock_env: dict[str, str],
        lock_fd: int,
        args: list[str],
    ) -> None:
        self.count = count
        self._listen = listen
        self._env = {**os.environ, **lock_env}
        self._lock_fd = lock_fd
        self._args = args
        self._processes: list[subprocess.Popen[bytes]] = []
        self._stopping = threading.Event()
        self._watch = threading.Thread(target=self._supervise, name="workers", daemon=True)

    @property
    def pids(self) -> list[int]:
        """The workers' process ids now."""
        return [p.pid for p in self._processes]

    def start(self) -> None:
        """Start the workers and the thread that watches them."""
        os.set_inheritable(self._listen.fileno(), True)
        self._processes = [self._spawn() for _ in range(self.count)]
        self._watch.start()

    def _spawn(self) -> subprocess.Popen[bytes]:
        listen = self._worker_socket()
        try:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    "import sys; from registry.cli.workers import main; main(sys.argv[1:])",
                    *self._args,
                ],
                env={**self._env, LISTEN_FD_ENV_VAR: str(listen.fileno())},
                pass_fds=(listen.fileno(), self._lock_fd),
                stdin=subprocess.DEVNULL,
            )
        finally:
            if listen is not self._listen:
                listen.close()  # the worker holds its copy, and with it the socket's place in the group
        log.info("read worker started", extra={"pid": process.pid})
        return process

    def _worker_socket(self) -> socket.socket:
        """A new worker's listening socket: its own in the owner's ``SO_REUSEPORT`` group (module docstring), or
        the owner's where the system cannot bind one."""
        if not hasattr(socket, "SO_REUSEPORT") or not self._listen.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT):
            return self._listen
        try:
            return bound_socket(self._listen.family, self._listen.getsockname(), reuse_port=True)
        except OSError as exc:
            log.warning("a read worker shares the owner's socket: %s", exc.strerror or exc)
            return self._listen

    def _supervise(self) -> None:
        started = [time.monotonic()] * len(self._processes)
        while not self._stopping.wait(0.5):
            for i, process in enumerate(self._processes):
                code = process.poll()
                if code is None or self._stopping.is_set():
                    continue
                if time.monotonic() - started[i] < _RESTART_BACKOFF:
                    continue  # a worker that cannot start: try again a little later, not in a loop
                log.warning("read worker %s exited with %s; starting another", process.pid, code)
                self._processes[i] = self._spawn()
                started[i] = time.monotonic()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask every worker to finish (SIGTERM: answers in flight are completed), then kill the rest."""
        self._stopping.set()
        for process in self._processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in self._processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._watch.is_alive():
            self._watch.join(timeout=2)


def _die_with_parent() -> None:
    parent = os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)

    def watch() -> None:  # where prctl is not there: notice within a second
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
    if os.getppid() != parent:  # the owner died before prctl took effect
        os._exit(1)


def main(argv: list[str] | None = None) -> None:
    """A read worker, as :class:`Workers` starts it (``--state-dir D --owner-socket P …``)."""
    import argparse

    parser = argparse.ArgumentParser(prog="prioreg serve (read worker)")
    parser.add_argument("--state-dir", required=True, type=Path)
    parser.add_argument("--owner-socket", required=True)
    parser.add_argument("--rpc-url", default=None)
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--rate-limit", type=int, default=600)
    ns = parser.parse_args(argv)
    _die_with_parent()

    import uvicorn

    from api.app import create_app
    from api.auth import TokenStore
    from api.limits import BodyLimits
    from api.observability import configure_logging
    from api.protocol import BoundedHttpToolsProtocol
    from registry.ops.config import Settings
    from registry.ops.deployment import open_worker
    from registry.ops.lock import StateLock
    from registry.service.tokens import TOKENS_FILE

    # Held, never released here: the lock is the owner's open file description, and unlocking it
    # from a worker would unlock it for the whole gateway. It goes when the last process exits.
    StateLock.adopt(ns.state_dir)
    listen = socket.socket(fileno=int(os.environ[LISTEN_FD_ENV_VAR]))
    given = {"state_dir": ns.state_dir, "rpc_url": ns.rpc_url}
    settings = Settings(**{k: v for k, v in given.items() if v is not None})
    opened = open_worker(settings)
    tokens = TokenStore.watching(opened.state.path / TOKENS_FILE)
    app = create_app(
        opened.service,
        tokens,
        follow_index=False,
        on_shutdown=opened.service.chain.close,
        rate_limit=ns.rate_limit,
        owner_socket=ns.owner_socket,
        body_limits=BodyLimits(read_timeout=settings.body_read_timeout),
    )
    configure_logging(ns.log_level)
    config = uvicorn.Config(
        app, http=BoundedHttpToolsProtocol, ws="none", log_config=None, log_level=ns.log_level.lower(), access_log=False
    )
    uvicorn.Server(config).run(sockets=[listen])
