"""The priority-document package as bytes: built deterministically, read defensively (docs/spec/packages.md, R26).

- :func:`canonical_json` writes RFC 8785 (JCS) canonical JSON for the values a manifest holds
  (objects, arrays, strings, integers, booleans, null): members sorted by the UTF-16 code units of
  their names, no insignificant whitespace, strings escaped as ECMAScript ``JSON.stringify`` does
  (docs/spec/packages.md#manifest). Floats are refused: a manifest holds none.
- :func:`build_package` writes the container of docs/spec/packages.md#container: a ZIP archive whose
  entries are all stored (method 0), sorted by the UTF-8 bytes of their names, dated 1980-01-01
  00:00, with no extra fields, no comments and no data descriptors, so that the same inputs always
  give the same bytes.
- :func:`read_package` reads one back from memory, never from or to disk by name. It parses the ZIP
  structures itself (APPNOTE 6.3.10, sections 4.3.7, 4.3.12 and 4.3.16), from the end of central
  directory record, with every offset and length checked against the bounds before it is used, and
  refuses with :class:`~registry.errors.MalformedPackage` (the check ``archiveWellFormed``) anything
  the container rules do not allow: a comment or trailing bytes, a multi-disk or ZIP64 archive,
  more than 64 entries or 64 MB, names outside ``[A-Za-z0-9._-]{1,128}`` (traversal, absolute names,
  directories), compressed, encrypted or data-descriptor entries, extra fields, sizes that disagree
  between the local header, the central directory and the bytes, entries that overlap or leave gaps,
  duplicate names, a wrong CRC-32, entries out of order or otherwise dated. Nothing is decompressed,
  so no archive can make the reader use more memory than its own size; Python's :mod:`zipfile` is
  lenient on all of these and is not used.
- :func:`check_files` and :func:`check_manifest` are the checks ``filesMatchManifest`` and
  ``manifestCanonical`` (docs/spec/packages.md#checks).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import re
import struct
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from registry import errors
from registry.domain import bounded_json

__all__ = [
    "FORMAT",
    "MANIFEST_NAME",
    "MAX_ENTRIES",
    "MAX_TOTAL_BYTES",
    "MAX_ZIP_BYTES",
    "SIGNATURE_NAME",
    "CheckResult",
    "Manifest",
    "ManifestFile",
    "Package",
    "PackageSignature",
    "build_package",
    "canonical_json",
    "check_files",
    "check_manifest",
    "manifest_bytes",
    "manifest_for",
    "parse_manifest",
    "parse_signature",
    "read_package",
    "signature_bytes",
]

FORMAT = "prioreg.priority-document.v1"
MANIFEST_NAME = "manifest.json"
SIGNATURE_NAME = "signature.json"
MAX_ENTRIES = 64
MAX_TOTAL_BYTES = 64 * 1024 * 1024
_NAME = re.compile(rb"[A-Za-z0-9._-]{1,128}")
_HEX32 = re.compile(r"0x[0-9a-f]{64}")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")

# ZIP structures (APPNOTE 6.3.10): little-endian, fixed parts only (no extra fields, no comments).
_LOCAL = struct.Struct("<IHHHHHIIIHH")  # 4.3.7, 30 bytes
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")  # 4.3.12, 46 bytes
_END = struct.Struct("<IHHHHIIH")  # 4.3.16, 22 bytes
_LOCAL_SIG, _CENTRAL_SIG, _END_SIG = 0x04034B50, 0x02014B50, 0x06054B50
_VERSION = 10  # 1.0: stored entries need nothing newer
_DOS_TIME, _DOS_DATE = 0, (0 << 9) | (1 << 5) | 1  # 1980-01-01 00:00:00
#: The largest archive that can hold 64 MB in 64 entries under these rules.
MAX_ZIP_BYTES = MAX_TOTAL_BYTES + MAX_ENTRIES * (_LOCAL.size + _CENTRAL.size + 2 * 128) + _END.size


# ── canonical JSON (RFC 8785) ────────────────────────────────────────────────────────────


def canonical_json(value: Any) -> bytes:
    """``value`` as RFC 8785 canonical JSON, UTF-8, without a trailing newline."""
    return _jcs(value).encode("utf-8")


def _jcs(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int):
        if abs(value) > 2**53 - 1:  # RFC 8785 3.2.2.3: numbers are IEEE 754 doubles
            raise ValueError(f"{value} is outside the integers JSON numbers hold exactly")
        return str(value)
    if isinstance(value, str):
        # ensure_ascii=False leaves every character but '"', '\\' and the controls as it is; the
        # controls come out as \b \t \n \f \r or \u00xx (lowercase), as RFC 8785 3.2.2.2 requires.
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        keys = sorted(value, key=lambda k: str(k).encode("utf-16-be"))
        if not all(isinstance(k, str) for k in keys):
            raise ValueError("object member names must be strings")
        return "{" + ",".join(f"{_jcs(k)}:{_jcs(value[k])}" for k in keys) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_jcs(v) for v in value) + "]"
    raise ValueError(f"a manifest holds no {type(value).__name__}")


# ── manifest and signature ───────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class ManifestFile:
    """One file the package carries (docs/spec/packages.md#manifest, ``files``)."""

    name: str
    media_type: str
    sha256: bytes


@dataclass(frozen=True)
class Manifest:
    """The members of ``manifest.json`` (docs/spec/packages.md#manifest)."""

    chain_id: int
    contract: str
    ip_office_code: str
    application_number: str
    filing_date: _dt.date
    ip_right_kind: str
    commitment: bytes
    version: int
    files: tuple[ManifestFile, ...]

    def as_json(self) -> dict[str, Any]:
        """The manifest as the JSON object it is written as."""
        return {
            "format": FORMAT,
            "chainId": self.chain_id,
            "contract": self.contract,
            "ipOfficeCode": self.ip_office_code,
            "applicationNumber": self.application_number,
            "filingDate": self.filing_date.isoformat(),
            "ipRightKind": self.ip_right_kind,
            "commitment": "0x" + self.commitment.hex(),
            "version": self.version,
            "files": [
                {"name": f.name, "mediaType": f.media_type, "sha256": f.sha256.hex()}
                for f in sorted(self.files, key=lambda f: f.name.encode())
            ],
        }


@dataclass(frozen=True)
class PackageSignature:
    """``signature.json``: the signer's address and its 65-byte EIP-712 signature (docs/spec/packages.md#signature)."""

    signer: str
    signature: bytes


def manifest_bytes(manifest: Manifest) -> bytes:
    """``manifest.json`` exactly as the package holds it."""
    return canonical_json(manifest.as_json())


def signature_bytes(signature: PackageSignature) -> bytes:
    """``signature.json`` exactly as the package holds it (canonical JSON too, so that it is deterministic)."""
    return canonical_json({"signer": signature.signer, "signature": "0x" + signature.signature.hex()})


def _fail(reason: str) -> errors.MalformedPackage:
    return errors.MalformedPackage(f"archiveWellFormed: {reason}")


def _read_json(data: bytes, name: str) -> Any:
    """``data`` as UTF-8 JSON within the bounds of every body (docs/design.md#p10-no-request-can-take-the-gateway-down):
    a package comes from anyone (``POST /v1/priority-documents/verify`` needs no token) or from another gateway,
    and ``json.loads`` of a few KB of ``[[[[…`` raised RecursionError (a 500). Raises :class:`ValueError`."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{name} is not JSON: {exc}") from None
    try:
        return bounded_json.loads(text, what=name)
    except errors.InvalidInput as exc:
        raise ValueError(exc.message) from None


def parse_manifest(data: bytes) -> Manifest:
    """Read ``manifest.json``; raises :class:`ValueError` saying what is wrong (the check ``manifestCanonical``)."""
    obj = _read_json(data, "manifest.json")
    if not isinstance(obj, dict):
        raise ValueError("manifest.json is not a JSON object")
    wanted = {
        "format",
        "chainId",
        "contract",
        "ipOfficeCode",
        "applicationNumber",
        "filingDate",
        "ipRightKind",
        "commitment",
        "version",
        "files",
    }
    if set(obj) != wanted:
        extra, missing = sorted(set(obj) - wanted), sorted(wanted - set(obj))
        raise ValueError(f"manifest.json members differ from the spec (extra {extra}, missing {missing})")
    if obj["format"] != FORMAT:
        raise ValueError(f"manifest.json format is {obj['format']!r}, not {FORMAT!r}")
    for name in ("chainId", "version"):
        if not isinstance(obj[name], int) or isinstance(obj[name], bool) or not 0 < obj[name] < 2**53:
            raise ValueError(f"manifest.json {name} is not a positive integer")
    if obj["version"] >= 2**32:
        raise ValueError("manifest.json version does not fit a uint32")
    strings = ("contract", "ipOfficeCode", "applicationNumber", "filingDate", "ipRightKind", "commitment")
    for name in strings:
        if not isinstance(obj[name], str):
            raise ValueError(f"manifest.json {name} is not a string")
    if not _ADDRESS.fullmatch(obj["contract"]):
        raise ValueError("manifest.json contract is not an address")
    if not _HEX32.fullmatch(obj["commitment"]):
        raise ValueError("manifest.json commitment is not 0x + 64 lowercase hex digits")
    if not re.fullmatch(r"[A-Z]{2}", obj["ipOfficeCode"]):
        raise ValueError("manifest.json ipOfficeCode is not a two-letter office code")
    try:
        filing_date = _dt.date.fromisoformat(obj["filingDate"])
    except ValueError:
        raise ValueError("manifest.json filingDate is not an ISO date") from None
    if filing_date.isoformat() != obj["filingDate"]:
        raise ValueError("manifest.json filingDate is not an ISO date (YYYY-MM-DD)")
    files = obj["files"]
    if not isinstance(files, list) or not files:
        raise ValueError("manifest.json files is not a non-empty array")
    listed: list[ManifestFile] = []
    for i, item in enumerate(files):
        if not isinstance(item, dict) or set(item) != {"name", "mediaType", "sha256"}:
            raise ValueError(f"manifest.json files[{i}] is not {{name, mediaType, sha256}}")
        if not all(isinstance(v, str) for v in item.values()):
            raise ValueError(f"manifest.json files[{i}] has a member that is not a string")
        if not _NAME.fullmatch(item["name"].encode()) or item["name"] in (MANIFEST_NAME, SIGNATURE_NAME):
            raise ValueError(f"manifest.json files[{i}] has a name a package cannot hold")
        if not re.fullmatch(r"[0-9a-f]{64}", item["sha256"]):
            raise ValueError(f"manifest.json files[{i}].sha256 is not 64 lowercase hex digits")
        listed.append(ManifestFile(item["name"], item["mediaType"], bytes.fromhex(item["sha256"])))
    names = [f.name.encode() for f in listed]
    if names != sorted(set(names)):
        raise ValueError("manifest.json files are not sorted by name, or a name repeats")
    return Manifest(
        chain_id=obj["chainId"],
        contract=obj["contract"],
        ip_office_code=obj["ipOfficeCode"],
        application_number=obj["applicationNumber"],
        filing_date=filing_date,
        ip_right_kind=obj["ipRightKind"],
        commitment=bytes.fromhex(obj["commitment"][2:]),
        version=obj["version"],
        files=tuple(listed),
    )


def parse_signature(data: bytes) -> PackageSignature:
    """Read ``signature.json``; raises :class:`ValueError` saying what is wrong."""
    obj = _read_json(data, "signature.json")
    if not isinstance(obj, dict) or set(obj) != {"signer", "signature"}:
        raise ValueError("signature.json is not {signer, signature}")
    signer, signature = obj["signer"], obj["signature"]
    if not isinstance(signer, str) or not _ADDRESS.fullmatch(signer):
        raise ValueError("signature.json signer is not an address")
    if not isinstance(signature, str) or not re.fullmatch(r"0x[0-9a-fA-F]{130}", signature):
        raise ValueError("signature.json signature is not 0x + 65 bytes")
    raw = bytes.fromhex(signature[2:])
    if raw[64] not in (27, 28):
        raise ValueError("signature.json signature has v outside {27, 28}")
    return PackageSignature(signer, raw)


# ── the container ────────────────────────────────────────────────────────────────────────


def build_package(manifest: Manifest, files: Mapping[str, bytes], signature: PackageSignature) -> bytes:
    """The package's bytes: ``manifest.json``, ``signature.json`` and ``files`` (docs/spec/packages.md#container).

    ``files`` must be exactly what ``manifest`` lists, with those SHA-256 digests.
    """
    entries = {MANIFEST_NAME: manifest_bytes(manifest), SIGNATURE_NAME: signature_bytes(signature)}
    for name, data in files.items():
        if name in entries:
            raise errors.InvalidInput(f"a package file cannot be called {name}", code="malformedPackage")
        entries[name] = data
    check = check_files(manifest, entries)
    if not check.passed:
        raise errors.InvalidInput(check.message, code="malformedPackage")
    return _zip(entries)


def _zip(entries: Mapping[str, bytes]) -> bytes:
    names = sorted(entries, key=lambda n: n.encode("utf-8"))
    if len(names) > MAX_ENTRIES:
        raise errors.InvalidInput(f"a package holds at most {MAX_ENTRIES} entries", code="malformedPackage")
    if sum(len(v) for v in entries.values()) > MAX_TOTAL_BYTES:
        raise errors.InvalidInput("a package holds at most 64 MB", code="malformedPackage")
    out, central = bytearray(), bytearray()
    for name in names:
        raw, data = name.encode("utf-8"), entries[name]
        if not _NAME.fullmatch(raw):
            raise errors.InvalidInput(f"{name!r} is not a name a package can hold", code="malformedPackage")
        crc, offset = zlib.crc32(data), len(out)
        out += _LOCAL.pack(_LOCAL_SIG, _VERSION, 0, 0, _DOS_TIME, _DOS_DATE, crc, len(data), len(data), len(raw), 0)
        out += raw + data
        central += _CENTRAL.pack(
            _CENTRAL_SIG, _VERSION, _VERSION, 0, 0, _DOS_TIME, _DOS_DATE, crc, len(data), len(data), len(raw),
            0, 0, 0, 0, 0, offset,
        )  # fmt: skip
        central += raw
    end = _END.pack(_END_SIG, 0, 0, len(names), len(names), len(central), len(out), 0)
    return bytes(out + central + end)


@dataclass(frozen=True)
class Package:
    """A package read back: its entries by name, in archive order."""

    entries: dict[str, bytes]


def read_package(data: bytes) -> Package:
    """Read a package from memory, refusing (:class:`~registry.errors.MalformedPackage`) what the container rules do
    not allow (docs/spec/packages.md#container). Every length is checked before anything is sliced."""
    size = len(data)
    if size > MAX_ZIP_BYTES:
        raise _fail(f"the archive is {size} bytes, more than a package of 64 MB can be")
    if size < _END.size:
        raise _fail("too short to be a ZIP archive")
    end_at = size - _END.size
    sig, disk, cd_disk, here, total, cd_size, cd_offset, comment = _END.unpack_from(data, end_at)
    if sig != _END_SIG:
        # Either no ZIP at all, or bytes (a comment, garbage) after the end record.
        raise _fail("the archive does not end with its end-of-central-directory record (a comment or trailing bytes)")
    if comment:
        raise _fail("the archive has a comment")
    if disk or cd_disk or here != total:
        raise _fail("a multi-disk archive")
    if total == 0xFFFF or cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF:
        raise _fail("a ZIP64 archive")
    if total > MAX_ENTRIES:
        raise _fail(f"{total} entries, more than {MAX_ENTRIES}")
    if cd_offset + cd_size != end_at:
        raise _fail("the central directory does not end where the end record starts")
    found: list[tuple[int, int, str, int]] = []  # (local offset, size, name, crc)
    names: set[str] = set()
    at, declared_total = cd_offset, 0
    previous = b""
    for i in range(total):
        if at + _CENTRAL.size > end_at:
            raise _fail(f"central directory entry {i} runs past the directory")
        (sig, _made, needed, flags, method, time, date, crc, csize, usize, nlen, elen, clen, disk_start, _internal,
         external, offset) = _CENTRAL.unpack_from(data, at)  # fmt: skip
        if sig != _CENTRAL_SIG:
            raise _fail(f"central directory entry {i} has no signature")
        name_end = at + _CENTRAL.size + nlen
        if name_end > end_at:
            raise _fail(f"central directory entry {i}'s name runs past the directory")
        raw = bytes(data[at + _CENTRAL.size : name_end])
        shown = raw[:80].decode("ascii", "replace") + ("…" if len(raw) > 80 else "")  # a hostile name stays short
        if flags & 0x41:
            raise _fail(f"{shown!r} is encrypted")
        if method != 0:
            raise _fail(f"{shown!r} is compressed (method {method}); a package stores every entry")
        if flags:
            raise _fail(f"{shown!r} has general-purpose flags {flags:#06x} (data descriptor or other)")
        if elen or clen:
            raise _fail(f"{shown!r} has extra fields or a comment")
        if disk_start:
            raise _fail("a multi-disk archive")
        if not _NAME.fullmatch(raw):
            raise _fail(f"the name {shown!r} is not [A-Za-z0-9._-]{{1,128}} (a path, a directory or another name)")
        if csize != usize:
            raise _fail(f"{shown!r} declares {csize} stored bytes for {usize} bytes")
        if needed > 20 or external:
            raise _fail(f"{shown!r} needs ZIP features a package has no use for")
        if (time, date) != (_DOS_TIME, _DOS_DATE):
            raise _fail(f"{shown!r} is not dated 1980-01-01 00:00")
        name = raw.decode("ascii")
        if name in names:
            raise _fail(f"the name {name!r} appears twice")
        if previous and raw <= previous:
            raise _fail(f"{name!r} is out of order (entries are sorted by name)")
        names.add(name)
        previous = raw
        declared_total += usize
        if declared_total > MAX_TOTAL_BYTES:
            raise _fail("more than 64 MB in all")
        found.append((offset, usize, name, crc))
        at = name_end
    if at != end_at:
        raise _fail("bytes between the central directory and the end record")
    entries: dict[str, bytes] = {}
    expected = 0
    for offset, usize, name, crc in sorted(found):
        if offset != expected:
            raise _fail(f"{name!r} starts at {offset}, not right after the previous entry (overlap or hidden bytes)")
        if offset + _LOCAL.size > cd_offset:
            raise _fail(f"{name!r}'s local header runs into the central directory")
        (sig, needed, flags, method, time, date, lcrc, lcsize, lusize, nlen, elen) = _LOCAL.unpack_from(data, offset)
        if sig != _LOCAL_SIG:
            raise _fail(f"{name!r} has no local header where the central directory says")
        start = offset + _LOCAL.size + nlen + elen
        if start + usize > cd_offset:
            raise _fail(f"{name!r}'s data runs into the central directory")
        raw_name = bytes(data[offset + _LOCAL.size : offset + _LOCAL.size + nlen])
        local = (flags, method, time, date, lcrc, lcsize, lusize, elen)
        if local != (0, 0, _DOS_TIME, _DOS_DATE, crc, usize, usize, 0):
            raise _fail(f"{name!r}: the local header and the central directory disagree (sizes, CRC, method or date)")
        if raw_name != name.encode("ascii"):
            raise _fail(f"{name!r}: the local header names another file")
        body = bytes(data[start : start + usize])
        if zlib.crc32(body) != crc:
            raise _fail(f"{name!r}: the bytes do not match their CRC-32")
        entries[name] = body
        expected = start + usize
    if expected != cd_offset:
        raise _fail("bytes between the last entry and the central directory")
    return Package(dict(sorted(entries.items(), key=lambda kv: kv[0].encode())))


# ── checks ───────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class CheckResult:
    """One named check of docs/spec/packages.md#checks."""

    name: str
    passed: bool
    message: str


def check_files(manifest: Manifest, entries: Mapping[str, bytes]) -> CheckResult:
    """``filesMatchManifest``: the archive holds exactly the listed files (besides the manifest and the signature),
    each with its SHA-256."""
    name = "filesMatchManifest"
    held = set(entries) - {MANIFEST_NAME, SIGNATURE_NAME}
    listed = {f.name: f for f in manifest.files}
    if MANIFEST_NAME not in entries or SIGNATURE_NAME not in entries:
        return CheckResult(name, False, "the archive lacks manifest.json or signature.json")
    extra, missing = sorted(held - set(listed)), sorted(set(listed) - held)
    if extra or missing:
        return CheckResult(name, False, f"the archive and the manifest differ (not listed {extra}, absent {missing})")
    for f in manifest.files:
        if hashlib.sha256(entries[f.name]).digest() != f.sha256:
            return CheckResult(name, False, f"{f.name} does not have the SHA-256 the manifest lists")
    return CheckResult(name, True, f"the archive holds exactly the {len(listed)} listed files, each with its SHA-256")


def check_manifest(data: bytes) -> tuple[CheckResult, Manifest | None]:
    """``manifestCanonical``: ``manifest.json`` has the spec's members and is their RFC 8785 canonical form."""
    name = "manifestCanonical"
    try:
        manifest = parse_manifest(data)
    except ValueError as exc:
        return CheckResult(name, False, str(exc)), None
    if manifest_bytes(manifest) != data:
        return CheckResult(name, False, "manifest.json is not in RFC 8785 canonical form"), manifest
    return CheckResult(name, True, "manifest.json is RFC 8785 canonical JSON with the members of the spec"), manifest


def manifest_for(
    *,
    chain_id: int,
    contract: str,
    ip_office_code: str,
    application_number: str,
    filing_date: _dt.date,
    ip_right_kind: str,
    commitment: bytes,
    version: int,
    files: Sequence[tuple[str, str, bytes]],
) -> Manifest:
    """The manifest of a package carrying ``files`` = (name, media type, bytes)."""
    return Manifest(
        chain_id=chain_id,
        contract=contract,
        ip_office_code=ip_office_code,
        application_number=application_number,
        filing_date=filing_date,
        ip_right_kind=ip_right_kind,
        commitment=commitment,
        version=version,
        files=tuple(
            ManifestFile(n, m, hashlib.sha256(d).digest()) for n, m, d in sorted(files, key=lambda f: f[0].encode())
        ),
    )
