"""Mainland China mobile numbers (手机号): normalising, validating, and masking what the public sees.

Pure functions, no database. Masking of personal numbers happens here and nowhere else; it lives in
`alliances` so that organisations' contact numbers and residents' sign-ups are treated alike.
"""

from __future__ import annotations

import re
import unicodedata

MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
# Far beyond any way of writing an 11-digit number; longer input is rejected without further work.
MAX_INPUT = 32
# Separators people type inside a number: spaces (also the ideographic space, folded by NFKC) and dashes.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015]+")

# What `normalise` accepts, written for the OpenAPI document (the service checks it with `normalise`, to answer a 422
# residents can read): a mobile number with spaces or dashes anywhere, full-width digits, a +86, 0086 or 86 in front.
_S = r"[\s\-\u2010-\u2015\uff0d]*"
_D = "[0-9\uff10-\uff19]"
MOBILE_PATTERN = (
    f"^{_S}(?:(?:[+\uff0b]|[0\uff10]{_S}[0\uff10]){_S}[8\uff18]{_S}[6\uff16]{_S}|[8\uff18]{_S}[6\uff16]{_S})?"
    f"[1\uff11]{_S}[3-9\uff13-\uff19](?:{_S}{_D}){{9}}{_S}$"
)

# The message key of a refused number (its text is in the catalog: enter a valid mainland China mobile number).
PHONE_MESSAGE = "error.enter_valid_mobile_number"


def normalise(raw: str) -> str | None:
    """The bare 11-digit mobile number in `raw`, or None if it is not one.

    Full-width characters are folded (１３８… → 138…), spaces and dashes are dropped, and a leading
    +86 / 86 / 0086 country code is removed.
    """
    if len(raw) > MAX_INPUT:
        return None
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw))
    for prefix in ("+86", "0086"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    else:
        # A bare 86 is a country code only when what follows is a whole mobile number.
        if len(text) == 13 and text.startswith("86"):
            text = text[2:]
    return text if MOBILE.fullmatch(text) else None


def is_mobile(raw: str) -> bool:
    """Whether `raw` is a mainland mobile number, however it was written."""
    return normalise(raw) is not None


def mask(number: str) -> str:
    """The number as the public sees it: first 3 and last 4 digits, four stars between (138****0000)."""
    if len(number) != 11:
        # Never stored (the schema holds only normalised numbers); hide everything rather than guess.
        return "*" * len(number)
    return f"{number[:3]}****{number[-4:]}"


def mask_name(name: str) -> str:
    """A resident's name as the public sees it: the first character, then one star per other character (张**)."""
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)
