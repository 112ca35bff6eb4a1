"""Access codes (docs/spec/commitments.md#access-codes): generation, reading what people type, and the check
character."""

from __future__ import annotations

import doctest
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.domain import accesscodes
from registry.domain.accesscodes import ALPHABET, CHECK_SYMBOLS, AccessCode, check_character, generate, normalize
from registry.errors import InvalidAccessCode, InvalidInput

secrets_ = st.text(alphabet=ALPHABET, min_size=16, max_size=16)


def _random_codes(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    codes = []
    for _ in range(count):
        secret = "".join(rng.choice(ALPHABET) for _ in range(16))
        codes.append(secret + check_character(secret))
    # Make sure the check-only symbols appear in the last position of some samples.
    for want in "*~$=U":
        while True:
            secret = "".join(rng.choice(ALPHABET) for _ in range(16))
            if check_character(secret) == want:
                codes.append(secret + want)
                break
    return codes


def _refused(text: str) -> bool:
    try:
        normalize(text)
    except InvalidAccessCode:
        return True
    return False


def test_a_generated_code_has_sixteen_data_characters_and_reads_back_from_its_display_form() -> None:
    code = generate()
    assert len(code.secret) == 16
    assert set(code.secret) <= set(ALPHABET)
    assert len(code.display) == 21
    assert code.display.count("-") == 4
    assert normalize(code.display) == code
    assert str(code) == code.display


def test_generated_codes_differ() -> None:
    assert len({generate().secret for _ in range(1000)}) == 1000


def test_repr_never_shows_the_secret() -> None:
    code = normalize("0123-4567-89AB-CDEF-K")
    assert "0123" not in repr(code)
    assert "CDEF" not in repr(code)
    assert "redacted" in repr(code)
    assert "CDEF" not in repr([code])


def test_the_documented_example_holds() -> None:
    assert doctest.testmod(accesscodes).failed == 0


def test_reading_ignores_case_hyphens_and_spaces() -> None:
    expected = normalize("0123-4567-89AB-CDEF-K")
    assert normalize("0123456789abcdefk") == expected
    assert normalize(" 0123 4567 89ab cdef k ") == expected
    assert normalize("01-23-45-67-89-AB-CD-EF-K") == expected


def test_look_alike_letters_are_read_as_digits() -> None:
    expected = normalize("0123-4567-89AB-CDEF-K")
    assert normalize("O123-4567-89AB-CDEF-K") == expected
    assert normalize("oI23-4567-89AB-CDEF-K") == expected
    assert normalize("0l23-4567-89AB-CDEF-K") == expected
    assert normalize("0L23-4567-89AB-CDEF-K").secret == "0123456789ABCDEF"


def test_u_is_refused_in_a_data_position() -> None:
    with pytest.raises(InvalidAccessCode) as caught:
        normalize("U123-4567-89AB-CDEF-K")
    assert caught.value.code == "badCharacter"


@pytest.mark.parametrize("symbol", list("*~$=U"))
def test_check_only_symbols_are_accepted_in_the_last_position(symbol: str) -> None:
    (code,) = [c for c in _random_codes(0, seed=7) if c.endswith(symbol)]
    assert normalize(code).check == symbol
    assert normalize(code.lower()).secret == code[:16]
    with pytest.raises(InvalidAccessCode) as caught:
        normalize(symbol + code[1:])
    assert caught.value.code == "badCharacter"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "badLength"),
        ("0123-4567-89AB-CDEF", "badLength"),
        ("0123-4567-89AB-CDEF-KK", "badLength"),
        ("0123-4567-89AB-CDEF-K0", "badLength"),
        ("0123_4567_89AB_CDEF_K", "badCharacter"),
        ("0123-4567-89AB-CDEF-!", "badCharacter"),
        ("0123-4567-89ÄB-CDEF-K", "badCharacter"),
        ("0123-4567-89AB-CDEF-ß", "badCharacter"),
        ("0123-4567-89AB-CDEF-J", "checkCharacterMismatch"),
        ("1023-4567-89AB-CDEF-K", "checkCharacterMismatch"),
    ],
)
def test_malformed_codes_are_refused_with_a_specific_reason(text: str, code: str) -> None:
    with pytest.raises(InvalidAccessCode) as caught:
        normalize(text)
    assert caught.value.code == code
    assert isinstance(caught.value, InvalidInput)
    assert isinstance(caught.value, ValueError)


def test_error_messages_do_not_repeat_the_secret() -> None:
    with pytest.raises(InvalidAccessCode) as caught:
        normalize("0123-4567-89AB-CDEF-J")
    assert "CDEF" not in str(caught.value)


def test_every_single_substitution_is_detected() -> None:
    # 1,005 codes × 17 positions × 36 other symbols of the 37-symbol check alphabet.
    for code in _random_codes(1000, seed=1):
        assert not _refused(code)
        for position in range(17):
            for symbol in CHECK_SYMBOLS:
                if symbol != code[position]:
                    typo = code[:position] + symbol + code[position + 1 :]
                    assert _refused(typo), (code, position, symbol)


def test_every_transposition_is_detected_including_last_data_character_with_check() -> None:
    # Adjacent transpositions are what the spec requires; the proof covers any distance, so test
    # all 136 pairs, and also on the display form, where hyphens separate positions 16 and 17.
    for code in _random_codes(1000, seed=2):
        for i in range(17):
            for j in range(i + 1, 17):
                if code[i] != code[j]:
                    chars = list(code)
                    chars[i], chars[j] = chars[j], chars[i]
                    assert _refused("".join(chars)), (code, i, j)
        display = f"{code[0:4]}-{code[4:8]}-{code[8:12]}-{code[12:16]}-{code[16]}"
        if code[15] != code[16]:
            assert _refused(display[:-3] + code[16] + "-" + code[15])


def test_an_access_code_is_built_only_from_a_normalized_secret() -> None:
    assert AccessCode("0123456789ABCDEF").display == "0123-4567-89AB-CDEF-K"
    with pytest.raises(InvalidAccessCode) as caught:
        AccessCode("0123456789abcdef")
    assert caught.value.code == "badCharacter"
    with pytest.raises(InvalidAccessCode) as caught:
        AccessCode("0123456789ABCDEFK")
    assert caught.value.code == "badLength"


@given(secrets_)
def test_the_display_form_reads_back_to_the_same_secret(secret: str) -> None:
    code = AccessCode(secret)
    assert normalize(code.display) == code
    assert normalize(code.display.lower()).secret == secret


@given(secrets_, st.lists(st.sampled_from(["-", " ", "--"]), min_size=17, max_size=17), st.booleans())
def test_separators_anywhere_and_case_do_not_matter(secret: str, seps: list[str], lower: bool) -> None:
    code = AccessCode(secret)
    plain = secret + code.check
    text = "".join(sep + char for sep, char in zip(seps, plain, strict=True))
    assert normalize(text.lower() if lower else text) == code


@given(secrets_, st.data())
def test_typing_a_look_alike_reads_the_same_code(secret: str, data: st.DataObject) -> None:
    code = AccessCode(secret)
    folded = {"0": "Oo", "1": "IiLl"}
    typed = "".join(data.draw(st.sampled_from(folded[c] + c)) if c in folded else c for c in code.display)
    assert normalize(typed) == code


def test_a_derived_access_code_is_stable_per_application_and_differs_between_applications() -> None:
    from registry.domain.accesscodes import derive

    seed = bytes(range(32))
    first = derive(seed, "EP", "EP99403122")
    assert derive(seed, "EP", "EP99403122") == first
    assert derive(seed, "EP", "EP99403123") != first
    assert derive(bytes(32), "EP", "EP99403122") != first
    assert normalize(str(first)) == first
