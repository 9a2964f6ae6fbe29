"""Unified social credit code (统一社会信用代码) rules, GB 32100-2015."""

from __future__ import annotations

import pytest

from alliances.credit_code import (
    CHARSET,
    WEIGHTS,
    InvalidCreditCode,
    check_character,
    make_credit_code,
    normalize_credit_code,
)
from tests.unit.said import raises_saying, said

# Character values used in the hand calculations below: digits are themselves, then
# A10 B11 C12 D13 E14 F15 G16 H17 J18 K19 L20 M21 N22 P23 Q24 R25 T26 U27 W28 X29 Y30.
#
# 91350100M000100Y4 (the body usually quoted when explaining the standard):
#   values   9  1  3  5  0  1  0  0  M=21  0  0  0  1  0  0  Y=30  4
#   weights  1  3  9 27 19 26 16 17  20   29 25 13  8 24 10  30   28
#   products 9 +3 +27 +135 +0 +26 +0 +0 +420 +0 +0 +0 +8 +0 +0 +900 +112 = 1640
#   1640 mod 31 = 1640 - 31*52 = 1640 - 1612 = 28;  31 - 28 = 3  -> check character "3".
#
# 91110000100000000:
#   9*1 + 1*3 + 1*9 + 1*27 + 1*20 = 68;  68 mod 31 = 6;  31 - 6 = 25 -> "R".
#
# 12100000400000001:
#   1*1 + 2*3 + 1*9 + 4*20 + 1*28 = 124 = 31*4;  124 mod 31 = 0;  31 - 0 = 31 -> maps to "0".
HAND_CHECKED = [
    ("91350100M000100Y4", "3"),
    ("91110000100000000", "R"),
    ("12100000400000001", "0"),
]

# Further valid codes, computed with the algorithm (the three above are the hand cross-checks).
VALID_CODES = [
    "91350100M000100Y43",
    "91110000100000000R",
    "121000004000000010",
    "91310115MA1K3L7T0D",
    "52110105MJ0000001K",
    "31110000400000007P",
    "91440300MA5ABCDE1H",
    "91320500MA1MXXXX0X",
    "91116908363083898Y",
]


def test_charset_is_the_31_characters_of_gb_32100() -> None:
    assert len(CHARSET) == 31
    assert len(set(CHARSET)) == 31
    assert not set(CHARSET) & set("IOZSV")
    assert len(WEIGHTS) == 17


@pytest.mark.parametrize(("body", "check"), HAND_CHECKED)
def test_check_character_matches_hand_calculation(body: str, check: str) -> None:
    assert check_character(body) == check


def test_weights_are_powers_of_three_mod_31() -> None:
    # The standard's weights are 3**i mod 31; recomputing them guards against a typo in the table.
    assert tuple(pow(3, i, 31) for i in range(17)) == WEIGHTS


@pytest.mark.parametrize("code", VALID_CODES)
def test_valid_codes_are_accepted_unchanged(code: str) -> None:
    assert normalize_credit_code(code) == code


@pytest.mark.parametrize("code", VALID_CODES)
def test_make_credit_code_appends_the_check_character(code: str) -> None:
    assert make_credit_code(code[:17]) == code


def test_make_credit_code_normalises_the_body() -> None:
    assert make_credit_code("  91350100m000100y4 ") == "91350100M000100Y43"


def test_lowercase_and_surrounding_whitespace_are_normalised() -> None:
    assert normalize_credit_code("  91350100m000100y43\n") == "91350100M000100Y43"


def test_only_the_right_check_character_is_accepted() -> None:
    body = "91350100M000100Y4"
    accepted = []
    for candidate in CHARSET:
        try:
            accepted.append(normalize_credit_code(body + candidate))
        except InvalidCreditCode as error:
            assert error.reason == "check"
    assert accepted == ["91350100M000100Y43"]


def test_wrong_check_character_is_rejected_and_names_the_right_one() -> None:
    with raises_saying(InvalidCreditCode, "check character should be 3") as caught:
        normalize_credit_code("91350100M000100Y44")
    assert caught.value.reason == "check"
    assert "校验位" in said(caught.value, "zh-CN")


def test_single_digit_typo_is_caught_by_the_check_character() -> None:
    with pytest.raises(InvalidCreditCode) as caught:
        normalize_credit_code("91350100M000200Y43")
    assert caught.value.reason == "check"


@pytest.mark.parametrize(
    "code",
    [
        "",
        "   ",
        "91350100M000100Y4",  # 17: check character missing
        "91350100M000100Y433",  # 19
        "91350100 M000100Y43",  # an inner space counts; only surrounding whitespace is stripped
    ],
)
def test_wrong_length_is_rejected(code: str) -> None:
    with raises_saying(InvalidCreditCode, "must be 18 characters") as caught:
        normalize_credit_code(code)
    assert caught.value.reason == "length"


@pytest.mark.parametrize("letter", list("IOZSV"))
def test_forbidden_letters_are_rejected_in_the_body(letter: str) -> None:
    code = "91350100" + letter + "000100Y43"
    with raises_saying(InvalidCreditCode, "at position 9") as caught:
        normalize_credit_code(code)
    assert caught.value.reason == "character"


@pytest.mark.parametrize("letter", list("IOZSV"))
def test_forbidden_letters_are_rejected_as_check_character(letter: str) -> None:
    with raises_saying(InvalidCreditCode, "at position 18") as caught:
        normalize_credit_code("91350100M000100Y4" + letter)
    assert caught.value.reason == "character"


def test_lowercase_forbidden_letter_is_still_rejected() -> None:
    with pytest.raises(InvalidCreditCode) as caught:
        normalize_credit_code("91350100o000100Y43")
    assert caught.value.reason == "character"


@pytest.mark.parametrize("char", ["-", "\u0301", "\uff11", "中"])
def test_punctuation_and_non_ascii_characters_are_rejected(char: str) -> None:
    with pytest.raises(InvalidCreditCode) as caught:
        normalize_credit_code("9135010" + char + "M000100Y43")
    assert caught.value.reason == "character"


def test_invalid_credit_code_is_a_value_error() -> None:
    with raises_saying(ValueError, "统一社会信用代码", "zh-CN"):
        normalize_credit_code("X")


@pytest.mark.parametrize("body", ["", "9135010", "91350100M000100Y43"])
def test_check_character_rejects_a_body_of_the_wrong_length(body: str) -> None:
    with raises_saying(ValueError, "body must be 17 characters"):
        check_character(body)


@pytest.mark.parametrize("body", ["91350100I000100Y4", "91350100m000100y4"])
def test_check_character_rejects_characters_outside_the_charset(body: str) -> None:
    # check_character is strict: lower case is only accepted through normalize_credit_code / make_credit_code.
    with raises_saying(ValueError, "invalid character"):
        check_character(body)
