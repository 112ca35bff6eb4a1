"""The content-addressed file store: atomic, idempotent, and never serving damaged bytes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from registry.service.files import FileStore


def test_a_file_is_kept_under_its_sha256_and_read_back(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "files")
    sha = store.put(b"%PDF-1.7 report", media_type="application/pdf")
    assert sha == hashlib.sha256(b"%PDF-1.7 report").hexdigest()
    got = store.get(sha)
    assert got is not None
    assert (got.data, got.media_type) == (b"%PDF-1.7 report", "application/pdf")
    assert store.has(sha)


def test_the_same_bytes_twice_are_stored_once_and_no_temporary_file_is_left(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "files")
    first = store.put(b"x", media_type="text/plain")
    assert store.put(b"x", media_type="text/plain") == first
    names = sorted(p.name for p in (tmp_path / "files").rglob("*") if p.is_file())
    assert names == [first, first + ".json"]


def test_damaged_bytes_or_missing_metadata_read_as_absent(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "files")
    sha = store.put(b"original", media_type="application/pdf")
    path = tmp_path / "files" / "sha256" / sha[:2] / sha
    path.write_bytes(b"tampered")
    assert store.get(sha) is None
    other = store.put(b"second", media_type="application/pdf")
    (tmp_path / "files" / "sha256" / other[:2] / (other + ".json")).unlink()
    assert not store.has(other)
    assert store.get("0" * 64) is None


@pytest.mark.parametrize("name", ["../../etc/passwd", "ABCDEF" + "0" * 58, "", "0" * 63])
def test_a_name_that_is_not_a_sha256_is_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="SHA-256"):
        FileStore(tmp_path).get(name)


@pytest.mark.parametrize("media_type", ["", "pdf", "text/plain\r\nX-Injected: 1", "a/b/c"])
def test_a_media_type_that_could_inject_a_header_is_refused(tmp_path: Path, media_type: str) -> None:
    with pytest.raises(ValueError, match="media type"):
        FileStore(tmp_path).put(b"x", media_type=media_type)
