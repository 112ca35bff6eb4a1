"""``prioreg state backup`` / ``state restore`` (issue 19 item 4), from the outside.

A real gateway (``prioreg serve --demo``, a child process on its own state directory) anchors
filings over HTTP; the backup is taken **while it runs** and while another thread keeps anchoring;
the gateway stops; the backup is restored into a new directory and a gateway started on that. Then:

- every filing acknowledged before the backup began verifies there, with the same answer as on the
  original gateway; nothing acknowledged only after the backup ended is there (a point in time);
- the office's token and key still work: the restored gateway anchors a new filing;
- the backup is one directory with a manifest of every file and its SHA-256; a restore refuses an
  altered or incomplete backup, a target that is not empty or that a gateway holds, and leaves
  nothing behind when it refuses.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from registry.cli import app as cli
from registry.errors import BackupError, StateDirLocked
from registry.ledger.embedded import Journal, scan_journal
from registry.ops.backup import MANIFEST, backup, restore, verify_backup
from registry.ops.lock import StateLock
from tests.reliability.support import soak

pytestmark = pytest.mark.slow

OFFICE = "EP"


@dataclass
class Served:
    """The original gateway's run: what was acknowledged before, during and after the backup."""

    state_dir: Path
    backup_dir: Path
    tokens_file: Path
    before: list[Any]  # soak.Filing
    during: list[Any] = field(default_factory=list)
    after: list[Any] = field(default_factory=list)
    answers: dict[str, Any] = field(default_factory=dict)
    acked_at_start: int = 0  # how many of ``during`` were acknowledged when the backup began


def _verify_body(filing: Any) -> dict[str, Any]:
    return {
        "priority": {
            "ipOfficeCode": filing.office,
            "applicationNumber": filing.number,
            "filingDate": filing.filing_date,
            "accessCode": filing.access_code,
        },
        "later": {"ipOfficeCode": "US", "filingDate": "2024-01-15", "ipRightKind": "patent"},
    }


def _answers(client: httpx.Client, filings: list[Any]) -> dict[str, Any]:
    """What a gateway says about each filing: its record and the verdict on a claim to it."""
    out = {}
    for filing in filings:
        record = client.get(f"/v1/applications/{filing.commitment}")
        verdict = client.post("/v1/priority-claims/verify", json=_verify_body(filing))
        assert record.status_code == 200 and verdict.status_code == 200, (record.text, verdict.text)
        answer = verdict.json()
        if answer.get("evidence"):
            # The block the answer was computed at moves with the chain (docs/api.md#evidence); the rest may not.
            answer["evidence"].pop("headBlock")
        out[filing.commitment] = {"record": record.json(), "verify": answer}
    return out


def _anchor(client: httpx.Client, token: str, filings: list[Any]) -> None:
    body = {"filings": [f.body() for f in filings]}
    answer = client.post("/v1/filing-batches", json=body, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 201, answer.text


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("backup")
    state_dir, tokens_file = root / "gateway", root / "tokens.json"
    factory = soak.FilingFactory()
    server = soak.ServerProcess(state_dir, tokens_file, offices=OFFICE)
    server.start()
    try:
        token = server.tokens()[OFFICE]
        with httpx.Client(base_url=server.base_url, timeout=60) as client:
            run = Served(state_dir, root / "backup", tokens_file, [factory.filing(OFFICE, n) for n in range(1, 41)])
            for start in range(0, 40, 10):
                _anchor(client, token, run.before[start : start + 10])
            soak._wait_indexed(server.base_url)
            run.answers = _answers(client, run.before)

            # The backup runs while a writer anchors one filing after another on the same gateway.
            stop = threading.Event()
            failures: list[str] = []

            def keep_anchoring() -> None:
                with httpx.Client(base_url=server.base_url, timeout=60) as writer:
                    n = 100
                    while not stop.is_set():
                        filing = factory.filing(OFFICE, n)
                        answer = writer.post(
                            "/v1/filings", json=filing.body(), headers={"Authorization": f"Bearer {token}"}
                        )
                        if answer.status_code != 201:
                            failures.append(answer.text)
                            return
                        run.during.append(filing)
                        n += 1

            writer = threading.Thread(target=keep_anchoring, name="anchoring-during-backup")
            writer.start()
            try:
                while len(run.during) < 3 and writer.is_alive():
                    threading.Event().wait(0.05)
                run.acked_at_start = len(run.during)
                backup(state_dir, run.backup_dir)
            finally:
                stop.set()
                writer.join(timeout=60)
            assert failures == []
            run.after = [factory.filing(OFFICE, n) for n in range(500, 505)]
            _anchor(client, token, run.after)
    finally:
        server.stop()  # a clean stop writes the chain snapshot: the stopped directory has one
    yield run


def test_the_backup_lists_every_file_a_gateway_keeps_with_its_sha256(served: Served) -> None:
    manifest = json.loads((served.backup_dir / MANIFEST).read_text())
    paths = {f["path"]: f for f in manifest["files"]}
    for kept in ("deployment.json", "chain.journal", "index.sqlite", "tokens.json", "registrar.json"):
        assert kept in paths, sorted(paths)
    assert any(p.startswith("keys/") for p in paths) and any(p.startswith("seeds/") for p in paths)
    assert "writer.lock" not in paths and not any(p.endswith(("-wal", "-shm")) for p in paths)
    assert paths["index.sqlite"]["kind"] == "sqlite" and paths["chain.journal"]["kind"] == "journal"
    assert manifest["deployment"]["contract"].startswith("0x")
    # The journal copy ends on a record boundary and holds what the manifest says.
    scan = scan_journal(served.backup_dir / "chain.journal")
    assert scan.torn_at is None and len(scan.records) == manifest["journalRecords"]
    assert verify_backup(served.backup_dir).journal_records == manifest["journalRecords"]
    # Keys stay owner-only in the backup too.
    assert all(f["mode"] & 0o077 == 0 for p, f in paths.items() if p.startswith(("keys/", "seeds/")))


def test_a_restored_directory_serves_the_same_data(served: Served, tmp_path: Path) -> None:
    restored = tmp_path / "restored"
    result = CliRunner().invoke(cli, ["state", "restore", str(served.backup_dir), "--state-dir", str(restored)])
    assert result.exit_code == 0, result.output
    assert "restored" in result.output
    server = soak.ServerProcess(restored, served.tokens_file, offices=OFFICE)
    server.start()
    try:
        soak._wait_indexed(server.base_url)
        with httpx.Client(base_url=server.base_url, timeout=60) as client:
            assert _answers(client, served.before) == served.answers
            for filing in served.after:  # anchored after the backup: not in it
                assert client.get(f"/v1/applications/{filing.commitment}").status_code == 404
            present = [f for f in served.during if client.get(f"/v1/applications/{f.commitment}").status_code == 200]
            # Filings made while the backup ran are a prefix of the writer's sequence: no gaps, and
            # every one acknowledged before the backup began is in it.
            assert present == served.during[: len(present)]
            assert len(present) >= served.acked_at_start > 0
            # The same token and key: the restored gateway writes as the office did.
            token = json.loads(served.tokens_file.read_text())[OFFICE]
            _anchor(client, token, [soak.FilingFactory().filing(OFFICE, 900)])
    finally:
        server.stop()


def test_backup_from_the_command_line_refuses_a_non_empty_target(served: Served, tmp_path: Path) -> None:
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "something").write_text("x")
    result = CliRunner().invoke(cli, ["state", "backup", str(tmp_path / "busy"), "--state-dir", str(served.state_dir)])
    assert result.exit_code == 2
    assert "not empty" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["busy"]  # no half-made copy beside it
    again = CliRunner().invoke(cli, ["state", "backup", str(tmp_path / "b2"), "--state-dir", str(served.state_dir)])
    assert again.exit_code == 0, again.output
    verify_backup(tmp_path / "b2")


def test_restore_refuses_an_altered_or_incomplete_backup_and_leaves_nothing(served: Served, tmp_path: Path) -> None:
    def refused(copy: Path, words: str) -> None:
        target = tmp_path / "target"
        with pytest.raises(BackupError, match=words):
            restore(copy, target)
        assert not target.exists()
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []

    altered = tmp_path / "altered"
    shutil.copytree(served.backup_dir, altered)
    key = next((altered / "keys").iterdir())
    key.write_bytes(key.read_bytes()[:-2] + b"0}")
    refused(altered, "altered")

    incomplete = tmp_path / "incomplete"
    shutil.copytree(served.backup_dir, incomplete)
    (incomplete / "tokens.json").unlink()
    refused(incomplete, "missing")

    extra = tmp_path / "extra"
    shutil.copytree(served.backup_dir, extra)
    (extra / "keys" / "planted.json").write_text("{}")
    refused(extra, "does not list")

    escaping = tmp_path / "escaping"
    shutil.copytree(served.backup_dir, escaping)
    manifest = json.loads((escaping / MANIFEST).read_text())
    manifest["files"][0]["path"] = "../outside"
    (escaping / MANIFEST).write_text(json.dumps(manifest))
    refused(escaping, "not a file inside")


def test_restore_refuses_a_non_empty_target_or_one_a_gateway_holds(served: Served, tmp_path: Path) -> None:
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / Journal.FILE_NAME).write_text("PRIOREG-JOURNAL 1 0\n")
    result = CliRunner().invoke(cli, ["state", "restore", str(served.backup_dir), "--state-dir", str(busy)])
    assert result.exit_code == 2 and "not empty" in result.output
    assert [p.name for p in busy.iterdir()] == [Journal.FILE_NAME]

    held = tmp_path / "held"
    with StateLock.acquire(held, command="prioreg serve"), pytest.raises(StateDirLocked):
        restore(served.backup_dir, held)
    assert [p.name for p in held.iterdir()] == ["writer.lock"]
    restore(served.backup_dir, held)  # once free, the empty directory takes the restore
    assert (held / "deployment.json").is_file()


def test_a_backup_of_a_stopped_gateway_holds_every_file_it_keeps(served: Served, tmp_path: Path) -> None:
    manifest = backup(served.state_dir, tmp_path / "copy")
    listed = {f.path for f in manifest.files}
    kept = {
        p.relative_to(served.state_dir).as_posix()
        for p in served.state_dir.rglob("*")
        if p.is_file() and not p.name.endswith(("-wal", "-shm")) and p.name != "writer.lock"
    }
    assert "chain.snapshot" in kept
    assert listed == kept
    assert verify_backup(tmp_path / "copy").files == manifest.files


def test_a_backup_leaves_out_a_record_still_being_written(served: Served, tmp_path: Path) -> None:
    """A torn tail (an append in progress, or one a crash cut short) is never acknowledged: not copied."""
    source = tmp_path / "source"
    restore(served.backup_dir, source)
    journal = source / Journal.FILE_NAME
    whole = scan_journal(journal)
    with journal.open("ab") as fh:
        fh.write(b"\x00\x00\x01\x00\x12\x34")  # the first bytes of a record header
    manifest = backup(source, tmp_path / "copy")
    assert manifest.journal_records == len(whole.records)
    assert (tmp_path / "copy" / Journal.FILE_NAME).read_bytes() == journal.read_bytes()[: whole.size]
