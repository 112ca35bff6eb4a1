"""Commitments (docs/spec/commitments.md#commitments): the hash the contract recomputes, and its hex form."""

from __future__ import annotations

import pytest
from eth_utils.crypto import keccak
from hypothesis import given
from hypothesis import strategies as st

from registry.domain.accesscodes import ALPHABET, AccessCode
from registry.domain.commitments import COMMITMENT_TAG, commitment, parse_commitment, to_hex
from registry.domain.types import as_commitment
from registry.errors import InvalidAccessCode, InvalidApplicationNumber, InvalidInput, InvalidOfficeCode

# The cross-implementation test vector: the contract's test must compute the same value with
# keccak256(abi.encode(COMMITMENT_TAG, bytes2("EP"), "EP99203729", "0123456789ABCDEF")).
VECTOR_OFFICE = "EP"
VECTOR_NUMBER = "EP99203729"
VECTOR_SECRET = "0123456789ABCDEF"
VECTOR_COMMITMENT = "0x7e3cfc9678ed612f84bc3eb2320fe3747a6cfed2b8c23e62db764cb4c70de6f4"
VECTOR_TAG = "0x4923bfad9df0c6fda1445381a57925204a9d82269fd8e76d4276c91371967da8"


def _abi_encode_by_hand(office: str, number: str, secret: str) -> bytes:
    """The Solidity ABI encoding of (bytes32, bytes2, string, string), written out word by word."""

    def word(n: int) -> bytes:
        return n.to_bytes(32, "big")

    def tail(text: str) -> bytes:
        data = text.encode("ascii")
        return word(len(data)) + data + b"\0" * (-len(data) % 32)

    first, second = tail(number), tail(secret)
    head = COMMITMENT_TAG + office.encode("ascii").ljust(32, b"\0") + word(4 * 32) + word(4 * 32 + len(first))
    return head + first + second


def test_the_tag_is_the_hash_of_the_versioned_name() -> None:
    assert to_hex(COMMITMENT_TAG) == VECTOR_TAG


def test_the_published_test_vector_holds() -> None:
    assert to_hex(commitment(VECTOR_OFFICE, VECTOR_NUMBER, VECTOR_SECRET)) == VECTOR_COMMITMENT


def test_the_commitment_is_the_hash_of_the_abi_encoding_written_out_by_hand() -> None:
    expected = keccak(_abi_encode_by_hand(VECTOR_OFFICE, VECTOR_NUMBER, VECTOR_SECRET))
    assert commitment(VECTOR_OFFICE, VECTOR_NUMBER, VECTOR_SECRET) == expected


@given(
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=2),
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/.-", min_size=1, max_size=70),
    st.text(alphabet=ALPHABET, min_size=16, max_size=16),
)
def test_any_canonical_input_matches_the_hand_written_encoding(office: str, number: str, secret: str) -> None:
    assert commitment(office, number, secret) == keccak(_abi_encode_by_hand(office, number, secret))


def test_an_access_code_object_commits_its_secret_not_its_display_form() -> None:
    code = AccessCode(VECTOR_SECRET)
    assert commitment(VECTOR_OFFICE, VECTOR_NUMBER, code) == commitment(VECTOR_OFFICE, VECTOR_NUMBER, code.secret)
    with pytest.raises(InvalidAccessCode):
        commitment(VECTOR_OFFICE, VECTOR_NUMBER, str(code))


def test_each_part_changes_the_commitment() -> None:
    base = commitment("EP", "EP99203729", VECTOR_SECRET)
    assert commitment("DE", "EP99203729", VECTOR_SECRET) != base
    assert commitment("EP", "EP99203728", VECTOR_SECRET) != base
    assert commitment("EP", "EP99203729", "0123456789ABCDEG") != base


@pytest.mark.parametrize(
    ("office", "number", "secret", "error"),
    [
        ("ep", "EP99203729", VECTOR_SECRET, InvalidOfficeCode),
        ("EPO", "EP99203729", VECTOR_SECRET, InvalidOfficeCode),
        ("", "EP99203729", VECTOR_SECRET, InvalidOfficeCode),
        ("EP", "ep99203729", VECTOR_SECRET, InvalidApplicationNumber),
        ("EP", "EP 99203729", VECTOR_SECRET, InvalidApplicationNumber),
        ("EP", "", VECTOR_SECRET, InvalidApplicationNumber),
        ("EP", "EP99203729é", VECTOR_SECRET, InvalidApplicationNumber),
        ("EP", "EP99203729", "0123456789abcdef", InvalidAccessCode),
        ("EP", "EP99203729", "0123-4567-89AB-CDEF", InvalidAccessCode),
        ("EP", "EP99203729", "0123456789ABCDEFK", InvalidAccessCode),
        ("EP", "EP99203729", "0123456789ABCDEU", InvalidAccessCode),
    ],
)
def test_non_canonical_input_is_refused_not_fixed(
    office: str, number: str, secret: str, error: type[InvalidInput]
) -> None:
    with pytest.raises(error):
        commitment(office, number, secret)


def test_hex_form_is_lowercase_and_reads_back() -> None:
    value = commitment(VECTOR_OFFICE, VECTOR_NUMBER, VECTOR_SECRET)
    assert parse_commitment(VECTOR_COMMITMENT.upper().replace("0X", "0x")) == value
    assert parse_commitment(to_hex(value)) == value
    assert to_hex(value) == to_hex(value).lower()


@pytest.mark.parametrize(
    "text",
    [
        VECTOR_COMMITMENT[2:],
        VECTOR_COMMITMENT[:-1],
        VECTOR_COMMITMENT + "0",
        "0X" + VECTOR_COMMITMENT[2:],
        VECTOR_COMMITMENT[:-1] + "g",
        " " + VECTOR_COMMITMENT,
        VECTOR_COMMITMENT + "\n",
        "",
    ],
)
def test_anything_but_0x_and_64_hex_digits_is_not_a_commitment(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_commitment(text)
    assert caught.value.code == "badCommitment"


def test_only_32_bytes_can_be_written_as_a_commitment() -> None:
    with pytest.raises(InvalidInput) as caught:
        to_hex(b"\x01" * 31)
    assert caught.value.code == "badCommitment"


def test_a_commitment_is_made_only_from_32_bytes() -> None:
    made = commitment("JP", "2017187096", "0000ABCDEFGHJKMN")
    assert as_commitment(bytes(made)) == made == parse_commitment(to_hex(made))
    for wrong in (b"", bytes(31), bytes(33)):
        with pytest.raises(InvalidInput) as refused:
            as_commitment(wrong)
        assert refused.value.code == "badCommitment"
        assert f"not {len(wrong)}" in refused.value.message
