"""Residents' mobile numbers in the marketplace: the rules of `alliances.phones`, plus the 422 for bad input."""

from __future__ import annotations

from alliances.phones import MAX_INPUT, MOBILE, PHONE_MESSAGE, is_mobile, mask, mask_name, normalise
from market.kernel.errors import InvalidInput

__all__ = ["MAX_INPUT", "MOBILE", "PHONE_MESSAGE", "is_mobile", "mask", "mask_name", "normalise", "validate"]


def validate(raw: str) -> str:
    """The normalised number, or InvalidInput (422, field "phone") with a message residents understand."""
    number = normalise(raw)
    if number is None:
        raise InvalidInput(PHONE_MESSAGE, field="phone")
    return number
