"""The package container (docs/spec/packages.md#container): deterministic bytes, and every hostile archive refused
quickly, unread, with the check ``archiveWellFormed``."""

from __future__ import annotations

import datetime as _dt
import hashlib
import io
import struct
import time
import tracemalloc
import zipfile
import zlib

import pytest

from registry import errors
from registry.domain.packages import (
    MANIFEST_NAME,
    MAX_TOTAL_BYTES,
    SIGNATURE_NAME,
    Manifest,
    PackageSignature,
    build_package,
    canonical_json,
    check_files,
    check_manifest,
    manifest_bytes,
    manifest_for,
    parse_signature,
    read_package,
)

SIG = PackageSignature("0x" + "ab" * 20, bytes(64) + b"\x1b")
FILES = {"application.pdf": b"%PDF-1.7 the application", "biblio.xml": b"<biblio/>"}


def _manifest(files: dict[str, bytes] = FILES, version: int = 2) -> Manifest:
    return manifest_for(
        chain_id=31337,
        contract="0x" + "12" * 20,
        ip_office_code="JP",
        application_number="2024-123456",
        filing_date=_dt.date(2024, 3, 1),
        ip_right_kind="patent",
        commitment=bytes(range(32)),
        version=version,
        files=[(n, "application/pdf" if n.endswith(".pdf") else "application/xml", d) for n, d in files.items()],
    )


def _package() -> bytes:
    return build_package(_manifest(), FILES, SIG)


# ── hand-made archives ───────────────────────────────────────────────────────────────────


def _raw_zip(
    entries: list[tuple[bytes, bytes]],
    *,
    method: int = 0,
    flags: int = 0,
    local_size: int | None = None,
    central_size: int | None = None,
    offsets: list[int] | None = None,
    extra: bytes = b"",
    comment: bytes = b"",
    disk: int = 0,
    date: int = 0x21,
    count: int | None = None,
) -> bytes:
    out, central = bytearray(), bytearray()
    for i, (name, data) in enumerate(entries):
        crc, offset = zlib.crc32(data), len(out)
        ls = len(data) if local_size is None else local_size
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 10, flags, method, 0, date, crc, ls, ls, len(name), len(extra))
        out += name + extra + data
        cs = len(data) if central_size is None else central_size
        off = offset if offsets is None else offsets[i]
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 10, 10, flags, method, 0, date, crc, cs, cs, len(name), 0, 0, 0, 0, 0, off
        )
        central += name
    n = len(entries) if count is None else count
    end = struct.pack("<IHHHHIIH", 0x06054B50, disk, disk, n, n, len(central), len(out), len(comment))
    return bytes(out + central + end + comment)


def _refused(data: bytes, fragment: str) -> None:
    start = time.perf_counter()
    with pytest.raises(errors.MalformedPackage) as info:
        read_package(data)
    assert time.perf_counter() - start < 1.0
    assert info.value.code == "malformedPackage"
    assert info.value.message.startswith("archiveWellFormed: ")
    assert fragment in info.value.message, info.value.message


# ── building ─────────────────────────────────────────────────────────────────────────────


def test_the_same_inputs_give_the_same_bytes() -> None:
    assert _package() == _package()
    reordered = dict(reversed(list(FILES.items())))
    assert build_package(_manifest(reordered), reordered, SIG) == _package()


def test_a_built_package_reads_back_and_follows_the_container_rules() -> None:
    data = _package()
    package = read_package(data)
    assert list(package.entries) == ["application.pdf", "biblio.xml", MANIFEST_NAME, SIGNATURE_NAME]
    assert package.entries["application.pdf"] == FILES["application.pdf"]
    with zipfile.ZipFile(io.BytesIO(data)) as z:  # a cross-check only
        assert z.testzip() is None
        infos = z.infolist()
        assert [i.filename for i in infos] == sorted(i.filename for i in infos)
        assert all(i.compress_type == zipfile.ZIP_STORED and i.date_time == (1980, 1, 1, 0, 0, 0) for i in infos)
        assert all(i.extra == b"" for i in infos) and z.comment == b""
    assert check_files(_manifest(), package.entries).passed
    check, manifest = check_manifest(package.entries[MANIFEST_NAME])
    assert check.passed and manifest == _manifest()


def test_the_manifest_is_rfc_8785_canonical_json() -> None:
    assert canonical_json({"b": 1, "a": [True, None, "é\n\u0001"], "€": 0, "\U0001f600": 1, "ﬀ": 2}) == (
        '{"a":[true,null,"é\\n\\u0001"],"b":1,"€":0,"\U0001f600":1,"ﬀ":2}'.encode()
    )
    text = manifest_bytes(_manifest()).decode()
    assert not text.endswith("\n") and " " not in text.replace("2024-123456", "")
    assert text.startswith('{"applicationNumber":"2024-123456","chainId":31337,"commitment":"0x0001')
    with pytest.raises(ValueError):
        canonical_json({"x": 1.5})


def test_a_manifest_that_is_not_canonical_fails_its_check() -> None:
    data = manifest_bytes(_manifest())
    check, manifest = check_manifest(data.replace(b",", b", ", 1))
    assert not check.passed and manifest == _manifest() and "canonical" in check.message
    check, manifest = check_manifest(data + b"\n")
    assert not check.passed
    check, manifest = check_manifest(b"[1]")
    assert not check.passed and manifest is None


def test_a_deeply_nested_manifest_or_signature_fails_its_check_and_raises_nothing_else() -> None:
    """A few KB of ``[[[[…`` from anyone: json.loads raised RecursionError (the 500 of 2026-12-06)."""
    deep = b"[" * 5_000 + b"]" * 5_000
    check, manifest = check_manifest(deep)
    assert not check.passed and manifest is None and "deeper" in check.message
    check, manifest = check_manifest(b'{"format":' + b"[" * 40 + b"]" * 40 + b"}")
    assert not check.passed and manifest is None
    with pytest.raises(ValueError, match=r"signature\.json"):
        parse_signature(deep)
    with pytest.raises(ValueError, match="not JSON"):
        parse_signature(b"\xff\xfe")


def test_a_byte_changed_in_a_file_fails_files_match_manifest() -> None:
    entries = dict(read_package(_package()).entries)
    entries["biblio.xml"] = b"<biblio>"
    check = check_files(_manifest(), entries)
    assert not check.passed and "biblio.xml" in check.message
    del entries["biblio.xml"]
    assert not check_files(_manifest(), entries).passed
    assert not check_files(_manifest(), {**read_package(_package()).entries, "more.pdf": b""}).passed


def test_build_refuses_names_and_files_the_manifest_does_not_list() -> None:
    with pytest.raises(errors.InvalidInput):
        build_package(_manifest(), {**FILES, "other.pdf": b"x"}, SIG)
    with pytest.raises(errors.InvalidInput):
        build_package(_manifest({"../x": b"x"}), {"../x": b"x"}, SIG)


# ── reading: every refusal ───────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        (b"../etc/passwd", "is not [A-Za-z0-9._-]"),
        (b"/etc/passwd", "is not [A-Za-z0-9._-]"),
        (b"C:\\x", "is not [A-Za-z0-9._-]"),
        (b"dir/", "is not [A-Za-z0-9._-]"),
        (b"a/b.pdf", "is not [A-Za-z0-9._-]"),
        (b"x" * 129, "is not [A-Za-z0-9._-]"),
        (b"", "is not [A-Za-z0-9._-]"),
        ("é.pdf".encode(), "is not [A-Za-z0-9._-]"),
    ],
)
def test_names_outside_the_alphabet_are_refused(name: bytes, fragment: str) -> None:
    _refused(_raw_zip([(name, b"data")]), fragment)


def test_a_long_hostile_name_is_shown_short() -> None:
    with pytest.raises(errors.MalformedPackage) as info:
        read_package(_raw_zip([(b"/" * 60_000, b"data")]))
    assert len(info.value.message) < 300


def test_a_compressed_entry_is_refused() -> None:
    _refused(_raw_zip([(b"a.pdf", b"data")], method=8), "compressed")


def test_an_encrypted_entry_is_refused() -> None:
    _refused(_raw_zip([(b"a.pdf", b"data")], flags=1), "encrypted")


def test_a_data_descriptor_is_refused() -> None:
    _refused(_raw_zip([(b"a.pdf", b"data")], flags=8), "flags")


def test_declared_sizes_that_lie_are_refused() -> None:
    _refused(_raw_zip([(b"a.pdf", b"data")], local_size=3), "disagree")
    _refused(_raw_zip([(b"a.pdf", b"data")], central_size=3), "")
    _refused(_raw_zip([(b"a.pdf", b"data")], central_size=5), "")
    # A zip bomb's shape: a small entry declaring a huge size.
    _refused(_raw_zip([(b"a.pdf", b"data")], central_size=MAX_TOTAL_BYTES + 1), "64 MB")


def test_overlapping_entries_are_refused() -> None:
    _refused(_raw_zip([(b"a.pdf", b"data"), (b"b.pdf", b"data")], offsets=[0, 0]), "starts at")


def test_duplicate_names_are_refused() -> None:
    _refused(_raw_zip([(b"a.pdf", b"one"), (b"a.pdf", b"two")]), "appears twice")


def test_more_than_64_entries_are_refused() -> None:
    _refused(_raw_zip([(f"f{i:03d}".encode(), b"") for i in range(65)]), "more than 64")


def test_more_than_64_mb_in_all_are_refused_without_reading_them() -> None:
    chunk = b"\0" * (MAX_TOTAL_BYTES // 2)
    data = _raw_zip([(b"a", chunk), (b"b", chunk), (b"c", b"x")])
    tracemalloc.start()
    try:
        _refused(data, "64 MB")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000  # nothing was copied out
    _refused(data + b"\0" * (1024 * 1024), "more than a package")


def test_multi_disk_and_zip64_archives_are_refused() -> None:
    _refused(_raw_zip([(b"a.pdf", b"data")], disk=1), "multi-disk")
    _refused(_raw_zip([(b"a.pdf", b"data")], count=0xFFFF), "ZIP64")


def test_trailing_bytes_and_comments_are_refused() -> None:
    good = _raw_zip([(b"a.pdf", b"data")])
    read_package(good)
    _refused(good + b"garbage", "trailing bytes")
    _refused(_raw_zip([(b"a.pdf", b"data")], comment=b"hi"), "")
    _refused(b"garbage" + good, "")
    _refused(b"PK", "too short")


def test_extra_fields_other_dates_and_disorder_are_refused() -> None:
    _refused(_raw_zip([(b"a.pdf", b"data")], extra=b"\x55\x54\x01\x00\x00"), "")
    _refused(_raw_zip([(b"a.pdf", b"data")], date=0x5821), "1980-01-01")
    _refused(_raw_zip([(b"b.pdf", b"x"), (b"a.pdf", b"y")]), "out of order")


def test_a_wrong_crc_is_refused() -> None:
    data = bytearray(_raw_zip([(b"a.pdf", b"data")]))
    data[30 + 5] ^= 1  # a byte of the entry's data
    _refused(bytes(data), "CRC-32")


def test_bytes_hidden_between_entries_are_refused() -> None:
    one = _raw_zip([(b"a.pdf", b"data")])
    cut = 30 + 5 + 4
    central_at = cut
    hidden = one[:cut] + b"HIDDEN" + one[cut:]
    # Point the end record at the moved central directory.
    end = bytearray(hidden[-22:])
    struct.pack_into("<I", end, 16, central_at + 6)
    _refused(bytes(hidden[:-22] + end), "bytes between")


def test_pythons_zipfile_output_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(MANIFEST_NAME, b"{}")
    _refused(buffer.getvalue(), "")


def test_a_hash_of_the_manifest_is_what_is_signed_over() -> None:
    data = manifest_bytes(_manifest())
    assert hashlib.sha256(read_package(_package()).entries[MANIFEST_NAME]).digest() == hashlib.sha256(data).digest()
