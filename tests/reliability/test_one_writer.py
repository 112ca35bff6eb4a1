"""One writer per state directory (docs/design.md#p8-one-writer-per-state-directory), checked with real processes.

A running ``prioreg serve`` holds the directory's writer lock: a second ``serve``, an ``anchor``
and an ``import`` beside it exit 2 at once with one line naming the server's pid, and touch
nothing; the read-only commands (``verify``, ``state check``) still answer, from what the server
acknowledged. After a SIGKILL of the server and a restart every acknowledged filing is there.
Before the lock, the second server started, forked the embedded chain into the same journal, and
the next start died on a raw ``Invalid transaction nonce`` traceback.

The seam for a gateway's worker processes (issue 18) is checked too: a child that inherited the
lock keeps the directory locked after its parent is gone.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from tests.reliability.support import ROOT, soak

pytestmark = pytest.mark.slow

ENV = dict(os.environ, PRIOREG_KEY_PASSPHRASE=soak.PASSPHRASE, PYTHONPATH=str(ROOT))


def prioreg(*args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "registry.cli", *args],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def _refused(result: subprocess.CompletedProcess[str], pid: int) -> None:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"pid {pid}" in lines[0] and "in use" in lines[0], lines[0]
    assert "Traceback" not in result.stderr + result.stdout


def _post(client: httpx.Client, token: str, filings: list[soak.Filing]) -> None:
    response = client.post(
        "/v1/filing-batches",
        json={"filings": [f.body() for f in filings]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.text


def test_a_second_writer_is_refused_at_once_and_the_first_loses_nothing(tmp_path: Path) -> None:
    state = tmp_path / "state"
    server = soak.ServerProcess(state, tmp_path / "tokens.json", log_path=tmp_path / "server.log")
    factory = soak.FilingFactory()
    acknowledged: list[soak.Filing] = []
    server.start()
    try:
        tokens = server.tokens()
        with httpx.Client(base_url=server.base_url, timeout=60.0) as client:
            first = [factory.filing("EP", n) for n in range(1, 21)]
            _post(client, tokens["EP"], first)
            acknowledged += first
            journal = (state / "chain.journal").read_bytes()

            started = time.perf_counter()
            _refused(prioreg("serve", "--state-dir", str(state), "--port", str(soak.free_port())), server.pid)
            second_serve = time.perf_counter() - started
            anchor = prioreg(
                "anchor", "--office", "EP", "--number", "23999999", "--date", "2023-03-01", "--state-dir", str(state)
            )
            _refused(anchor, server.pid)
            rows = tmp_path / "rows.csv"
            rows.write_text("applicationNumber,filingDate,ipRightKind\n23999998,2023-03-01,patent\n")
            _refused(prioreg("import", str(rows), "--office", "EP", "--state-dir", str(state)), server.pid)
            # The refused writers wrote nothing: the journal is the server's alone.
            assert (state / "chain.journal").read_bytes() == journal

            # Read-only commands need no lock and see what the server acknowledged.
            f = first[0]
            verify = prioreg(
                "verify",
                *("--office", "EP", "--number", f.number, "--date", f.filing_date, "--code", f.access_code),
                *("--later-office", "US", "--later-date", "2023-09-01", "--state-dir", str(state), "--json"),
            )
            assert verify.returncode == 0, verify.stderr
            assert '"verdict": "valid"' in verify.stdout
            check = prioreg("state", "check", "--state-dir", str(state))
            assert check.returncode == 0, check.stdout + check.stderr
            assert (state / "chain.journal").read_bytes() == journal

            # The first writer is unharmed: it goes on anchoring.
            more = [factory.filing("JP", n) for n in range(1, 31)]
            _post(client, tokens["JP"], more)
            acknowledged += more
        server.kill()  # SIGKILL: the kernel releases the lock
        server.start()
        with httpx.Client(base_url=server.base_url, timeout=60.0) as client:
            missing = [
                f.commitment for f in acknowledged if client.get(f"/v1/applications/{f.commitment}").status_code != 200
            ]
        assert missing == []
    finally:
        server.stop()
    print(
        f"\nsecond serve refused in {second_serve:.2f} s (interpreter start included); {len(acknowledged)} filings kept"
    )
    # Once the server is gone the directory takes a writer again.
    check = prioreg("state", "check", "--state-dir", str(state), "--repair")
    assert check.returncode == 0, check.stdout + check.stderr


_HOLDER = textwrap.dedent(
    """
    import os, subprocess, sys
    from pathlib import Path
    from registry.ops.lock import StateLock

    state = Path(sys.argv[1])
    lock = StateLock.acquire(state, command="gateway parent")
    env = dict(os.environ, **lock.inheritable_env())
    worker = subprocess.Popen(
        [sys.executable, "-c", sys.argv[2], str(state)],
        env=env, pass_fds=(lock.fd,), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    print(worker.stdout.readline().strip(), os.getpid(), flush=True)
    """
)

_WORKER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from registry.ops.lock import StateLock

    lock = StateLock.adopt(Path(sys.argv[1]))
    print("adopted", flush=True)
    release = Path(sys.argv[1]).with_name("release")
    deadline = time.monotonic() + 120
    while not release.exists() and time.monotonic() < deadline:  # until the test has tried to write
        time.sleep(0.05)
    """
)


def test_workers_that_inherit_the_lock_keep_the_directory_locked_after_the_parent_exits(tmp_path: Path) -> None:
    state = tmp_path / "state"
    env = dict(ENV)
    parent = subprocess.run(
        [sys.executable, "-c", _HOLDER, str(state), _WORKER], capture_output=True, text=True, env=env, timeout=60
    )
    assert parent.returncode == 0, parent.stderr
    word, pid = parent.stdout.split()
    assert word == "adopted"
    # The parent has exited; its worker still holds the lock, and the refusal names the parent.
    rows = tmp_path / "rows.csv"
    rows.write_text("applicationNumber,filingDate,ipRightKind\n23999998,2023-03-01,patent\n")
    _refused(prioreg("import", str(rows), "--office", "EP", "--state-dir", str(state)), int(pid))
    (tmp_path / "release").touch()
    deadline = time.monotonic() + 60
    while True:  # the worker exits once released: the lock goes with it
        result = prioreg("state", "check", "--state-dir", str(state), "--repair")
        if result.returncode != 2 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert "in use" not in result.stderr, result.stderr
