"""The durable embedded chain (registry.ledger.embedded): same chain after a restart, from the journal alone or
from a snapshot plus the journal after it; a torn tail is cut off, damage anywhere else is refused."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import struct
from pathlib import Path

import pytest

from registry.domain.entries import Entry
from registry.domain.types import IpRightKind
from registry.ledger import embedded
from registry.ledger.chain import Chain
from registry.ledger.client import RegistryClient, deploy
from registry.ledger.embedded import JournalCorrupt, SnapshotPolicy, read_snapshot, scan_journal

JOURNAL_ONLY = SnapshotPolicy(enabled=False)
#: Snapshots often enough that a short test crosses several of them.
EVERY_THREE = SnapshotPolicy(every_records=3, every_bytes=10**9, every_seconds=10**6)


def _entry(i: int) -> Entry:
    return Entry(i.to_bytes(32, "big"), IpRightKind.PATENT, dt.date(2024, 1, 1) + dt.timedelta(days=i))


def _hashes(chain: Chain) -> list[bytes]:
    return [bytes(chain.w3.eth.get_block(n)["hash"]) for n in range(chain.block_number() + 1)]


def _populate(chain: Chain) -> tuple[RegistryClient, RegistryClient, bytes]:
    registrar = deploy(chain, chain.new_account())
    office = chain.new_account()
    registrar.admit_office("EP", office.address)
    ep = registrar.for_account(office)
    ep.anchor_filing(_entry(1))
    (batch,) = ep.anchor_batch([_entry(i) for i in range(2, 50)])
    for i in range(50, 54):
        ep.anchor_filing(_entry(i))
    return registrar, ep, batch.root


def _wait_for_snapshot_writer(chain: Chain) -> None:
    journal = chain._journal
    assert journal is not None
    snapshots = journal._snapshots
    if snapshots is not None and snapshots._writer is not None:
        snapshots._writer.join()


def _rebuilt_from(caplog: pytest.LogCaptureFixture) -> str:
    (line,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("chain rebuilt")]
    return line


@pytest.mark.parametrize("policy", [JOURNAL_ONLY, EVERY_THREE], ids=["journal-only", "snapshots"])
def test_a_restarted_embedded_chain_holds_everything_it_acknowledged_with_the_same_block_hashes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, policy: SnapshotPolicy
) -> None:
    monkeypatch.setattr(embedded, "DEFAULT_SNAPSHOT_POLICY", policy)
    first = Chain.embedded(tmp_path)
    registrar, ep, root = _populate(first)
    head = first.block_number()
    hashes = _hashes(first)
    first.close()
    assert (tmp_path / "chain.snapshot").exists() is policy.enabled

    again = Chain.embedded(tmp_path)
    assert again.block_number() == head
    assert _hashes(again) == hashes
    client = RegistryClient(again, registrar.address, ep.account)
    assert client.has_record("EP", _entry(1).commitment)
    assert client.has_batch("EP", root)
    # The restarted chain keeps going: the office writes again with its local nonce re-read.
    client.anchor_filing(_entry(99))
    after = _hashes(again)
    again.close()
    third = Chain.embedded(tmp_path)
    assert third.block_number() == head + 1
    assert _hashes(third) == after
    third.close()
    # A block mined on a chain rebuilt from a snapshot is the block a full replay rebuilds.
    monkeypatch.setattr(embedded, "DEFAULT_SNAPSHOT_POLICY", JOURNAL_ONLY)
    replayed = Chain.embedded(tmp_path)
    assert _hashes(replayed) == after
    replayed.close()


def test_a_crash_after_a_periodic_snapshot_replays_only_the_records_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(embedded, "DEFAULT_SNAPSHOT_POLICY", EVERY_THREE)
    live = Chain.embedded(tmp_path / "live")
    _populate(live)
    _wait_for_snapshot_writer(live)
    hashes = _hashes(live)
    # What a kill -9 leaves: the fsynced journal and the last snapshot, no snapshot on close.
    shutil.copytree(tmp_path / "live", tmp_path / "crashed")
    live.close()
    covered = read_snapshot(tmp_path / "crashed" / "chain.snapshot").records
    assert 0 < covered <= len(hashes) - 1

    with caplog.at_level(logging.INFO, logger="prioreg.embedded"):
        restarted = Chain.embedded(tmp_path / "crashed")
    assert _rebuilt_from(caplog).endswith(
        f"{covered} journal records from a snapshot, {len(hashes) - 1 - covered} replayed"
    )
    assert _hashes(restarted) == hashes
    restarted.close()


def test_a_corrupt_snapshot_is_reported_and_the_whole_journal_replayed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(embedded, "DEFAULT_SNAPSHOT_POLICY", EVERY_THREE)
    chain = Chain.embedded(tmp_path)
    _populate(chain)
    hashes = _hashes(chain)
    chain.close()
    snapshot = tmp_path / "chain.snapshot"
    data = bytearray(snapshot.read_bytes())
    data[len(data) // 2] ^= 0x01
    snapshot.write_bytes(bytes(data))

    with caplog.at_level(logging.INFO, logger="prioreg.embedded"):
        again = Chain.embedded(tmp_path)
    assert any("fails its checksum" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)
    assert _rebuilt_from(caplog).endswith(f"0 journal records from a snapshot, {len(hashes) - 1} replayed")
    assert _hashes(again) == hashes
    again.close()


def test_a_snapshot_of_another_journal_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(embedded, "DEFAULT_SNAPSHOT_POLICY", EVERY_THREE)
    one, two = tmp_path / "one", tmp_path / "two"
    for directory in (one, two):
        chain = Chain.embedded(directory)
        _populate(chain)
        chain.close()
    hashes_two = _hashes(chain)
    shutil.copy(one / "chain.snapshot", two / "chain.snapshot")

    with caplog.at_level(logging.WARNING, logger="prioreg.embedded"):
        again = Chain.embedded(two)
    assert any("ignoring the chain snapshot" in r.getMessage() for r in caplog.records)
    assert _hashes(again) == hashes_two
    again.close()


def _journal_with_records(tmp_path: Path) -> tuple[Path, int]:
    """A state dir whose journal holds a few records (no snapshot); return the journal and its head."""
    chain = Chain.embedded(tmp_path)
    account = chain.new_account()
    for _ in range(3):
        chain.send(account, to=chain.funder.address if chain.funder else None, value=1, gas=21_000)
    head = chain.block_number()
    chain.close()
    (tmp_path / "chain.snapshot").unlink(missing_ok=True)
    return tmp_path / "chain.journal", head


@pytest.mark.parametrize("cut", [3, 5, 60], ids=["inside-the-header", "last-bytes", "inside-the-body"])
def test_a_torn_last_record_is_moved_aside_and_the_chain_opens_without_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, cut: int
) -> None:
    monkeypatch.setattr(embedded, "DEFAULT_SNAPSHOT_POLICY", JOURNAL_ONLY)
    journal, head = _journal_with_records(tmp_path)
    data = journal.read_bytes()
    last = scan_journal(journal).ends[-2]  # where the last record starts
    torn = data[: last + cut] if cut < 8 else data[:-cut]
    journal.write_bytes(torn)

    with caplog.at_level(logging.WARNING, logger="prioreg.embedded"):
        chain = Chain.embedded(tmp_path)
    assert any("torn record" in r.getMessage() for r in caplog.records)
    # The torn transaction was never acknowledged; everything before it is there.
    assert chain.block_number() == head - 1
    assert journal.stat().st_size == last
    assert (tmp_path / f"chain.journal.torn-{last}").read_bytes() == torn[last:]
    # The chain goes on from there, and the journal stays readable.
    chain.new_account()
    assert chain.block_number() == head
    chain.close()
    assert len(scan_journal(journal).records) == head


def test_a_zero_filled_tail_is_cut_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedded, "DEFAULT_SNAPSHOT_POLICY", JOURNAL_ONLY)
    journal, head = _journal_with_records(tmp_path)
    size = journal.stat().st_size
    with journal.open("ab") as fh:
        fh.write(bytes(4096))  # the file system grew the file; the data never landed
    chain = Chain.embedded(tmp_path)
    assert chain.block_number() == head
    chain.close()
    assert journal.stat().st_size == size


def test_a_flipped_byte_in_a_complete_last_record_is_reported_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embedded, "DEFAULT_SNAPSHOT_POLICY", JOURNAL_ONLY)
    journal, _head = _journal_with_records(tmp_path)
    data = bytearray(journal.read_bytes())
    data[-10] ^= 0xFF
    journal.write_bytes(bytes(data))
    # A complete record may have been acknowledged: damage in it is for a person to look at.
    with pytest.raises(JournalCorrupt, match="checksum"):
        Chain.embedded(tmp_path)
    assert journal.read_bytes() == bytes(data)


def test_a_corrupt_record_in_the_middle_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedded, "DEFAULT_SNAPSHOT_POLICY", JOURNAL_ONLY)
    journal, _head = _journal_with_records(tmp_path)
    scan = scan_journal(journal)
    data = bytearray(journal.read_bytes())
    data[scan.ends[0] + 20] ^= 0x01  # inside the second record's body
    journal.write_bytes(bytes(data))
    with pytest.raises(JournalCorrupt, match="checksum") as caught:
        Chain.embedded(tmp_path)
    assert caught.value.offset == scan.ends[0]
    assert journal.read_bytes() == bytes(data)


def test_a_damaged_length_in_the_middle_is_not_mistaken_for_a_torn_tail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embedded, "DEFAULT_SNAPSHOT_POLICY", JOURNAL_ONLY)
    journal, _head = _journal_with_records(tmp_path)
    scan = scan_journal(journal)
    data = bytearray(journal.read_bytes())
    # The second-to-last record now claims to run past the end, as a torn one would; but a valid
    # record (the last) lies inside what would be cut off, so this is damage, not a tear.
    start = scan.ends[-3]
    struct.pack_into(">I", data, start, len(data) - start)
    journal.write_bytes(bytes(data))
    with pytest.raises(JournalCorrupt, match="does not fit"):
        Chain.embedded(tmp_path)
    assert journal.read_bytes() == bytes(data)


def test_a_snapshot_write_cut_short_by_a_crash_leaves_the_previous_snapshot_in_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(embedded, "DEFAULT_SNAPSHOT_POLICY", EVERY_THREE)
    chain = Chain.embedded(tmp_path)
    _populate(chain)
    hashes = _hashes(chain)
    chain.close()
    snapshot = tmp_path / "chain.snapshot"
    # The temp file a killed writer leaves: half a snapshot, never renamed over the real one.
    (tmp_path / "chain.snapshot.tmp").write_bytes(snapshot.read_bytes()[: snapshot.stat().st_size // 2])

    with caplog.at_level(logging.INFO, logger="prioreg.embedded"):
        again = Chain.embedded(tmp_path)
    assert _rebuilt_from(caplog).endswith(f"{len(hashes) - 1} journal records from a snapshot, 0 replayed")
    assert not (tmp_path / "chain.snapshot.tmp").exists()
    assert _hashes(again) == hashes
    again.close()


def test_each_journal_record_is_on_disk_before_the_next_transaction_is_mined(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Readers (the index follower, verifications) see a block as soon as it is mined; a batch call that
    sends ten transactions must not leave the first nine in a process buffer a kill -9 would lose."""
    chain = Chain.embedded(tmp_path)
    registrar = deploy(chain, chain.new_account())
    office = chain.new_account()
    registrar.admit_office("EP", office.address)
    ep = registrar.for_account(office)
    seen: list[tuple[int, int]] = []
    append = embedded.Journal.append

    def spy(self: embedded.Journal, timestamp: int, raw: bytes) -> None:
        seen.append((self.path.stat().st_size, self.size))  # on disk vs appended, before this record
        append(self, timestamp, raw)

    monkeypatch.setattr(embedded.Journal, "append", spy)
    batches = ep.anchor_batch([_entry(i) for i in range(2, 50)], max_bytes=400)
    chain.close()
    assert len(batches) == len(seen) >= 5
    assert [on_disk for on_disk, _ in seen] == [appended for _, appended in seen]
