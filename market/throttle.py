"""Sign-in throttling, counted by the database so that every worker shares one count (ASVS 5.0 V6.3.1); the
lost-link SMS limits count with the same counters (`admit`).

Two counters, each one row changed by a single INSERT … ON CONFLICT DO UPDATE … RETURNING, so concurrent attempts on
any number of workers each get a distinct count and no more than the limit get through:

- per account name (as typed, case-folded, whether or not such an account exists, so the answer says nothing about
  which names exist): the real limit, a few attempts in a window; a successful sign-in clears it;
- per client address: a generous limit, so a training room of secretaries behind one address is not locked out
  while one guesser cannot try many names from one place.

The client address is the socket's peer, unless that peer is a configured proxy (`JIEBANG_TRUSTED_PROXIES`): then
the nearest `X-Forwarded-For` entry that is not itself a trusted proxy.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from litestar import Request
from sqlalchemy import case, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from market.kernel.clock import as_utc
from market.kernel.db import writing
from market.kernel.errors import ApplicationError
from market.models import login_throttle
from market.settings import Settings


class TooManyAttempts(ApplicationError):
    """Too many sign-in attempts for this account or from this address (429)."""

    status_code = 429
    title = "Too many sign-in attempts"
    type_slug = "too-many-attempts"

    def __init__(self, key: str, *, retry_after: int) -> None:
        super().__init__(key, headers={"Retry-After": str(retry_after)})
        # Seconds until an attempt can get through again; the sign-in page sends the same header.
        self.retry_after = retry_after


_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(settings: Settings) -> list[_Network]:
    """The configured proxies as networks (an address is a /32 or /128)."""
    return [ipaddress.ip_network(p.strip(), strict=False) for p in settings.trusted_proxies.split(",") if p.strip()]


def _is_trusted(address: str, networks: list[_Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address(request: Request[Any, Any, Any], settings: Settings) -> str:
    """Who is asking: the peer, or what a trusted proxy says the client was."""
    peer = request.client.host if request.client else ""
    networks = trusted_networks(settings)
    if not networks or not _is_trusted(peer, networks):
        return peer or "unknown"
    hops = [h.strip() for h in ",".join(request.headers.getall("x-forwarded-for", [])).split(",") if h.strip()]
    # From the nearest hop outwards: the first one no trusted proxy vouches for is the client.
    for hop in reversed(hops):
        if not _is_trusted(hop, networks):
            return hop
    return hops[0] if hops else peer


async def _count(db: AsyncSession, key: str, now: datetime, window: timedelta) -> tuple[int, datetime]:
    """Add one attempt to `key`'s window (a new window if the last one is over); the window's count and start."""
    dialect = (await db.connection()).dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(login_throttle)
    table = login_throttle.c
    expired = table.window_start <= now - window
    stmt = (
        insert.values(key=key, window_start=now, attempts=1)
        .on_conflict_do_update(
            index_elements=[table.key],
            set_={
                "attempts": case((expired, 1), else_=table.attempts + 1),
                "window_start": case((expired, now), else_=table.window_start),
            },
        )
        .returning(table.attempts, table.window_start)
    )
    attempts, started = (await db.execute(stmt)).one()
    return int(attempts), as_utc(started)


def _seconds_until(moment: datetime, now: datetime) -> int:
    """Whole seconds from now until `moment`, rounded up, at least one (the value of a `Retry-After`)."""
    return max(1, math.ceil((moment - now).total_seconds()))


def _account_key(username: str) -> str:
    return "account:" + username.strip().casefold()[:150]


async def admit(db: AsyncSession, limits: Sequence[tuple[str, int, timedelta]], *, now: datetime) -> int:
    """Count one attempt against each (key, limit, window), in one transaction: 0 when every count is within its
    limit, else the seconds until every window it is over has ended (the answer's `Retry-After`)."""
    async with writing(db):
        counted = [(*(await _count(db, key, now, window)), limit, window) for key, limit, window in limits]
    frees_at = [since + window for count, since, limit, window in counted if count > limit]
    return _seconds_until(max(frees_at), now) if frees_at else 0


async def admit_login(db: AsyncSession, username: str, address: str, settings: Settings, *, now: datetime) -> None:
    """Count this sign-in attempt; refuse it (429) before any password is checked when a limit is passed."""
    limits = (
        ("address:" + address[:150], settings.login_rate_per_minute, timedelta(minutes=1)),
        (_account_key(username), settings.login_attempts_per_account, timedelta(seconds=settings.login_account_window)),
    )
    if wait := await admit(db, limits, now=now):
        raise TooManyAttempts("error.too_many_sign_attempts", retry_after=wait)


async def login_succeeded(db: AsyncSession, username: str) -> None:
    """A correct password clears the account's count: its owner is not held back by earlier typos."""
    async with writing(db):
        await db.execute(delete(login_throttle).where(login_throttle.c.key == _account_key(username)))


# Longer than any throttling window (sign-in 15 minutes by default, lost links an hour).
KEPT_COUNTS = timedelta(days=1)


async def forget_old_counts(db: AsyncSession, now: datetime) -> None:
    """Delete counts whose window ended long ago (the tick): keys are keyed hashes of residents' numbers and of
    addresses, kept no longer than a limit needs them."""
    await db.execute(delete(login_throttle).where(login_throttle.c.window_start < now - KEPT_COUNTS))
