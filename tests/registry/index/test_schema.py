"""The index file: its schema version and the contract it follows (registry.index.schema)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from registry import errors
from registry.domain.entries import ClaimRef
from registry.index import SCHEMA_VERSION, Index
from tests.registry.index.support import (
    DAY,
    Ledger,
    c,
    entry,
)


def test_an_index_made_for_another_contract_is_refused(ledger: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "index.sqlite"
    with Index(path, ledger.chain, ledger.address) as idx:
        idx.sync()
    other = ledger.chain.deploy_registry(ledger.registrar)
    with pytest.raises(errors.IndexInconsistent, match="another file"):
        Index(path, ledger.chain, other)


def test_an_index_of_an_older_schema_is_refused_or_rebuilt_from_the_chain(ledger: Ledger, tmp_path: Path) -> None:
    ledger.batch("EP", [entry("a", claims=(ClaimRef(c("b"), DAY, "EP"),))])
    path = tmp_path / "index.sqlite"
    with Index(path, ledger.chain, ledger.address) as idx:
        idx.sync()
        expected = idx.dump()
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION - 1}")
    db.close()
    with pytest.raises(errors.IndexInconsistent, match="schema version"):
        Index(path, ledger.chain, ledger.address)
    with Index(path, ledger.chain, ledger.address, rebuild_outdated=True) as idx:
        assert idx.stats().filings == 0
        idx.sync()
        assert idx.dump() == expected
