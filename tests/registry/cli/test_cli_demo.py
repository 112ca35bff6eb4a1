"""``prioreg serve --demo``: any number of offices on a real node, and a state directory made all or nothing.

Issue 12, item 5. On anvil (tests/support/anvil.py: a real node on a free loopback port, stopped
after) the demo funds what it needs — checked against the funder's balance before anything is
sent — instead of 1,000 ETH an account, which ran the dev account (10,000 ETH) dry at nine
offices. A demo start that fails — the funder cannot pay, the node refuses the deployment, the
process is killed half-way — leaves no state directory behind (or, killed, one marked unfinished
that the next start clears).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from eth_account import Account
from typer.testing import CliRunner

from registry.cli import app
from tests.reliability.support import soak
from tests.support.anvil import REPO_ROOT, running_anvil

runner = CliRunner()
PASSPHRASE = "demo-test-passphrase"
TWELVE = "EP,US,JP,CN,KR,DE,GB,FR,WO,IT,ES,CH"


def _serve(state: Path, tokens: Path, *args: str) -> tuple[subprocess.Popen[bytes], str, Path]:
    port = soak.free_port()
    log = state.with_name(state.name + ".log")
    env = dict(os.environ, PRIOREG_KEY_PASSPHRASE=PASSPHRASE, PYTHONPATH=str(REPO_ROOT))
    command = [sys.executable, "-m", "registry.cli", "serve", "--demo", "--state-dir", str(state)]
    command += ["--port", str(port), "--tokens-file", str(tokens), *args]
    with log.open("ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    return process, f"http://127.0.0.1:{port}", log


def _wait_healthy(process: subprocess.Popen[bytes], url: str, log: Path, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            if httpx.get(url + "/v1/health", timeout=5.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"no answer in {timeout} s: {log.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_the_demo_on_anvil_with_twelve_offices_starts_and_answers(tmp_path: Path) -> None:
    state, tokens = tmp_path / "state", tmp_path / "tokens.json"
    with running_anvil() as url:
        process, base, log = _serve(state, tokens, "--rpc-url", url, "--offices", TWELVE)
        try:
            _wait_healthy(process, base, log)
            offices = httpx.get(base + "/v1/offices", timeout=30).json()
            assert sorted(o["ipOfficeCode"] for o in offices) == sorted(TWELVE.split(","))
            assert all(o["active"] for o in offices)
            minted = json.loads(tokens.read_text())
            assert sorted(minted) == sorted(TWELVE.split(","))
            filing = soak.FilingFactory().filing("EP", 1)
            answer = httpx.post(
                base + "/v1/filings",
                json=filing.body(),
                headers={"Authorization": f"Bearer {minted['EP']}"},
                timeout=60,
            )
            assert answer.status_code == 201, answer.text
            assert answer.json()["commitment"] == filing.commitment
        finally:
            _stop(process)
    assert (state / "deployment.json").exists() and not (state / ".creating").exists()


def _demo_in_process(state: Path, *args: str, env: dict[str, str] | None = None, code: int = 2) -> str:
    result = runner.invoke(
        app,
        ["serve", "--demo", "--state-dir", str(state), "--port", str(soak.free_port()), *args],
        env={"PRIOREG_KEY_PASSPHRASE": PASSPHRASE, **(env or {})},
    )
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


def test_a_funder_that_cannot_pay_is_told_what_is_missing_and_nothing_is_left(tmp_path: Path) -> None:
    poor = Account.create()
    state = tmp_path / "state"
    with running_anvil() as url:
        line = _demo_in_process(
            state, "--rpc-url", url, "--offices", TWELVE, env={"PRIOREG_FUNDER_KEY": poor.key.hex()}
        )
        # Nothing was sent: the funder's balance was checked before the first transaction.
        assert httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber"}).json()["result"] == "0x0"
    assert f"the funder {poor.address} holds 0 ETH" in line
    assert "12 offices" in line and "missing" in line and "PRIOREG_FUNDER_KEY" in line
    assert not state.exists()


def test_a_node_that_refuses_the_deployment_half_way_leaves_no_state_directory(tmp_path: Path) -> None:
    # Blocks of 1 M gas: the keys are made, then the deployment (~2.5 M gas) cannot be estimated.
    state = tmp_path / "state"
    with running_anvil(extra_args=("--gas-limit", "1000000")) as url:
        _demo_in_process(state, "--rpc-url", url, "--offices", "EP,JP")
    assert not state.exists()


def test_an_unreachable_node_leaves_no_state_directory(tmp_path: Path) -> None:
    state = tmp_path / "state"
    line = _demo_in_process(state, "--rpc-url", f"http://127.0.0.1:{soak.free_port()}", code=3)
    assert line.startswith("ledger unavailable:"), line
    assert not state.exists()


def test_a_demo_start_killed_half_way_is_reported_and_cleared_by_the_next(tmp_path: Path) -> None:
    state, tokens = tmp_path / "state", tmp_path / "tokens.json"
    process, base, log = _serve(state, tokens, "--offices", TWELVE)
    deadline = time.monotonic() + 120
    while not (state / "keys").exists() and time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert (state / ".creating").exists() and not (state / "deployment.json").exists()
    report = runner.invoke(app, ["state", "check", "--state-dir", str(state)])
    assert report.exit_code == 1 and "did not finish" in report.output, report.output
    process, base, log = _serve(state, tokens, "--offices", "EP,JP")
    try:
        _wait_healthy(process, base, log)
        offices = httpx.get(base + "/v1/offices", timeout=30).json()
        assert sorted(o["ipOfficeCode"] for o in offices) == ["EP", "JP"]
    finally:
        _stop(process)
    assert not (state / ".creating").exists()
    assert sorted(p.name for p in (state / "keys").iterdir()) == ["EP.json", "JP.json"]
