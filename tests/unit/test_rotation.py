"""Rotating chair (轮值主席) schedule rules."""

from __future__ import annotations

from datetime import date

import pytest

from alliances.rotation import ScheduleError, Term, chair_on, rotate, validate_schedule
from tests.unit.said import raises_saying

ORDER = ["new-orgs", "volunteers", "legal", "media"]

# A calendar year of quarterly terms, used by several tests.
YEAR_2025 = [
    Term("new-orgs", date(2025, 1, 1), date(2025, 3, 31)),
    Term("volunteers", date(2025, 4, 1), date(2025, 6, 30)),
    Term("legal", date(2025, 7, 1), date(2025, 9, 30)),
    Term("media", date(2025, 10, 1), date(2025, 12, 31)),
]


def test_contiguous_schedule_is_valid() -> None:
    validate_schedule(YEAR_2025)


def test_schedule_order_of_input_does_not_matter() -> None:
    validate_schedule([YEAR_2025[2], YEAR_2025[0], YEAR_2025[3], YEAR_2025[1]])


def test_empty_schedule_and_single_term_are_valid() -> None:
    validate_schedule([])
    validate_schedule([YEAR_2025[0]])


def test_one_day_term_is_valid() -> None:
    validate_schedule(
        [
            Term("legal", date(2025, 1, 1), date(2025, 1, 1)),
            Term("media", date(2025, 1, 2), date(2025, 1, 31)),
        ]
    )


def test_term_ending_before_it_starts_is_rejected() -> None:
    with raises_saying(ScheduleError, "ends 2025-01-31 before it starts 2025-02-01"):
        validate_schedule([Term("legal", date(2025, 2, 1), date(2025, 1, 31))])


def test_terms_overlapping_by_one_day_are_rejected() -> None:
    terms = [
        Term("new-orgs", date(2025, 1, 1), date(2025, 3, 31)),
        Term("volunteers", date(2025, 3, 31), date(2025, 6, 30)),
    ]
    with raises_saying(ScheduleError, "overlap from 2025-03-31"):
        validate_schedule(terms)


def test_term_inside_another_term_is_an_overlap() -> None:
    terms = [*YEAR_2025, Term("legal", date(2025, 5, 1), date(2025, 5, 31))]
    with raises_saying(ScheduleError, "overlap"):
        validate_schedule(terms)


def test_two_terms_starting_the_same_day_overlap() -> None:
    terms = [
        Term("legal", date(2025, 1, 1), date(2025, 1, 31)),
        Term("media", date(2025, 1, 1), date(2025, 1, 31)),
    ]
    with raises_saying(ScheduleError, "overlap"):
        validate_schedule(terms)


def test_one_day_gap_between_terms_is_rejected() -> None:
    terms = [
        Term("new-orgs", date(2025, 1, 1), date(2025, 3, 30)),
        Term("volunteers", date(2025, 4, 1), date(2025, 6, 30)),
    ]
    with raises_saying(ScheduleError, "no chair from 2025-03-31 to 2025-03-31"):
        validate_schedule(terms)


def test_gap_is_found_whatever_the_input_order() -> None:
    terms = [YEAR_2025[3], YEAR_2025[0], YEAR_2025[1]]  # the third quarter is missing
    with raises_saying(ScheduleError, "no chair from 2025-07-01 to 2025-09-30"):
        validate_schedule(terms)


def test_term_without_alliance_is_rejected() -> None:
    with raises_saying(ScheduleError, "no alliance"):
        validate_schedule([Term("  ", date(2025, 1, 1), date(2025, 1, 31))])


def test_schedule_error_is_a_value_error() -> None:
    assert issubclass(ScheduleError, ValueError)


@pytest.mark.parametrize(
    ("day", "alliance"),
    [
        (date(2025, 1, 1), "new-orgs"),  # first day of the schedule
        (date(2025, 3, 31), "new-orgs"),  # last day of a term
        (date(2025, 4, 1), "volunteers"),  # first day of the next term
        (date(2025, 8, 15), "legal"),
        (date(2025, 12, 31), "media"),  # last day of the schedule
    ],
)
def test_chair_on_includes_both_ends_of_a_term(day: date, alliance: str) -> None:
    term = chair_on(YEAR_2025, day)
    assert term is not None
    assert term.alliance_code == alliance


@pytest.mark.parametrize("day", [date(2024, 12, 31), date(2026, 1, 1)])
def test_no_chair_outside_the_schedule(day: date) -> None:
    assert chair_on(YEAR_2025, day) is None


def test_chair_on_empty_schedule_is_none() -> None:
    assert chair_on([], date(2025, 1, 1)) is None


def test_chair_on_does_not_need_sorted_input() -> None:
    shuffled = list(reversed(YEAR_2025))
    assert chair_on(shuffled, date(2025, 4, 1)) == YEAR_2025[1]


def test_rotate_quarterly_through_the_four_alliances() -> None:
    assert rotate(ORDER, date(2025, 1, 1), 3, 4) == YEAR_2025


def test_rotate_cycles_the_order_and_crosses_the_year_boundary() -> None:
    # Six-month terms from 1 July 2025: the order wraps after two terms and the second term spans New Year.
    terms = rotate(["legal", "media"], date(2025, 7, 1), 6, 3)
    assert terms == [
        Term("legal", date(2025, 7, 1), date(2025, 12, 31)),
        Term("media", date(2026, 1, 1), date(2026, 6, 30)),
        Term("legal", date(2026, 7, 1), date(2026, 12, 31)),
    ]
    validate_schedule(terms)


def test_rotate_mid_month_start_across_the_year_boundary() -> None:
    terms = rotate(ORDER, date(2025, 11, 15), 1, 3)
    assert [(t.alliance_code, t.starts_on, t.ends_on) for t in terms] == [
        ("new-orgs", date(2025, 11, 15), date(2025, 12, 14)),
        ("volunteers", date(2025, 12, 15), date(2026, 1, 14)),
        ("legal", date(2026, 1, 15), date(2026, 2, 14)),
    ]


def test_rotate_from_month_end_clamps_to_each_months_last_day_in_a_leap_year() -> None:
    # Starts are first_day + k months, clamped: 31 Jan, 29 Feb (2024 is a leap year), 31 Mar, 30 Apr, 31 May.
    # Each term ends the day before the next start; the clamp does not stick at the 29th after February.
    terms = rotate(ORDER, date(2024, 1, 31), 1, 4)
    assert [(t.starts_on, t.ends_on) for t in terms] == [
        (date(2024, 1, 31), date(2024, 2, 28)),
        (date(2024, 2, 29), date(2024, 3, 30)),
        (date(2024, 3, 31), date(2024, 4, 29)),
        (date(2024, 4, 30), date(2024, 5, 30)),
    ]
    validate_schedule(terms)


def test_rotate_from_month_end_in_a_common_year() -> None:
    terms = rotate(ORDER, date(2025, 1, 31), 1, 2)
    assert [(t.starts_on, t.ends_on) for t in terms] == [
        (date(2025, 1, 31), date(2025, 2, 27)),
        (date(2025, 2, 28), date(2025, 3, 30)),
    ]


def test_rotate_from_leap_day_returns_to_leap_day_four_years_later() -> None:
    # Yearly terms from 29 Feb 2024 start on 28 Feb in common years and on 29 Feb again in 2028.
    terms = rotate(ORDER, date(2024, 2, 29), 12, 5)
    assert [t.starts_on for t in terms] == [
        date(2024, 2, 29),
        date(2025, 2, 28),
        date(2026, 2, 28),
        date(2027, 2, 28),
        date(2028, 2, 29),
    ]
    assert terms[3].ends_on == date(2028, 2, 28)
    assert terms[4].alliance_code == "new-orgs"
    validate_schedule(terms)


def test_a_leap_year_term_is_366_days() -> None:
    (term,) = rotate(["media"], date(2024, 1, 1), 12, 1)
    assert term.ends_on == date(2024, 12, 31)
    assert (term.ends_on - term.starts_on).days + 1 == 366


def test_rotate_with_zero_count_is_empty() -> None:
    assert rotate(ORDER, date(2025, 1, 1), 3, 0) == []


def test_rotation_covers_every_day_exactly_once() -> None:
    terms = rotate(ORDER, date(2023, 12, 31), 2, 12)
    validate_schedule(terms)
    day = terms[0].starts_on
    while day <= terms[-1].ends_on:
        covering = [t for t in terms if t.starts_on <= day <= t.ends_on]
        assert len(covering) == 1
        assert chair_on(terms, day) == covering[0]
        day = date.fromordinal(day.toordinal() + 1)


@pytest.mark.parametrize(
    ("order", "months", "count", "message"),
    [
        ([], 3, 4, "order is empty"),
        (["legal", " "], 3, 4, "blank alliance code"),
        (ORDER, 0, 4, "at least 1"),
        (ORDER, -1, 4, "at least 1"),
        (ORDER, 3, -1, "must not be negative"),
    ],
)
def test_rotate_rejects_bad_arguments(order: list[str], months: int, count: int, message: str) -> None:
    with raises_saying(ScheduleError, message):
        rotate(order, date(2025, 1, 1), months, count)
