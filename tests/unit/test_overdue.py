"""When an order is overdue (market/overdue.py): two weeks without an answer, or its month over undelivered."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from market.overdue import ORDER_ANSWER_DAYS, Lateness, order_lateness

# 2026-03-31 23:30 in Asia/Shanghai is still March there; 16:30 UTC.
MARCH_LAST_EVENING = datetime(2026, 3, 31, 15, 30, tzinfo=UTC)
MARCH = date(2026, 3, 1)
APRIL = date(2026, 4, 1)


def test_a_request_is_overdue_after_the_answer_period_even_for_a_later_month() -> None:
    placed = MARCH_LAST_EVENING - timedelta(days=ORDER_ANSWER_DAYS)
    assert order_lateness("requested", placed, APRIL, MARCH_LAST_EVENING) is None
    later = MARCH_LAST_EVENING + timedelta(minutes=1)
    assert order_lateness("requested", placed, date(2026, 6, 1), later) == Lateness.UNANSWERED


def test_an_accepted_order_is_overdue_once_its_month_is_over_in_shanghai() -> None:
    assert order_lateness("accepted", MARCH_LAST_EVENING, MARCH, MARCH_LAST_EVENING) is None
    april_first = MARCH_LAST_EVENING + timedelta(hours=1)  # 00:30 on 1 April in Shanghai
    assert order_lateness("accepted", MARCH_LAST_EVENING, MARCH, april_first) == Lateness.UNDELIVERED
    assert order_lateness("requested", april_first, MARCH, april_first) == Lateness.UNANSWERED


def test_finished_orders_are_never_overdue() -> None:
    long_after = MARCH_LAST_EVENING + timedelta(days=365)
    for status in ("delivered", "rated", "declined", "cancelled"):
        assert order_lateness(status, MARCH_LAST_EVENING, MARCH, long_after) is None


def test_naive_times_from_sqlite_count_as_utc() -> None:
    naive = MARCH_LAST_EVENING.replace(tzinfo=None) - timedelta(days=ORDER_ANSWER_DAYS + 1)
    assert order_lateness("requested", naive, APRIL, MARCH_LAST_EVENING) == Lateness.UNANSWERED
