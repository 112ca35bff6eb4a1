"""Issue 4 on a real node: anvil started by the test on a free loopback port and stopped after.

The same code as on the embedded chain, pointed at ``--rpc-url``: an import of 10,000 filings,
two office processes anchoring at once with their own keys, and an import whose node goes away
half-way (``LedgerUnavailable``, exit 3) and is re-run after a restart without a single duplicate.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from registry.domain.merkle import verify_entry
from registry.index import Index
from registry.ledger.chain import ANVIL_DEV_KEY, Chain
from tests.support.anvil import _free_port, _stop, _wait_until_ready, require_anvil, rpc, running_anvil

pytestmark = [pytest.mark.anvil, pytest.mark.slow]

PROG = [sys.executable, "-m", "registry.cli"]
REPO = Path(__file__).resolve().parents[3]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRIOREG_")}
    env.update(PRIOREG_KEY_PASSPHRASE="anvil-test-passphrase", PRIOREG_FUNDER_KEY=ANVIL_DEV_KEY, **extra)
    return env


def _prioreg(*args: str, check: bool = True, **kw: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([*PROG, *args], cwd=REPO, env=_env(), capture_output=True, text=True, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(
            f"prioreg {' '.join(args)} exited {result.returncode}:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        )
    return result


def _csv(path: Path, year: int, n: int, start: int = 0) -> Path:
    lines = ["applicationNumber,filingDate,ipRightKind"]
    lines += [f"{year}-{start + i + 1:06d},{year}-03-{1 + i % 28:02d},patent" for i in range(n)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _setup_office(url: str, state: Path, office: str, *, deploy_from: Path | None = None) -> None:
    """A state dir whose office key is admitted on the deployment (deployed here, or copied)."""
    if deploy_from is None:
        _prioreg("deploy", "--state-dir", str(state), "--rpc-url", url)
    else:
        state.mkdir(parents=True)
        (state / "deployment.json").write_bytes((deploy_from / "deployment.json").read_bytes())
        (state / "registrar.json").write_bytes((deploy_from / "registrar.json").read_bytes())
    _prioreg("keys", "create", office, "--dir", str(state / "keys"), "--scrypt-n", "16")
    _prioreg("admit", office, "--state-dir", str(state), "--rpc-url", url)


def _index(url: str, state: Path) -> Index:
    import json

    contract = json.loads((state / "deployment.json").read_text())["contract"]
    chain = Chain.connect(url)
    index = Index(":memory:", chain, contract)
    index.sync()
    return index


def test_ten_thousand_filings_imported_on_anvil_are_all_indexed_with_valid_proofs(tmp_path: Path) -> None:
    with running_anvil() as url:
        state = tmp_path / "jp"
        _setup_office(url, state, "JP")
        rows = _csv(tmp_path / "jp.csv", 2023, 10_000)
        result = _prioreg("import", str(rows), "--office", "JP", "--state-dir", str(state), "--rpc-url", url, "--json")
        assert '"anchored": 10000' in result.stdout
        index = _index(url, state)
        stats = index.stats()
        assert stats.filings == 10_000
        assert stats.conflicts == 0
        records = index.dump()["records"]
        for row in (records[0], records[len(records) // 2], records[-1]):
            record = index.record(row[2], row[1])  # (seq, office, commitment, …)
            assert record is not None and record.inclusion is not None
            assert verify_entry(record.inclusion.root, record.inclusion.entry, record.inclusion.proof)


def test_two_office_processes_anchor_at_the_same_time_each_with_its_own_key(tmp_path: Path) -> None:
    with running_anvil() as url:
        ep, us = tmp_path / "ep", tmp_path / "us"
        _setup_office(url, ep, "EP")
        _setup_office(url, us, "US", deploy_from=ep)
        # EP numbers are YYNNNNNN with a check digit computed by the office module; let it write them.
        from registry.domain.numbers import ep as ep_numbers

        ep_rows = ["applicationNumber,filingDate,ipRightKind"]
        ep_rows += [
            f"EP23{100000 + i:06d}.{ep_numbers.calc_check_digit(f'23{100000 + i:06d}')},2023-05-02,patent"
            for i in range(2000)
        ]
        (tmp_path / "ep.csv").write_text("\n".join(ep_rows) + "\n")
        us_rows = ["applicationNumber,filingDate,ipRightKind"]
        us_rows += [f"18/{200000 + i:06d},2023-05-02,patent" for i in range(2000)]
        (tmp_path / "us.csv").write_text("\n".join(us_rows) + "\n")
        procs = [
            subprocess.Popen(
                [
                    *PROG,
                    "import",
                    str(tmp_path / f"{o}.csv"),
                    "--office",
                    o.upper(),
                    "--state-dir",
                    str(tmp_path / o),
                    "--rpc-url",
                    url,
                    "--batch-size",
                    "250",
                    "--json",
                ],
                cwd=REPO,
                env=_env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for o in ("ep", "us")
        ]
        outputs = [p.communicate(timeout=300) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], outputs
        index = _index(url, ep)
        offices = [row[1] for row in index.dump()["records"]]  # (seq, office, …)
        assert offices.count("EP") == 2000
        assert offices.count("US") == 2000
        assert index.stats().conflicts == 0


class _RestartableAnvil:
    """anvil on a fixed port with a state file, so that it can be stopped and started again."""

    def __init__(self, state_file: Path) -> None:
        self.executable = require_anvil()
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.state_file = state_file
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [
            str(self.executable),
            "--port",
            str(self.port),
            "--host",
            "127.0.0.1",
            "--silent",
            "--state",
            str(self.state_file),
        ]
        self.process = subprocess.Popen(
            command,
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        if not _wait_until_ready(self.url, self.process):
            raise RuntimeError("anvil did not start")

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process)  # SIGTERM: anvil writes its state file on the way out


@pytest.fixture
def restartable_anvil(tmp_path: Path) -> Iterator[_RestartableAnvil]:
    node = _RestartableAnvil(tmp_path / "anvil-state.json")
    node.start()
    try:
        yield node
    finally:
        node.stop()


def test_a_node_stopped_mid_import_is_reported_and_the_rerun_anchors_no_duplicates(
    tmp_path: Path, restartable_anvil: _RestartableAnvil
) -> None:
    url = restartable_anvil.url
    state = tmp_path / "jp"
    _setup_office(url, state, "JP")
    rows = _csv(tmp_path / "jp.csv", 2024, 6000)
    head_before = int(str(rpc(url, "eth_blockNumber")), 16)
    proc = subprocess.Popen(
        [
            *PROG,
            "import",
            str(rows),
            "--office",
            "JP",
            "--state-dir",
            str(state),
            "--rpc-url",
            url,
            "--batch-size",
            "200",
            "--codes-out",
            str(tmp_path / "codes.csv"),
        ],
        cwd=REPO,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Let a few batches land, then take the node away under the running import.
    deadline = time.monotonic() + 120
    while int(str(rpc(url, "eth_blockNumber")), 16) < head_before + 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    restartable_anvil.stop()
    _out, err = proc.communicate(timeout=300)
    assert proc.returncode == 3, err
    assert "ledger unavailable" in err

    restartable_anvil.start()
    partial = _index(url, state).stats().filings
    assert 0 < partial < 6000
    # The access codes of every batch acknowledged before the node went away, shown nowhere else: written anyway.
    codes = (tmp_path / "codes.csv").read_text(encoding="utf-8").splitlines()
    assert codes[0] == "applicationNumber,accessCode,commitment" and 0 < len(codes) - 1 <= partial
    listed = _index(url, state)
    for line in codes[1:]:
        _number, code, commitment = line.split(",")
        assert code and listed.record(bytes.fromhex(commitment[2:]), "JP") is not None, line
    rerun = _prioreg("import", str(rows), "--office", "JP", "--state-dir", str(state), "--rpc-url", url, "--json")
    assert f'"alreadyAnchored": {partial}' in rerun.stdout
    index = _index(url, state)
    assert index.stats().filings == 6000
    assert index.stats().conflicts == 0
