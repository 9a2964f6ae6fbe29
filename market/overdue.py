"""When something has waited too long (超期): the thresholds, in one place, and the pure rules that apply them.

The desks flag what these rules return (the secretary's desk, the provider's orders, the committee's park orders);
nothing is stored: whether a thing is overdue follows from its state, its dates and the clock at the instant read.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Final

from market.kernel.clock import as_utc, local
from market.states import OrderStatus

__all__ = ["ORDER_ANSWER_DAYS", "Lateness", "order_lateness"]

# A provider answers an order (accept or decline) within two weeks of its placing.
ORDER_ANSWER_DAYS: Final = 14


class Lateness(StrEnum):
    """Why an order is overdue."""

    UNANSWERED = "unanswered"  # still requested: past ORDER_ANSWER_DAYS, or its month is over
    UNDELIVERED = "undelivered"  # accepted, and its month is over with no delivery confirmed


def _month_over(service_month: date, now: datetime) -> bool:
    """Whether the calendar month of `service_month` has ended at `now` (Asia/Shanghai)."""
    today = local(now).date()
    return (today.year, today.month) > (service_month.year, service_month.month)


def order_lateness(status: str, ordered_at: datetime, service_month: date, now: datetime) -> Lateness | None:
    """How an order is overdue at `now`, or None if it is not."""
    if status == OrderStatus.REQUESTED:
        if as_utc(now) - as_utc(ordered_at) > timedelta(days=ORDER_ANSWER_DAYS) or _month_over(service_month, now):
            return Lateness.UNANSWERED
    elif status == OrderStatus.ACCEPTED and _month_over(service_month, now):
        return Lateness.UNDELIVERED
    return None
