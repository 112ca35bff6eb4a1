"""What an operator gets from ``prioreg`` for a bad argument, a file it cannot use or a port in use.

docs/api.md#command-line: an error is one line on stderr and a non-zero status, never a traceback,
and a refusal touches nothing. Each test here was an "unexpected error" (a bug's line with its
traceback saved to a file) or worse before its fix:

- ``bench --chain-db foo``: typer's own usage error, which the CLI took for a bug (typer vendors
  its own click; the wrapper only knew click's);
- ``bench --output DIR``: refused only after the whole run;
- ``anchor --digest zz``: ``ValueError`` from ``bytes.fromhex``;
- ``import`` of a folder or of a file that is not UTF-8; ``--codes-out`` that cannot be written,
  found only *after* the rows were anchored, so that their access codes were never written anywhere;
- ``serve --tokens-file`` that is not a JSON object of tokens; with ``--demo``, a folder: the
  demo was deployed, then the tokens could not be written and were shown nowhere;
- ``serve`` on a port in use: uvicorn's JSON log line and exit 3 ("ledger unavailable") after the
  deployment was opened — with ``--demo``, made;
- ``serve --workers 1`` stopped with SIGTERM died of its own signal (status 143);
- ``check-evidence`` / ``package verify`` on a folder without a chain: 1 ("differs") and 2 instead
  of 3 (the node cannot be reached).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner, Result

from registry.cli import app

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "cli-errors-passphrase"
ENV = {"PRIOREG_KEY_PASSPHRASE": PASSPHRASE}
runner = CliRunner()


def prioreg(*args: str) -> Result:
    return runner.invoke(app, list(args), env={**ENV, "COLUMNS": "1000"}, terminal_width=1000)


def _refused(result: Result, *words: str, code: int = 2) -> None:
    """Exit ``code``, no traceback, not taken for a bug, and the words in the message."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output, result.output
    assert "unexpected error" not in result.output, result.output
    shown = " ".join(re.sub(r"[│╭╮╰╯─]", " ", result.output).split())  # a usage error comes in a box
    for word in words:
        assert word in shown, (word, result.output)


def _subprocess(*args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRIOREG_")}
    env.update(ENV, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "registry.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def _one_line(done: subprocess.CompletedProcess[str], *words: str) -> str:
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stdout + done.stderr and "unexpected error" not in lines[0], lines[0]
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A deployment with JP admitted, made by the commands themselves."""
    path = tmp_path_factory.mktemp("state")
    for args in (
        ("deploy", "--state-dir", str(path), "--json"),
        ("keys", "create", "JP", "--dir", str(path / "keys"), "--scrypt-n", "16"),
        ("admit", "JP", "--state-dir", str(path), "--json"),
    ):
        result = prioreg(*args)
        assert result.exit_code == 0, result.output
    return path


def _journal_bytes(state: Path) -> int:
    return (state / "chain.journal").stat().st_size


# --- usage errors raised inside a command ------------------------------------------------------


def test_a_usage_error_raised_inside_a_command_is_a_usage_line_not_a_bug() -> None:
    _refused(prioreg("bench", "--filings", "300", "--chain-db", "foo"), "--chain-db", "memory, disk or auto")


def test_bench_refuses_an_output_it_cannot_write_before_it_runs(tmp_path: Path) -> None:
    started = time.monotonic()
    result = prioreg("bench", "--filings", "300", "--http-seconds", "0", "--output", str(tmp_path))
    _refused(result, "--output", "is a directory")
    assert "baseline" not in result.output  # nothing was measured
    assert time.monotonic() - started < 10


# --- anchor and import ---------------------------------------------------------------------------


@pytest.mark.parametrize("digest", ["zz", "0x1234", "g" * 64])
def test_anchor_refuses_a_digest_that_is_not_a_sha256(tmp_path: Path, digest: str) -> None:
    where = tmp_path / "new-state"
    args = ["--office", "JP", "--number", "2017-187096", "--date", "2017-09-27", "--digest", digest]
    _refused(prioreg("anchor", *args, "--state-dir", str(where)), "--digest", "64 hex digits")
    assert not where.exists()


def test_import_refuses_a_folder_as_its_file(tmp_path: Path) -> None:
    _refused(prioreg("import", str(tmp_path), "--office", "JP", "--state-dir", str(tmp_path / "s")), "directory")


def test_import_refuses_a_file_that_is_not_utf8_before_the_state_is_touched(tmp_path: Path) -> None:
    latin1 = tmp_path / "filings.csv"
    latin1.write_bytes("applicationNumber,filingDate\n2017-187096,2017-09-27 Gebühr\n".encode("latin-1"))
    where = tmp_path / "new-state"
    _refused(prioreg("import", str(latin1), "--office", "JP", "--state-dir", str(where)), "not UTF-8", "byte 55")
    assert not where.exists()


def test_import_refuses_codes_out_it_cannot_write_before_anything_is_anchored(state: Path, tmp_path: Path) -> None:
    filings = tmp_path / "filings.csv"
    filings.write_text("applicationNumber,filingDate\n2019-100001,2019-01-07\n", encoding="utf-8")
    journal = _journal_bytes(state)
    for unwritable in (tmp_path, tmp_path / "missing" / "codes.csv"):
        args = ["--office", "JP", "--state-dir", str(state), "--codes-out", str(unwritable)]
        _refused(prioreg("import", str(filings), *args), "--codes-out")
    assert _journal_bytes(state) == journal  # nothing was sent
    codes = tmp_path / "codes.csv"
    done = prioreg(
        "import", str(filings), "--office", "JP", "--state-dir", str(state), "--codes-out", str(codes), "--json"
    )
    assert done.exit_code == 0, done.output
    assert json.loads(done.output.strip().splitlines()[-1])["anchored"] == 1
    header, row = codes.read_text(encoding="utf-8").splitlines()
    assert header == "applicationNumber,accessCode,commitment" and row.startswith("JP2019100001,")
    assert codes.stat().st_mode & 0o777 == 0o600


def test_an_import_that_anchors_nothing_new_leaves_codes_out_as_it_was(state: Path, tmp_path: Path) -> None:
    filings = tmp_path / "filings.csv"
    filings.write_text("applicationNumber,filingDate\n2019-100002,2019-01-08\n", encoding="utf-8")
    first = tmp_path / "codes.csv"
    args = ["--office", "JP", "--state-dir", str(state)]
    assert prioreg("import", str(filings), *args, "--codes-out", str(first)).exit_code == 0
    kept = first.read_text(encoding="utf-8")
    again = prioreg("import", str(filings), *args, "--codes-out", str(first), "--json")
    assert again.exit_code == 0 and json.loads(again.output.strip().splitlines()[-1])["alreadyAnchored"] == 1
    assert first.read_text(encoding="utf-8") == kept
    fresh = tmp_path / "never.csv"
    assert prioreg("import", str(filings), *args, "--codes-out", str(fresh)).exit_code == 0
    assert not fresh.exists()  # made for the run, removed: there was nothing to write


# --- serve ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content", ['{"JP": ', '["a token"]', '{"JP": 5}', '{"XX": "a token"}', b"\xff\xfe".decode("latin-1")]
)
def test_serve_refuses_a_tokens_file_it_cannot_adopt(state: Path, tmp_path: Path, content: str) -> None:
    tokens = tmp_path / "tokens.json"
    tokens.write_text(content, encoding="latin-1")
    done = _subprocess(
        "serve", "--state-dir", str(state), "--port", str(_free_port()), "--tokens-file", str(tokens), timeout=60
    )
    _one_line(done, "error:", "tokens.json")


def test_serve_demo_refuses_a_folder_as_tokens_file_before_it_deploys(tmp_path: Path) -> None:
    where = tmp_path / "new-state"
    args = ["--demo", "--offices", "JP", "--state-dir", str(where), "--port", str(_free_port())]
    _one_line(_subprocess("serve", *args, "--tokens-file", str(tmp_path), timeout=60), "--tokens-file", "directory")
    assert not where.exists()


def test_serve_on_a_port_in_use_is_one_line_and_deploys_nothing(tmp_path: Path) -> None:
    where = tmp_path / "new-state"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _subprocess("serve", "--demo", "--offices", "JP", "--state-dir", str(where), "--port", str(port))
    _one_line(done, f"cannot listen on 127.0.0.1:{port}", "--port")
    assert not where.exists()


def test_serve_with_one_worker_stops_cleanly_on_sigterm(state: Path, tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRIOREG_")}
    env.update(ENV, PYTHONPATH=str(ROOT))
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "registry.cli",
            "serve",
            *("--state-dir", str(state), "--port", str(port)),
            "--workers",
            "1",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None and time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0, (tmp_path / "serve.log").read_text()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        log.close()
    # it ran its way out: the writer lock was released and its pid cleared
    assert (state / "writer.lock").read_text(encoding="utf-8") == ""


# --- check-evidence and package verify without a chain ----------------------------------------


def test_a_folder_without_a_chain_is_an_unreachable_node_for_the_checks(state: Path, tmp_path: Path) -> None:
    args = ["--office", "JP", "--number", "2019-100003", "--date", "2019-01-09", "--state-dir", str(state), "--json"]
    code = json.loads(prioreg("anchor", *args).output)["accessCode"]
    verify = ["--office", "JP", "--number", "2019-100003", "--date", "2019-01-09", "--code", code]
    verify += ["--later-office", "US", "--later-date", "2019-06-03", "--state-dir", str(state), "--json"]
    answer = tmp_path / "answer.json"
    answer.write_text(prioreg("verify", *verify).output, encoding="utf-8")
    assert prioreg("check-evidence", str(answer), "--state-dir", str(state)).exit_code == 0
    empty = tmp_path / "empty"
    empty.mkdir()
    _refused(prioreg("check-evidence", str(answer), "--state-dir", str(empty)), "no embedded chain", code=3)
    package = tmp_path / "package.zip"
    package.write_bytes(b"PK\x03\x04 not read: there is no node to check it against")
    _refused(prioreg("package", "verify", str(package), "--state-dir", str(empty)), "no embedded chain", code=3)
