"""Office gateways as child processes: ``prioreg serve --state-dir D/CC`` on a free port each.

For the consortium tests (issue 15): every office runs its own gateway on its own state directory
(made by ``prioreg network init``), against one shared node; a gateway can be killed and started
again on the same port, its endpoint unchanged on chain.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.anvil import REPO_ROOT

__all__ = ["Gateway", "free_port"]


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Gateway:
    """One office's gateway process on its state directory."""

    office: str
    state_dir: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``: also the endpoint it writes on chain."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        """Where its output goes (beside its state directory)."""
        return self.state_dir.with_name(self.state_dir.name + ".log")

    def start(self, timeout: float = 120.0) -> None:
        """Start it (on the same port as before, when it ran already) and wait until it answers."""
        self.launch()
        self.wait(timeout)

    def launch(self) -> None:
        """Start the process (on the same port as before, when it ran already); :meth:`wait` for it."""
        assert self.process is None
        self.port = self.port or free_port()
        command = [sys.executable, "-m", "registry.cli", "serve", "--state-dir", str(self.state_dir)]
        command += ["--port", str(self.port), "--endpoint", self.url, "--rate-limit", "0", "--log-level", "warning"]
        env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
        env.pop("PRIOREG_KEY_PASSPHRASE", None)  # each directory keeps its own (network init)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)

    def wait(self, timeout: float = 120.0) -> None:
        """Wait until the launched gateway answers its health check."""
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.process = None
                raise AssertionError(f"gateway {self.office} exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/v1/health", timeout=5.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.kill()
        raise AssertionError(f"gateway {self.office} did not answer in {timeout} s: {self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL it: no shutdown hook runs."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.process = None

    def stop(self) -> None:
        """Stop it cleanly (SIGTERM), or kill it when it does not exit in time."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
