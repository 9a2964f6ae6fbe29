"""Mainland mobile numbers: normalising, validating, masking (market.phones)."""

from __future__ import annotations

import pytest

from market import phones
from market.i18n import error_text
from market.kernel.errors import InvalidInput


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800000000", "13800000000"),
        ("138 0000 0000", "13800000000"),
        ("138-0000-0000", "13800000000"),
        (" 138 0000-0000 ", "13800000000"),
        ("+8613800000000", "13800000000"),
        ("+86 138 0000 0000", "13800000000"),
        ("+86-138-0000-0000", "13800000000"),
        ("8613800000000", "13800000000"),
        ("86 138 0000 0000", "13800000000"),
        ("008613800000000", "13800000000"),
        ("19912345678", "19912345678"),
        ("１３８００００００００", "13800000000"),  # full-width digits from a Chinese keyboard
        ("＋８６　１３８　００００　００００", "13800000000"),  # full-width plus and ideographic spaces
        ("138\u20130000\u20130000", "13800000000"),  # en dashes
    ],
)
def test_normalise_strips_separators_and_country_code(raw: str, expected: str) -> None:
    assert phones.normalise(raw) == expected
    assert phones.validate(raw) == expected
    assert phones.is_mobile(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        " ",
        "1380000000",  # 10 digits
        "138000000000",  # 12 digits
        "12800000000",  # second digit 2
        "11800000000",  # second digit 1
        "10800000000",
        "23800000000",  # does not start with 1
        "1380000000a",
        "abcdefghijk",
        "138.0000.0000",
        "(138)00000000",
        "+87 138 0000 0000",  # another country's code
        "+86",
        "86",
        "861380000000",  # 86 + 10 digits: not a number with a country code
        "+8612800000000",
        "1" * 40,
        "13800000000" + " " * 40,  # far too long to be a number, whatever it contains
        "١٣٨٠٠٠٠٠٠٠٠",  # Arabic-Indic digits are not ASCII digits even after NFKC
        "13800000000\x00",
        "138 0000 0000 1",
    ],
)
def test_malformed_numbers_are_rejected_with_field_phone(raw: str) -> None:
    assert phones.normalise(raw) is None
    assert not phones.is_mobile(raw)
    with pytest.raises(InvalidInput) as caught:
        phones.validate(raw)
    assert caught.value.field == "phone"
    assert caught.value.status_code == 422
    assert caught.value.key == "error.enter_valid_mobile_number"
    assert "手机号" in error_text(caught.value, "zh-CN")
    assert "mobile number" in error_text(caught.value, "en")


def test_bare_86_is_kept_when_it_is_the_start_of_the_number_itself() -> None:
    # 186… is an ordinary mobile number; only a 13-digit 86… carries a country code.
    assert phones.normalise("18612345678") == "18612345678"
    assert phones.normalise("8618612345678") == "18612345678"


def test_mask_keeps_first_three_and_last_four() -> None:
    assert phones.mask("13800000000") == "138****0000"
    assert phones.mask("19912345678") == "199****5678"


def test_mask_hides_everything_it_does_not_understand() -> None:
    assert phones.mask("12345") == "*****"
    assert phones.mask("") == ""


def test_mask_of_a_normalised_number_never_reveals_the_middle() -> None:
    number = phones.validate("+86 139-8765-4321")
    masked = phones.mask(number)
    assert masked == "139****4321"
    assert "8765" not in masked


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张三", "张*"), ("欧阳娜娜", "欧***"), ("李", "李*"), ("Ann", "A**"), ("", "")],
)
def test_mask_name_keeps_only_the_first_character(name: str, masked: str) -> None:
    assert phones.mask_name(name) == masked
