"""Batch entries (docs/spec/entries.md#batch-entry-layout): the packed bytes the contract parses and the index
decodes."""

from __future__ import annotations

import datetime as dt
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.domain.entries import (
    BASE_SIZE,
    FLAGS_OFFSET,
    ClaimRef,
    Entry,
    decode_entries,
    decode_entry,
    encode_entry,
    entry_size,
    framed_size,
    pack_entries,
    split_entries,
)
from registry.domain.types import IpRightKind, date_from_days, date_to_days
from registry.errors import InvalidClaim, InvalidDate, InvalidInput

C1 = bytes(range(32))
C2 = bytes(range(32, 64))
DIGEST = bytes.fromhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")


def test_a_filing_without_claims_or_digest_is_38_bytes_laid_out_as_specified() -> None:
    data = encode_entry(Entry(C1, IpRightKind.PATENT, dt.date(2024, 3, 1)))
    assert len(data) == 38 == BASE_SIZE
    assert data[:32] == C1
    assert data[32] == 1
    assert data[33:37] == (19783).to_bytes(4, "big")  # 2024-03-01 is day 19,783
    assert data[37] == 0


def test_the_digest_follows_the_fixed_part_and_sets_bit_7() -> None:
    data = encode_entry(Entry(C1, IpRightKind.DESIGN, dt.date(2024, 3, 1), DIGEST))
    assert len(data) == 70
    assert data[32] == 3
    assert data[37] == 0x80
    assert data[38:70] == DIGEST


def test_claims_follow_the_digest_and_their_number_is_in_the_low_bits() -> None:
    claims = (ClaimRef(C2, dt.date(2023, 3, 1), "EP"), ClaimRef(C1, dt.date(1970, 1, 2), "EP"))
    entry = Entry(C1, IpRightKind.TRADEMARK, dt.date(2024, 3, 1), DIGEST, claims)
    data = encode_entry(entry)
    assert len(data) == 38 + 32 + 2 * 54 == entry_size(entry)
    assert data[37] == 0x82
    # docs/spec/entries.md#batch-entry-layout: earlier office 2 + earlier commitment 32 + claimed date 4 + claim token
    # 16.
    assert data[70:72] == b"EP"
    assert data[72:104] == C2
    assert data[104:108] == struct.pack(">I", (dt.date(2023, 3, 1) - dt.date(1970, 1, 1)).days)
    assert data[108:124] == bytes(16)
    assert data[124:126] == b"EP"
    assert data[126:158] == C1
    assert data[158:162] == b"\0\0\0\x01"


def test_claims_without_digest_leave_bit_7_clear() -> None:
    data = encode_entry(
        Entry(C1, IpRightKind.PATENT, dt.date(2024, 3, 1), None, (ClaimRef(C2, dt.date(2023, 3, 1), "EP"),))
    )
    assert data[37] == 1
    assert data[38:40] == b"EP"
    assert data[40:72] == C2


def test_an_entry_with_127_claims_encodes_and_one_more_is_refused() -> None:
    claims = tuple(ClaimRef(C2, dt.date(2023, 3, 1), "EP") for _ in range(127))
    data = encode_entry(Entry(C1, IpRightKind.PATENT, dt.date(2024, 3, 1), None, claims))
    assert data[37] == 127
    with pytest.raises(InvalidClaim) as caught:
        Entry(C1, IpRightKind.PATENT, dt.date(2024, 3, 1), None, (*claims, claims[0]))
    assert caught.value.code == "tooManyClaims"


def test_a_kind_given_as_a_number_or_name_becomes_the_enum_and_zero_is_refused() -> None:
    assert Entry(C1, 2, dt.date(2024, 3, 1)).kind is IpRightKind.UTILITY_MODEL  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        Entry(C1, 0, dt.date(2024, 3, 1))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"commitment": C1[:31]}, "badCommitment"),
        ({"commitment": C1.hex()}, "badCommitment"),
        ({"document_digest": DIGEST[:31]}, "badDigest"),
        ({"document_digest": bytes(32)}, "badDigest"),
    ],
)
def test_malformed_entries_cannot_be_built(kwargs: dict[str, object], code: str) -> None:
    fields: dict[str, object] = {
        "commitment": C1,
        "kind": IpRightKind.PATENT,
        "filing_date": dt.date(2024, 3, 1),
    }
    fields.update(kwargs)
    with pytest.raises(InvalidInput) as caught:
        Entry(**fields)  # type: ignore[arg-type]
    assert caught.value.code == code


@pytest.mark.parametrize("day", [dt.date(1970, 1, 1), dt.date(1969, 12, 31), dt.datetime(2024, 3, 1, 12, 0)])
def test_dates_the_ledger_cannot_encode_are_refused(day: dt.date) -> None:
    with pytest.raises(InvalidDate):
        Entry(C1, IpRightKind.PATENT, day)
    with pytest.raises(InvalidDate):
        ClaimRef(C2, day, "EP")


def test_a_batch_decodes_back_to_its_entries() -> None:
    entries = [
        Entry(C1, IpRightKind.PATENT, dt.date(2024, 3, 1)),
        Entry(C2, IpRightKind.DESIGN, dt.date(2024, 3, 2), DIGEST, (ClaimRef(C1, dt.date(2023, 12, 1), "EP"),)),
        Entry(C1, IpRightKind.TRADEMARK, dt.date(9999, 12, 31), None, (ClaimRef(C2, dt.date(2023, 12, 1), "EP"),)),
    ]
    data = pack_entries(entries)
    assert decode_entries(data) == entries
    assert decode_entries(memoryview(data)) == entries
    entry, offset = decode_entry(data, 38)
    assert entry == entries[1]
    assert offset == 38 + (38 + 32 + 54)


def test_an_empty_batch_decodes_to_no_entries() -> None:
    assert decode_entries(b"") == []
    assert pack_entries([]) == b""


def _head(kind: int = 1, days: int = 19783, flags: int = 0) -> bytes:
    return C1 + struct.pack(">BIB", kind, days, flags)


@pytest.mark.parametrize(
    "data",
    [
        _head()[:-1],
        _head() + b"\x01",
        _head() + _head()[:20],
        _head(kind=0),
        _head(kind=5),
        _head(kind=255),
        _head(days=0),
        _head(days=0xFFFFFFFF),
        _head(flags=0x80) + DIGEST[:31],
        _head(flags=0x80) + bytes(32),
        _head(flags=0x02) + C2 + b"\0\0\0\1",
        _head(flags=0x01) + C2 + b"\0\0\0\0",
        _head(flags=0x7F),
    ],
    ids=[
        "truncated head",
        "one trailing byte",
        "truncated second entry",
        "kind 0",
        "kind 5",
        "kind 255",
        "day 0",
        "day beyond year 9999",
        "truncated digest",
        "zero digest",
        "missing second claim",
        "claimed day 0",
        "127 claims announced none present",
    ],
)
def test_malformed_calldata_is_refused_not_guessed(data: bytes) -> None:
    with pytest.raises(InvalidInput) as caught:
        decode_entries(data)
    assert caught.value.code == "malformedEntries"


dates = st.dates(min_value=dt.date(1970, 1, 2), max_value=dt.date(9999, 12, 31))
hashes = st.binary(min_size=32, max_size=32)
offices = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=2)
claims = st.builds(ClaimRef, hashes, dates, offices, st.binary(min_size=16, max_size=16))
entries = st.builds(
    Entry,
    hashes,
    st.sampled_from(IpRightKind),
    dates,
    st.none() | hashes.filter(any),
    st.lists(claims, max_size=5).map(tuple),
)


@given(st.lists(entries, max_size=20))
def test_any_batch_round_trips_through_its_bytes(batch: list[Entry]) -> None:
    data = pack_entries(batch)
    assert len(data) == sum(entry_size(e) for e in batch)
    assert decode_entries(data) == batch


@given(entries, st.binary(min_size=1, max_size=37))
def test_bytes_after_the_last_entry_are_refused(entry: Entry, junk: bytes) -> None:
    with pytest.raises(InvalidInput) as caught:
        decode_entries(encode_entry(entry) + junk)
    assert caught.value.code == "malformedEntries"


@given(entries, st.data())
def test_any_truncation_is_refused(entry: Entry, data: st.DataObject) -> None:
    encoded = encode_entry(entry)
    cut = data.draw(st.integers(min_value=1, max_value=len(encoded) - 1))
    with pytest.raises(InvalidInput):
        decode_entries(encoded[:cut])


@given(st.lists(entries, max_size=20))
def test_the_framing_cuts_a_batch_into_its_entries_by_their_flags_bytes(batch: list[Entry]) -> None:
    # The index cuts a checked batch into Merkle leaves with split_entries: one piece an entry,
    # each exactly its encoding, sized by the flags byte alone.
    data = pack_entries(batch)
    assert split_entries(data) == [encode_entry(e) for e in batch]
    for e in batch:
        encoded = encode_entry(e)
        assert framed_size(encoded[FLAGS_OFFSET]) == len(encoded) == entry_size(e)


@given(dates)
def test_a_day_count_and_its_date_are_one_encoding(day: dt.date) -> None:
    days = date_to_days(day)
    assert days == (day - dt.date(1970, 1, 1)).days
    assert date_from_days(days) == day
    assert int.from_bytes(encode_entry(Entry(C1, IpRightKind.PATENT, day))[33:37], "big") == days
