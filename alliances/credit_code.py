"""Unified social credit codes (统一社会信用代码, GB 32100-2015): check character and normalisation."""

from __future__ import annotations

from typing import Any, Final, Literal

__all__ = [
    "CHARSET",
    "CODE_LENGTH",
    "WEIGHTS",
    "InvalidCreditCode",
    "check_character",
    "make_credit_code",
    "normalize_credit_code",
]

# The standard leaves out I, O, Z, S and V because they are too easily read as 1, 0, 2, 5 and U.
CHARSET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS: Final = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
CODE_LENGTH: Final = 18

_VALUES: Final = {char: value for value, char in enumerate(CHARSET)}
_MODULUS: Final = len(CHARSET)
_BODY_LENGTH: Final = len(WEIGHTS)

Reason = Literal["length", "character", "check"]


class InvalidCreditCode(ValueError):
    """A credit code (or 17-character body) that fails the GB 32100-2015 rules."""

    def __init__(self, key: str, *, reason: Reason, **params: object) -> None:
        super().__init__(key)
        # A message key and the parameters its text needs.
        self.key = key
        self.params: dict[str, Any] = params
        # Lets a form or importer react to the kind of mistake without parsing the message.
        self.reason: Reason = reason


def _check_characters(text: str) -> None:
    for position, char in enumerate(text, start=1):
        if char not in _VALUES:
            raise InvalidCreditCode(
                "error.credit_code_bad_character",
                reason="character",
                position=position,
                char=char,
            )


def check_character(body17: str) -> str:
    """Return the 18th (check) character for a 17-character body of upper-case CHARSET characters."""
    if len(body17) != _BODY_LENGTH:
        raise InvalidCreditCode("error.credit_code_body_length", reason="length", length=_BODY_LENGTH, got=len(body17))
    _check_characters(body17)
    weighted = sum(_VALUES[char] * weight for char, weight in zip(body17, WEIGHTS, strict=True))
    # 31 - 0 would be 31, which has no character; the standard maps it to "0".
    return CHARSET[(_MODULUS - weighted % _MODULUS) % _MODULUS]


def normalize_credit_code(raw: str) -> str:
    """Return the code stripped and upper-cased, or raise InvalidCreditCode saying what is wrong."""
    code = raw.strip().upper()
    if len(code) != CODE_LENGTH:
        raise InvalidCreditCode("error.credit_code_length", reason="length", length=CODE_LENGTH, got=len(code))
    # Every character, the check character included, must come from CHARSET before the sum means anything.
    _check_characters(code)
    expected = check_character(code[:_BODY_LENGTH])
    if code[_BODY_LENGTH] != expected:
        raise InvalidCreditCode(
            "error.credit_code_check_character",
            reason="check",
            expected=expected,
        )
    return code


def make_credit_code(body17: str) -> str:
    """Return the full 18-character code for a 17-character body (stripped and upper-cased first)."""
    body = body17.strip().upper()
    return body + check_character(body)
