"""The inbox, for every signed-in role: notifications newest first, marked read one by one, each linking to the
page that shows what it is about (notifications store the API's paths; pages are found for them by role)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from market import notify
from market.i18n import ZH_CN, t
from market.kernel.db import writing
from market.models import Award
from market.pages._base import (
    SIGNED_IN,
    PageNo,
    Paging,
    UserRequest,
    form_values,
    int_or_none,
    lang_of,
    page,
    page_number,
    see_other,
)
from market.params import Db, Now, PathId
from market.services import accounts


async def _award_tasks(db: AsyncSession, award_ids: Iterable[int]) -> dict[int, int]:
    """Which task each award is on (inbox links to an award open the task's notice)."""
    wanted = sorted(set(award_ids))
    if not wanted:
        return {}
    rows = await db.execute(select(Award.id, Award.task_id).where(Award.id.in_(wanted)))
    return {award_id: task_id for award_id, task_id in rows}


# The inbox (every signed-in role) --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InboxItem:
    """A notification as the inbox shows it, with a page to open where there is one."""

    id: int
    kind: str
    title: str
    body: str
    at: datetime
    unread: bool
    href: str | None


_LINK = re.compile(r"^/(?P<kind>[a-z]+)/(?P<id>\d+)(?P<rest>/[a-z]+)?$")


# Where each role works on a task, when a notification about it has no page of its own.
_TASK_DESKS = {"committee": "/committee/tasks/{id}", "evaluator": "/panel/tasks/{id}"}


def page_link(link: str, role: str, award_tasks: dict[int, int], has_page: Callable[[str], bool]) -> str | None:
    """The page a notification is about, for this role; None where no page fits.

    Notifications carry API-style paths (`/proposals/7`, `/awards/3`, `/tasks/5/ranking`). Those a page serves
    as they are (`/orders/7`, `/classes/2`) are kept; the rest lead to the page of the thing they are about.
    """
    m = _LINK.match(link or "")
    if m is None:
        return None
    kind, ident = m.group("kind"), int(m.group("id"))
    if kind == "proposals":
        return f"/org/proposals/{ident}" if role == "org" else None
    if kind == "projects" and role == "org":
        return f"/org/projects/{ident}"
    if kind == "awards":
        task_id = award_tasks.get(ident)
        if task_id is None:
            return None
        desk = _TASK_DESKS.get(role, "").format(id=task_id)
        return desk if desk and has_page(desk) else f"/tasks/{task_id}#award"
    if has_page(link):
        return link
    if kind == "tasks":
        desk = _TASK_DESKS.get(role, "").format(id=ident)
        return desk if desk and has_page(desk) else f"/tasks/{ident}"
    if kind in ("needs", "orders", "classes", "projects"):
        return f"/{kind}" if has_page(f"/{kind}") else None
    return None


def _has_page(request: Request[Any, Any, Any]) -> Callable[[str], bool]:
    """Whether a page answers GET at a path, so inbox links follow the pages every area adds."""

    def check(path: str) -> bool:
        if path.startswith(("/api/", "/static/", "/schema")):
            return False
        try:
            request.app.asgi_router.handle_routing(path=path, method="GET")
        except Exception:  # any refusal by the router (no route, no GET) means no such page
            return False
        return True

    return check


def _award_ids(links: Iterable[str]) -> list[int]:
    return [int(m.group("id")) for link in links if (m := _LINK.match(link or "")) and m.group("kind") == "awards"]


@get("/inbox", **SIGNED_IN)
async def inbox(request: UserRequest, db_session: Db, page_: PageNo = None) -> Template:
    """My notifications, newest first, 20 a page, in the page's language: unread ones marked, each with a link to what
    it is about."""
    user, lang = request.user, lang_of(request)
    number = page_number(page_)
    total = await accounts.inbox_size(db_session, user.id)
    paging = Paging(number, total)
    unread, rows = await accounts.inbox(db_session, user.id, limit=paging.size, offset=paging.offset)
    award_tasks = await _award_tasks(db_session, _award_ids(n.link for n in rows))
    has_page = _has_page(request)
    items = [
        InboxItem(
            id=n.id,
            kind=t(f"inbox.kind.{n.kind}", lang) if f"inbox.kind.{n.kind}" in ZH_CN else "",
            title=title,
            body=body,
            at=n.created_at,
            unread=n.read_at is None,
            href=page_link(n.link, str(user.role), award_tasks, has_page),
        )
        for n in rows
        for title, body in [notify.render(n.key, n.params, lang)]
    ]
    return page("market/inbox.html.j2", user, items=items, unread=unread, paging=paging)


@post("/inbox/{notification_id:int}/read", **SIGNED_IN)
async def mark_read(request: UserRequest, db_session: Db, clock: Now, notification_id: PathId) -> Redirect:
    """Mark one of my notifications read, and go back to the same page of the inbox."""
    values = await form_values(request)
    number = int_or_none(values.get("page"), high=10**5)
    async with writing(db_session):
        await accounts.mark_read(db_session, request.user.id, notification_id, clock.now())
    return see_other(
        f"/inbox?page={number}#n-{notification_id}" if number and number > 1 else f"/inbox#n-{notification_id}"
    )


INBOX_PAGES: list[ControllerRouterHandler] = [inbox, mark_read]
