"""Rules a field's type carries beyond what msgspec checks, for both domains' request bodies.

A reason must contain words (`Reason`); a date or a date and time must fall within EARLIEST..LATEST (`Day`,
`Moment`). A schema's `__post_init__` calls `check_rules`, so the rule holds however a body is built (decoded by the
API, converted from a page's form, made in code); each failure is a 422 naming the field, on the API and beside the
field on the pages (`rule_failure` tells a form which). The OpenAPI document states each rule as a pattern.
"""

from __future__ import annotations

import types
import typing
from datetime import date, datetime
from typing import Annotated, Any

import msgspec
from litestar.params import ParameterKwarg, QueryParameter
from msgspec import Meta

from market.kernel.errors import InvalidInput
from market.kernel.text import TEXT, TEXT_CHAR

EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
"""The one range every date and time the service takes must fall in: nothing it does happens outside it, and
converting a day like 0001-01-01 or 9999-12-31 to the start of a day in UTC would overflow."""
REASON_MIN = 2


class _Rule:
    """A marker in `Annotated[...]` naming the rule a field's values obey; msgspec ignores it."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<rule {self.name}>"


WORDS = _Rule("words")
IN_RANGE = _Rule("in-range")

# What a reason's words are set apart by: Unicode's white space (what `str.strip()` removes, and U+FEFF, which
# JSON Schema's `\s` also names). The service strips exactly these and the document's pattern excludes exactly these,
# so the two agree to the character.
BLANK = "\t\n\v\f\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000\ufeff"
_ANY = TEXT_CHAR
_WORD = r"[^\x00-\x20\x7f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"
REASON_PATTERN = f"^{_ANY}*{_WORD}{_ANY}*{_WORD}{_ANY}*$"
"""The document's statement of the reason rule: text without control characters, REASON_MIN (2) characters other
than blanks somewhere in it."""
_YEAR_DAY = r"(20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
IN_RANGE_PATTERN = f"^{_YEAR_DAY}$"
"""The range in the OpenAPI document, where a date (parameter or field) can carry no minimum: its year is
2000 … 2100. Spelled out whole, not as a prefix, so that a generator drawing from it draws dates."""
MOMENT_PATTERN = (
    f"^{_YEAR_DAY}[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(\.[0-9]+)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)
"""The same for an aware date and time (RFC 3339 with an offset), on a day within the range as written."""

Reason = Annotated[
    str,
    Meta(
        max_length=2_000,
        pattern=TEXT,
        extra_json_schema={"extra": {"pattern": REASON_PATTERN, "min_length": REASON_MIN}},
    ),
    WORDS,
]
"""A field called a reason (cancel, decline, disqualify, off-rank award, objection ruling, suspension, rejection):
it must contain words; blank or whitespace-only is missing. The service checks it itself (a 422 naming the field);
the document states it as REASON_PATTERN."""
Day = Annotated[date, Meta(extra_json_schema={"extra": {"pattern": IN_RANGE_PATTERN}}), IN_RANGE]
"""A date the service is given, within EARLIEST..LATEST."""
Moment = Annotated[datetime, Meta(tz=True, extra_json_schema={"extra": {"pattern": MOMENT_PATTERN}}), IN_RANGE]
"""An aware date and time the service is given, on a day within EARLIEST..LATEST."""


def day_parameter(name: str) -> ParameterKwarg:
    """A date query parameter whose document states the range (the handler still calls `bounded_day`)."""
    return QueryParameter(name=name, schema_extra={"pattern": IN_RANGE_PATTERN})


def date_in_range(value: date) -> bool:
    """Whether a date (or the day of a date and time, as written) falls within EARLIEST..LATEST."""
    day = value.date() if isinstance(value, datetime) else value
    return EARLIEST <= day <= LATEST


def out_of_range(field: str) -> InvalidInput:
    """The refusal of a date or time outside EARLIEST..LATEST."""
    return InvalidInput(
        "error.dates_must_fall_between",
        field=field,
        earliest=EARLIEST.isoformat(),
        latest=LATEST.isoformat(),
    )


def bounded_day(value: date | None, field: str) -> date | None:
    """A date parameter (a query's `from`, `to`, `date`) as given, or 422 naming it when outside the range."""
    if value is not None and not date_in_range(value):
        raise out_of_range(field)
    return value


def rule_failure(annotation: Any, value: Any, field: str) -> InvalidInput | None:
    """What is wrong with `value` under the rule its declared type carries (see WORDS, IN_RANGE), or None."""
    rule = _rule_of(annotation)
    if rule is WORDS and isinstance(value, str):
        words = value.strip(BLANK)
        if not words:
            return InvalidInput("error.reason_must_contain_words", field=field)
        if len(words) < REASON_MIN:
            return InvalidInput("error.reason_needs_least_characters", field=field, reason_min=REASON_MIN)
    if rule is IN_RANGE and isinstance(value, date) and not date_in_range(value):
        return out_of_range(field)
    return None


def _rule_of(annotation: Any) -> _Rule | None:
    if typing.get_origin(annotation) is Annotated:
        return next((m for m in annotation.__metadata__ if isinstance(m, _Rule)), None)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return next((r for a in typing.get_args(annotation) if (r := _rule_of(a)) is not None), None)
    return None


_RULED_FIELDS: dict[type, tuple[tuple[str, str, Any], ...]] = {}


def check_rules(struct: msgspec.Struct) -> None:
    """Raise 422 for the first field of a request body that breaks the rule its type carries.

    Every schema's `__post_init__` calls this, so the rule holds however a body is built: decoded by the API,
    converted from a page's form, or made in code.
    """
    cls = type(struct)
    ruled = _RULED_FIELDS.get(cls)
    if ruled is None:
        # Found on first use, not at class creation: annotations may name classes defined later in the module.
        ruled = _RULED_FIELDS[cls] = tuple(
            (f.name, f.encode_name, f.type) for f in msgspec.structs.fields(cls) if _rule_of(f.type) is not None
        )
    for name, key, annotation in ruled:
        if (problem := rule_failure(annotation, getattr(struct, name), key)) is not None:
            raise problem
