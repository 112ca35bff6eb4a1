"""``prioreg state check [--repair]``, the writer lock and the no-traceback rule, from a terminal.

docs/design.md#p8-one-writer-per-state-directory: journal replay never fails silently. A damaged journal — its last
record cut short, a garbage record in the middle, a record py-evm refuses (what two writers on one
journal leave) — is named in one line by ``state check`` (which writes nothing) and by every
command that opens the chain; ``--repair`` keeps every record before the bad one, says what it
dropped, and the directory works again, acknowledged data before the damage intact.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import zlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from registry.cli import app
from registry.ledger.embedded import scan_journal
from registry.ops.lock import StateLock

runner = CliRunner()
ENV = {"PRIOREG_KEY_PASSPHRASE": "state-test-passphrase"}
FILINGS = (("2017-187096", "2017-09-27"), ("2017-187097", "2017-09-28"), ("2017-187098", "2017-09-29"))


def prioreg(*args: str, code: int | None = 0) -> str:
    result = runner.invoke(app, list(args), env=ENV)
    if code is not None:
        assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result.output


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A state directory with JP admitted and three filings, one journal record each; their access codes."""
    path = tmp_path_factory.mktemp("base") / "state"
    prioreg("deploy", "--state-dir", str(path), "--json")
    prioreg("keys", "create", "JP", "--dir", str(path / "keys"), "--scrypt-n", "16")
    prioreg("admit", "JP", "--state-dir", str(path), "--json")
    codes = []
    for number, day in FILINGS:
        out = prioreg("anchor", "--office", "JP", "--number", number, "--date", day, "--state-dir", str(path), "--json")
        codes.append(json.loads(out)["accessCode"])
    return path, codes


@pytest.fixture
def state(base: tuple[Path, list[str]], tmp_path: Path) -> Path:
    copy = tmp_path / "state"
    shutil.copytree(base[0], copy)
    return copy


def verdict(state: Path, n: int, codes: list[str]) -> str:
    number, day = FILINGS[n]
    out = prioreg(
        "verify",
        *("--office", "JP", "--number", number, "--date", day, "--code", codes[n]),
        *("--later-office", "US", "--later-date", "2018-06-01", "--state-dir", str(state), "--json"),
        code=None,
    )
    result: str = json.loads(out)["verdict"]
    return result


def check(state: Path, *extra: str, code: int) -> str:
    return prioreg("state", "check", "--state-dir", str(state), *extra, code=code)


def _records(state: Path) -> tuple[int, list[int]]:
    scan = scan_journal(state / "chain.journal")
    return len(scan.records), [scan.header_end, *scan.ends]


def _listing(state: Path) -> dict[str, tuple[int, int]]:
    # Not index.sqlite-shm: SQLite's shared-memory index of the WAL, which every reader maps and
    # touches to read a consistent snapshot beside a writer; it holds no data.
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in state.iterdir() if not p.name.endswith("-shm")}


def test_a_sound_directory_is_reported_sound_and_readers_write_nothing(
    state: Path, base: tuple[Path, list[str]]
) -> None:
    before = _listing(state)
    out = check(state, code=0)
    assert "sound" in out and "all replay" in out
    assert verdict(state, 0, base[1]) == "valid"
    assert _listing(state) == before


def test_a_truncated_last_record_is_reported_and_repaired(state: Path, base: tuple[Path, list[str]]) -> None:
    journal = state / "chain.journal"
    count, starts = _records(state)
    journal.write_bytes(journal.read_bytes()[:-10])
    out = check(state, code=1)
    assert f"torn record at byte {starts[count - 1]}" in out
    out = check(state, "--repair", code=0)
    assert f"kept {count - 1} records" in out and "dropped" in out
    assert _records(state)[0] == count - 1
    codes = base[1]
    assert [verdict(state, n, codes) for n in range(3)] == ["valid", "valid", "notFound"]
    # The chain goes on: the office anchors again.
    prioreg("anchor", "--office", "JP", "--number", "2017-187099", "--date", "2017-09-30", "--state-dir", str(state))


def test_a_garbage_record_in_the_middle_is_named_and_everything_before_it_kept(
    state: Path, base: tuple[Path, list[str]]
) -> None:
    journal = state / "chain.journal"
    count, starts = _records(state)
    data = bytearray(journal.read_bytes())
    bad = count - 1  # the second filing's record (1-based), followed by the third's
    at = starts[bad - 1]
    data[at + 20 : at + 40] = os.urandom(20)  # inside the body: its checksum no longer matches
    journal.write_bytes(bytes(data))
    out = check(state, code=1)
    line = next(line for line in out.splitlines() if "problem" in line)
    assert f"record {bad} at byte {at} (checksum mismatch)" in line
    assert f"keeps the {bad - 1} records before it" in line
    # A command that opens the chain says the same in one line, with the way out.
    refused = prioreg(
        "anchor", "--office", "JP", "--number", "2017-187099", "--date", "2017-09-30", "--state-dir", str(state), code=2
    )
    assert len(refused.strip().splitlines()) == 1 and "state check" in refused
    out = check(state, "--repair", code=0)
    assert f"kept {bad - 1} records" in out and f"dropped record {bad}" in out
    assert "rebuilt the index" in out
    assert (state / f"chain.journal.dropped-{at}").read_bytes() == bytes(data[at:])
    codes = base[1]
    assert [verdict(state, n, codes) for n in range(3)] == ["valid", "notFound", "notFound"]


def test_a_record_that_cannot_be_replayed_is_named_at_start_and_repaired(
    state: Path, base: tuple[Path, list[str]]
) -> None:
    """What two writers leave: a well-formed record py-evm refuses (its nonce was used already)."""
    journal = state / "chain.journal"
    count, starts = _records(state)
    data = journal.read_bytes()
    last = data[starts[count - 1] :]  # the third filing's record, again: a second writer's fork
    journal.write_bytes(data + last)
    refused = prioreg(
        "anchor", "--office", "JP", "--number", "2017-187099", "--date", "2017-09-30", "--state-dir", str(state), code=2
    )
    assert len(refused.strip().splitlines()) == 1, refused
    assert f"record {count + 1} at byte {len(data)} cannot be replayed" in refused and "nonce" in refused
    out = check(state, code=1)
    assert f"record {count + 1} at byte {len(data)} cannot be replayed" in out
    out = check(state, "--repair", code=0)
    assert f"kept {count} records" in out
    codes = base[1]
    assert [verdict(state, n, codes) for n in range(3)] == ["valid", "valid", "valid"]


def test_a_bad_header_is_reported_as_beyond_repair(state: Path) -> None:
    journal = state / "chain.journal"
    journal.write_bytes(b"NOT A JOURNAL\n" + journal.read_bytes())
    out = check(state, code=1)
    assert "bad header" in out and "restore a backup" in out
    assert "kept" not in check(state, "--repair", code=1)


def test_a_garbage_record_with_a_valid_checksum_is_refused_by_replay_not_used(state: Path) -> None:
    journal = state / "chain.journal"
    count, _ = _records(state)
    payload = struct.pack(">Q", 1_700_000_000) + os.urandom(64)
    journal.write_bytes(journal.read_bytes() + struct.pack(">II", len(payload), zlib.crc32(payload)) + payload)
    assert f"record {count + 1} at byte" in check(state, code=1)
    check(state, "--repair", code=0)


def test_an_unexpected_error_is_one_line_and_a_file_holding_the_traceback(state: Path) -> None:
    (state / "index.sqlite").write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        Path(f"{state / 'index.sqlite'}{suffix}").unlink(missing_ok=True)
    result = runner.invoke(
        app,
        ["anchor", "--office", "JP", "--number", "2017-187099", "--date", "2017-09-30", "--state-dir", str(state)],
        env=ENV,
    )
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("unexpected error: DatabaseError"), result.output
    saved = Path(lines[0].split("the traceback is in ")[1].split(";")[0])
    assert "Traceback" in saved.read_text()
    saved.unlink()
    # state check names it; --repair rebuilds the index from the chain.
    assert "cannot be read" in check(state, code=1)
    assert "rebuilt the index" in check(state, "--repair", code=0)
    prioreg("anchor", "--office", "JP", "--number", "2017-187099", "--date", "2017-09-30", "--state-dir", str(state))


def test_a_writer_is_refused_while_another_holds_the_lock_and_readers_are_not(
    state: Path, base: tuple[Path, list[str]]
) -> None:
    with StateLock.acquire(state, command="a test holding the lock"):
        for args in (
            ("anchor", "--office", "JP", "--number", "2017-187099", "--date", "2017-09-30"),
            ("keys", "create", "US", "--dir", str(state / "keys"), "--scrypt-n", "16"),
            ("admit", "US"),
            ("state", "check", "--repair"),
        ):
            extra = () if args[0] == "keys" else ("--state-dir", str(state))
            out = prioreg(*args, *extra, code=2)
            assert out.strip().splitlines() == [
                f"error: {state} is in use by pid {os.getpid()} (a test holding the lock): one writer per state "
                "directory; stop it or use another --state-dir"
            ]
        assert verdict(state, 0, base[1]) == "valid"
        check(state, code=0)
    assert not (state / "keys" / "US.json").exists()
    assert (state / "writer.lock").read_text() == ""  # released: the pid is cleared
