"""The Index object: a file resumed where it stopped, readers on other threads (registry.index.store)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from registry.index import Index
from tests.registry.index.support import (
    Ledger,
    anchored,
    entry,
    rebuilt,
    story,
)


def test_a_reopened_index_file_resumes_where_it_stopped(ledger: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "index.sqlite"
    calls = 0

    def sync_in_a_new_process() -> None:
        nonlocal calls
        calls += 1
        with Index(path, ledger.chain, ledger.address) as idx:
            before = idx.last_block()
            report = idx.sync()
            assert before is None or report.from_block == before + 1

    story(ledger, after=sync_in_a_new_process)
    with Index(path, ledger.chain, ledger.address) as idx:
        assert idx.dump() == rebuilt(ledger)
        assert idx.sync().events == 0
    assert calls > 5


def test_readers_on_other_threads_see_a_whole_sync_step_or_none(ledger: Ledger, tmp_path: Path) -> None:
    entries = [entry(f"t{i}") for i in range(3000)]
    ledger.batch("EP", entries)
    seen: set[int] = set()
    failures: list[BaseException] = []
    with Index(tmp_path / "index.sqlite", ledger.chain, ledger.address) as idx:
        stop = threading.Event()

        def read() -> None:
            try:
                while not stop.is_set():
                    seen.add(idx.stats().filings)
                    anchored(idx, entries[-1].commitment)
            except BaseException as exc:
                failures.append(exc)

        readers = [threading.Thread(target=read) for _ in range(2)]
        for t in readers:
            t.start()
        idx.sync()
        time.sleep(0.05)
        stop.set()
        for t in readers:
            t.join()
    assert failures == []
    assert seen <= {0, 3000} and 3000 in seen


def test_a_read_only_index_reads_what_its_writer_wrote_and_never_writes(ledger: Ledger, tmp_path: Path) -> None:
    """A gateway's read worker (`serve --workers N`): the owner follows the chain, the worker only reads."""
    import sqlite3

    import pytest

    from registry import errors

    path = tmp_path / "index.sqlite"
    with pytest.raises(errors.IndexInconsistent, match="no index"):
        Index(path, ledger.chain, ledger.address, read_only=True)
    first = entry("read-only-1")
    ledger.batch("EP", [first])
    with Index(path, ledger.chain, ledger.address) as writer:
        writer.sync()
        with Index(path, ledger.chain, ledger.address, read_only=True) as reader:
            assert reader.read_only and not writer.read_only
            assert anchored(reader, first.commitment)
            assert reader.last_block() == writer.last_block()
            second = entry("read-only-2")
            ledger.batch("JP", [second])
            assert not anchored(reader, second.commitment)
            writer.sync()  # the writer's commit is the reader's next snapshot
            assert anchored(reader, second.commitment)
            with pytest.raises(errors.IndexInconsistent, match="read-only"):
                reader.sync()
            with reader._reading() as db, pytest.raises(sqlite3.OperationalError, match="readonly"):
                db.execute("DELETE FROM meta")
        assert writer.dump() == rebuilt(ledger)
    with pytest.raises(errors.IndexInconsistent, match="follows contract"):
        Index(path, ledger.chain, "0x" + "11" * 20, read_only=True)
