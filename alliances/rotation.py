"""Rotating chair (轮值主席): terms, schedule checks and generated rotations."""

from __future__ import annotations

import calendar
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

__all__ = ["ScheduleError", "Term", "chair_on", "rotate", "validate_schedule"]

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Term:
    """One alliance's term as chair, both ends inclusive."""

    alliance_code: str
    starts_on: date
    ends_on: date


class ScheduleError(ValueError):
    """A chair schedule (or a request to generate one) that breaks the one-chair-per-day rule: a message key and
    the parameters its text needs."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params: dict[str, Any] = params


def _sorted_terms(terms: Sequence[Term]) -> list[Term]:
    # Ties on the start date are broken by end date only so the error message is stable.
    return sorted(terms, key=lambda term: (term.starts_on, term.ends_on))


def validate_schedule(terms: Sequence[Term]) -> None:
    """Raise ScheduleError unless exactly one term covers every day from the first start to the last end."""
    for term in terms:
        if not term.alliance_code.strip():
            raise ScheduleError("error.term_starting_no_alliance", starts_on=term.starts_on)
        if term.ends_on < term.starts_on:
            raise ScheduleError(
                "error.term_ends_before_starts",
                alliance=term.alliance_code,
                ends_on=term.ends_on,
                starts_on=term.starts_on,
            )
    ordered = _sorted_terms(terms)
    for previous, current in itertools.pairwise(ordered):
        expected_start = previous.ends_on + _ONE_DAY
        if current.starts_on < expected_start:
            raise ScheduleError(
                "error.terms_overlap",
                first=previous.alliance_code,
                second=current.alliance_code,
                starts_on=current.starts_on,
            )
        if current.starts_on > expected_start:
            raise ScheduleError("error.chair_gap", start=expected_start, end=current.starts_on - _ONE_DAY)


def chair_on(terms: Sequence[Term], day: date) -> Term | None:
    """Return the term covering ``day``, or None when the day is outside every term."""
    # On a valid schedule at most one term matches; on an invalid one the earliest-starting match wins.
    for term in _sorted_terms(terms):
        if term.starts_on <= day <= term.ends_on:
            return term
    return None


def _add_months(start: date, months: int) -> date:
    """Return ``start`` moved by ``months`` calendar months, clamped to the last day of a shorter month."""
    years, month_index = divmod(start.month - 1 + months, 12)
    year = start.year + years
    month = month_index + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def rotate(order: Sequence[str], first_day: date, months_per_term: int, count: int) -> list[Term]:
    """Return ``count`` contiguous terms cycling through ``order``, each ``months_per_term`` calendar months long.

    Term k starts on ``first_day`` plus k * ``months_per_term`` months and ends the day before term k + 1 starts.
    Every start is measured from ``first_day`` (not from the previous start) and clamped to the month's last day,
    so a rotation begun on 31 January with one-month terms starts on 31 Jan, 28/29 Feb, 31 Mar, 30 Apr, ...
    rather than drifting to the 28th for good after February.
    """
    if not order:
        raise ScheduleError("error.rotation_order_empty")
    for code in order:
        if not code.strip():
            raise ScheduleError("error.rotation_order_contains_blank")
    if months_per_term < 1:
        raise ScheduleError("error.months_per_term_at_least_one", months_per_term=months_per_term)
    if count < 0:
        raise ScheduleError("error.term_count_negative", count=count)
    starts = [_add_months(first_day, k * months_per_term) for k in range(count + 1)]
    return [
        Term(alliance_code=order[k % len(order)], starts_on=starts[k], ends_on=starts[k + 1] - _ONE_DAY)
        for k in range(count)
    ]
