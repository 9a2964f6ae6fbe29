"""The one msgspec base struct and the limits every schema reuses."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

# The rules a field's type carries (a reason's words, a date's range) are kept once, in the kernel, for both domains.
from market.kernel.rules import Day, Moment, Reason, check_rules
from market.kernel.text import LINE, TEXT

__all__ = [
    "AwareDatetime",
    "Day",
    "Fen",
    "Id",
    "Name",
    "Password",
    "Reason",
    "RequiredText",
    "Schema",
    "ShortName",
    "Text",
    "Username",
]

# No NUL or other C0 control characters (in text, tab and line breaks excepted): PostgreSQL refuses NUL, and none
# belong in text.
Name = Annotated[str, Meta(min_length=1, max_length=100, pattern=LINE)]
ShortName = Annotated[str, Meta(min_length=1, max_length=50, pattern=LINE)]
Text = Annotated[str, Meta(max_length=20_000, pattern=TEXT)]
RequiredText = Annotated[str, Meta(min_length=1, max_length=20_000, pattern=TEXT)]
Username = Annotated[str, Meta(min_length=3, max_length=40, pattern=r"^[a-z0-9_.-]+$")]
# A password being chosen (market/passwords.py holds the rule; the limits here are the same numbers).
Password = Annotated[
    str,
    Meta(
        min_length=8,
        max_length=128,
        description="8 to 128 characters, not one of the most common passwords and not the account's username "
        "(both compared case-insensitively)",
    ),
]
# Ids travel in JSON bodies too; bounded so no database sees an out-of-range integer.
Id = Annotated[int, Meta(ge=1, le=2**53)]
Fen = Annotated[int, Meta(ge=1, le=10**12)]


class Schema(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=False, rename=None):
    """Base for every request and response body."""

    def __post_init__(self) -> None:
        check_rules(self)


AwareDatetime = Moment
"""An aware date and time a request gives, on a day within the service's range."""
