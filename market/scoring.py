"""Comprehensive scoring (综合评分): rubrics, panel marks, proposal scores and ranking.

All arithmetic is exact: marks are ``Decimal`` with one decimal place (stored as integer tenths), and means are
computed as ``Fraction`` before a single half-up rounding, so no float ever touches a score.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, Final

__all__ = [
    "DEFAULT_RUBRIC",
    "MAX_CRITERIA",
    "MAX_CRITERION_NAME_LENGTH",
    "RUBRIC_TOTAL",
    "TRIM_FROM",
    "Criterion",
    "MarkError",
    "RankEntry",
    "RubricError",
    "criterion_mean",
    "first_criterion_mean",
    "from_tenths",
    "member_total",
    "proposal_score",
    "rank",
    "to_tenths",
    "validate_marks",
    "validate_rubric",
]

RUBRIC_TOTAL: Final = 100
MAX_CRITERIA: Final = 10
MAX_CRITERION_NAME_LENGTH: Final = 50
# With fewer members, dropping two totals would throw away too much of the panel's judgement.
TRIM_FROM: Final = 5

_TENTH: Final = Decimal("0.1")
_MAX_TENTHS_DIGITS: Final = 18


@dataclass(frozen=True, slots=True)
class Criterion:
    """One rubric line: a name and the integer maximum a member may give for it."""

    name: str
    maximum: int


DEFAULT_RUBRIC: tuple[Criterion, ...] = (
    Criterion("专业能力", 30),
    Criterion("工作思路", 30),
    Criterion("预期效果", 25),
    Criterion("预算合理性", 15),
)


class RubricError(ValueError):
    """A rubric that cannot be used for scoring: a message key (market/i18n/_errors.py) and its parameters."""

    def __init__(self, key: str, *, index: int | None = None, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params: dict[str, Any] = params
        # Zero-based position of the offending criterion, so a form can put the message beside the right row.
        self.index = index


class MarkError(ValueError):
    """A member's marks that do not fit the rubric: a message key (market/i18n/_errors.py) and its parameters."""

    def __init__(self, key: str, *, criterion: str | None = None, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params: dict[str, Any] = params
        # The criterion the message is about, so a form can put it beside the right field.
        self.criterion = criterion


def validate_rubric(criteria: Sequence[Criterion]) -> tuple[Criterion, ...]:
    """Return the rubric with names stripped, or raise RubricError if it is not 1-10 unique criteria summing to 100."""
    if not criteria:
        raise RubricError("error.rubric_needs_least_criterion")
    if len(criteria) > MAX_CRITERIA:
        raise RubricError("error.rubric_criteria_most_allowed", max_criteria=MAX_CRITERIA, count=len(criteria))
    cleaned: list[Criterion] = []
    seen: set[str] = set()
    for index, criterion in enumerate(criteria):
        name = criterion.name.strip() if isinstance(criterion.name, str) else ""
        if not name:
            raise RubricError("error.criterion_no_name", index=index, position=index + 1)
        if len(name) > MAX_CRITERION_NAME_LENGTH:
            raise RubricError(
                "error.criterion_name_longer_than", index=index, start=name[:10], limit=MAX_CRITERION_NAME_LENGTH
            )
        # Case-insensitive so "Budget" and "budget" cannot both appear in one rubric.
        key = name.casefold()
        if key in seen:
            raise RubricError("error.duplicate_criterion", index=index, name=name)
        seen.add(key)
        maximum = criterion.maximum
        # bool is an int subclass; True as a maximum is a bug upstream, not a score of 1.
        if isinstance(maximum, bool) or not isinstance(maximum, int) or maximum < 1:
            raise RubricError("error.maximum_must_whole_number", index=index, name=name)
        cleaned.append(Criterion(name=name, maximum=maximum))
    total = sum(criterion.maximum for criterion in cleaned)
    if total != RUBRIC_TOTAL:
        raise RubricError("error.maxima_add_up_must", rubric_total=RUBRIC_TOTAL, total=total)
    return tuple(cleaned)


def _has_at_most_one_decimal(value: Decimal) -> bool:
    """Return whether a finite Decimal's value needs no more than one decimal place ("30.50" does not, "30.05" does)."""
    # Reads the digits instead of using Fraction or context arithmetic: those either round at 28 digits or, for a
    # value such as 1E-999999999 typed into a form, build an enormous integer.
    _, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int):
        return False
    places_beyond_tenths = -exponent - 1
    return places_beyond_tenths <= 0 or not any(digits[-places_beyond_tenths:])


def _parse_mark(name: str, raw: object) -> Decimal:
    # float is refused rather than converted: 30.05 as a float is not 30.05, and the caller should decode to Decimal.
    if isinstance(raw, bool) or not isinstance(raw, Decimal | int | str):
        raise MarkError("error.mark_must_number", criterion=name, name=name)
    try:
        value = Decimal(raw.strip()) if isinstance(raw, str) else Decimal(raw)
    except InvalidOperation:
        raise MarkError("error.mark_must_number", criterion=name, name=name) from None
    if not value.is_finite():
        raise MarkError("error.mark_must_finite_number", criterion=name, name=name)
    return value


def validate_marks(rubric: Sequence[Criterion], marks: Mapping[str, Decimal | int | str]) -> dict[str, Decimal]:
    """Return one member's marks as Decimals with one decimal place, or raise MarkError naming the criterion."""
    expected = [criterion.name for criterion in rubric]
    missing = [name for name in expected if name not in marks]
    if missing:
        joined = "、".join(missing)
        raise MarkError("error.missing_mark", criterion=missing[0], names=joined)
    known = set(expected)
    extra = sorted(str(name) for name in marks if name not in known)
    if extra:
        joined = "、".join(extra)
        raise MarkError("error.unknown_criterion", criterion=extra[0], names=joined)
    cleaned: dict[str, Decimal] = {}
    for criterion in rubric:
        name = criterion.name
        value = _parse_mark(name, marks[name])
        # Precision comes first so 30.05 is reported as a precision mistake rather than as out of range.
        if not _has_at_most_one_decimal(value):
            raise MarkError("error.mark_allows_most_decimal", criterion=name, name=name)
        if not Decimal(0) <= value <= criterion.maximum:
            raise MarkError("error.mark_out_of_range", criterion=name, name=name, maximum=criterion.maximum)
        # copy_abs() turns "-0" into "0.0"; the range check has already ruled out real negatives.
        cleaned[name] = value.quantize(_TENTH).copy_abs()
    return cleaned


def member_total(marks: Mapping[str, Decimal]) -> Decimal:
    """Return the sum of one member's marks (their total for a proposal)."""
    return sum(marks.values(), Decimal("0.0"))


def _number(value: Decimal | int) -> Decimal | int:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"expected Decimal or int, got {type(value).__name__}")
    return value


def _round_half_up(value: Fraction, places: int) -> Decimal:
    """Round an exact fraction to ``places`` decimals, ties away from zero (Decimal's ROUND_HALF_UP)."""
    scaled = abs(value) * 10**places
    units = math.floor(scaled + Fraction(1, 2))
    return Decimal(-units if value < 0 else units).scaleb(-places)


def _mean(values: Sequence[Decimal | int]) -> Fraction:
    # Summed as one integer ratio over a common denominator and reduced once: the same exact value as adding
    # Fractions, without normalising every partial sum (a ranking takes some 2,400 of these per request).
    numerator, denominator = 0, 1
    for value in values:
        n, d = _number(value).as_integer_ratio()
        common = math.lcm(denominator, d)
        numerator = numerator * (common // denominator) + n * (common // d)
        denominator = common
    return Fraction(numerator, denominator * len(values))


def proposal_score(totals: Sequence[Decimal]) -> Decimal | None:
    """Return the mean of members' totals (trimmed by one high and one low from five up), half-up to 2 decimals."""
    if not totals:
        return None
    kept = sorted(totals)
    if len(kept) >= TRIM_FROM:
        # Exactly one of each end, even when several members share the highest or lowest total.
        kept = kept[1:-1]
    return _round_half_up(_mean(kept), 2)


def first_criterion_mean(first_marks: Sequence[Decimal]) -> Decimal:
    """Return the plain (untrimmed) mean of the first criterion's marks, half-up to 4 decimals, for tie-breaking.

    Four decimals is fine enough that two different exact means of one-decimal marks never round to the same value
    for panels of up to 31 members, and coarse enough to compare and display. Raises ValueError when empty.
    """
    if not first_marks:
        raise ValueError("no first-criterion marks to average")
    return _round_half_up(_mean(first_marks), 4)


def criterion_mean(marks: Sequence[Decimal]) -> Decimal:
    """Return the plain (untrimmed) mean of one criterion's marks, half-up to 2 decimals, as the dossier and a
    debrief show it beside the score. Raises ValueError when empty."""
    if not marks:
        raise ValueError("no marks to average")
    return _round_half_up(_mean(marks), 2)


@dataclass(frozen=True, slots=True)
class RankEntry:
    """What ranking needs to know about one scored proposal."""

    proposal_id: int
    score: Decimal
    first_criterion_mean: Decimal
    submitted_at: datetime


def rank(entries: Sequence[RankEntry]) -> list[RankEntry]:
    """Return entries best first: score desc, first-criterion mean desc, earlier submission, then proposal id."""
    return sorted(
        entries,
        key=lambda entry: (-entry.score, -entry.first_criterion_mean, entry.submitted_at, entry.proposal_id),
    )


def to_tenths(value: Decimal) -> int:
    """Return a one-decimal mark as integer tenths for storage (30.5 -> 305); raise ValueError if finer than 0.1."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"expected Decimal or int, got {type(value).__name__}")
    value = Decimal(value)
    if not value.is_finite():
        raise ValueError(f"{value} is not a finite number")
    if not _has_at_most_one_decimal(value):
        raise ValueError(f"{value} is not a whole number of tenths")
    # The bound keeps the result inside a 64-bit column and the scaling below exact under 28-digit precision.
    if value and value.adjusted() >= _MAX_TENTHS_DIGITS - 1:
        raise ValueError(f"{value} is too large to store as tenths")
    return int(value.scaleb(1))


def from_tenths(tenths: int) -> Decimal:
    """Return the one-decimal Decimal for stored integer tenths (305 -> Decimal("30.5"))."""
    if isinstance(tenths, bool) or not isinstance(tenths, int):
        raise TypeError(f"expected int, got {type(tenths).__name__}")
    return Decimal(tenths).scaleb(-1)
