"""The one source of "now", injectable so tests can move time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


@runtime_checkable
class Clock(Protocol):
    """Anything that can tell the current aware UTC time."""

    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        """Current UTC time."""
        return datetime.now(UTC)


class ManualClock:
    """A clock tests set and advance by hand."""

    def __init__(self, start: datetime) -> None:
        self._now = as_utc(start)

    def now(self) -> datetime:
        """The time the test last set."""
        return self._now

    def set(self, when: datetime) -> None:
        """Jump to a given time."""
        self._now = as_utc(when)

    def advance(self, **delta: float) -> datetime:
        """Move forward by a timedelta's keyword arguments and return the new time."""
        self._now += timedelta(**delta)
        return self._now


def as_utc(value: datetime) -> datetime:
    """Aware UTC datetime; naive values are taken as UTC (that is how SQLite hands them back)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def local(value: datetime) -> datetime:
    """The same instant in Asia/Shanghai, for display."""
    return as_utc(value).astimezone(SHANGHAI)


def local_date(value: datetime) -> date:
    """The calendar date in Asia/Shanghai at an instant (the day the chair, a deadline or a class is on)."""
    return local(value).date()
