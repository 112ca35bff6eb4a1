"""The priority-document desk's own state (registry.service.priority_documents): the book of held packages, their
secrets and accesses is one SQLite file of the state directory that every worker shares and backups carry; the
``accessSecretHash`` a request carries is the ABI encoding of docs/spec/between-gateways.md#what-the-holder-refuses."""

from __future__ import annotations

from pathlib import Path

from eth_abi import encode
from eth_utils.crypto import keccak

from registry.domain.commitments import access_secret_hash
from registry.ops.backup import backup, restore
from registry.service.priority_documents import PACKAGES_FILE, PackageAccess, PackageBook

COMMITMENT = bytes(range(32))
SECRET = "K61VSG1EHYPC4603"


def test_the_access_secret_hash_is_the_abi_encoding_of_the_spec() -> None:
    expected = keccak(encode(["bytes2", "bytes32", "string"], [b"EP", COMMITMENT, SECRET]))
    assert access_secret_hash("EP", COMMITMENT, SECRET) == expected
    assert access_secret_hash("US", COMMITMENT, SECRET) != expected  # bound to the requesting office


def test_the_book_keeps_versions_secrets_and_accesses_across_workers(tmp_path: Path) -> None:
    first, second = PackageBook(tmp_path / PACKAGES_FILE), PackageBook(tmp_path / PACKAGES_FILE)
    first.hold("JP", COMMITMENT, 2, "aa" * 32, SECRET)
    first.hold("JP", COMMITMENT, 3, "bb" * 32, SECRET)
    assert second.held("JP", COMMITMENT, None) == (3, "bb" * 32)
    assert second.held("JP", COMMITMENT, 2) == (2, "aa" * 32)
    assert second.held("JP", COMMITMENT, 4) is None and second.held("US", COMMITMENT, None) is None
    assert second.secret_holders(COMMITMENT) == [("JP", SECRET)]
    second.log("JP", COMMITMENT, PackageAccess("EP", "2026-12-03T08:00:00Z", 2))
    assert first.accesses("JP", COMMITMENT) == [PackageAccess("EP", "2026-12-03T08:00:00Z", 2)]
    first.close()
    second.close()


def test_a_backup_carries_the_book(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    book = PackageBook(state / PACKAGES_FILE)
    book.hold("JP", COMMITMENT, 2, "aa" * 32, SECRET)
    book.log("JP", COMMITMENT, PackageAccess("EP", "2026-12-03T08:00:00Z", 2))
    manifest = backup(state, tmp_path / "backup")
    assert PACKAGES_FILE in {f.path for f in manifest.files}
    restore(tmp_path / "backup", tmp_path / "restored")
    restored = PackageBook(tmp_path / "restored" / PACKAGES_FILE)
    assert restored.held("JP", COMMITMENT, None) == (2, "aa" * 32)
    assert restored.accesses("JP", COMMITMENT) == [PackageAccess("EP", "2026-12-03T08:00:00Z", 2)]
    book.close()
    restored.close()
