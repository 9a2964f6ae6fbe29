"""The inbox: notifications written in the same transaction as the change they announce.

A notification is stored as a message key and its parameters, never as prose, and is rendered when it is read,
in the reader's language (SPEC: "Everything a person reads is in their language"). The key names catalog
entries `notify.<key>.title` and, optionally, `notify.<key>.body` (`market/i18n/_notify.py`); the part of the
key before the first dot is the notification's kind (`award.notice` → `award`), which the inbox labels.
Parameters are the facts the message needs (names, times already in Beijing time, a reason in the writer's
own words); a list is joined with the reader's separator and a `grade` is labelled in the reader's language.
Writing a key the catalogs lack, or parameters that do not fit it, raises `UnknownMessage` before anything is
written.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from typing import Final, TypeAlias

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from alliances.models import OrgStatus
from market.i18n import CATALOGS, DEFAULT_LANG, label
from market.models import Notification, Organization, User

ParamValue: TypeAlias = str | int | list[str]
Params: TypeAlias = Mapping[str, ParamValue]

# Rows written before notifications were keyed keep their text as the parameters of this key (the migration
# that added keys writes it); new code may not.
LEGACY: Final = "legacy"
# Parameters rendered through an enum's labels rather than shown as stored.
_LABELLED: Final = {"grade": "grade"}


class UnknownMessage(ValueError):
    """A notification key missing from a catalog, or parameters that do not fit its message."""


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def message_fields(key: str) -> set[str]:
    """The parameters the message `key` needs; UnknownMessage if either language lacks its title."""
    fields: set[str] = set()
    for lang, catalog in CATALOGS.items():
        title = catalog.get(f"notify.{key}.title")
        if title is None:
            raise UnknownMessage(f"notification key {key!r} has no title in {lang}")
        fields |= _fields(title) | _fields(catalog.get(f"notify.{key}.body", ""))
    return fields


def check(key: str, params: Mapping[str, object]) -> None:
    """Refuse a key new code may not write, one missing from the catalogs, or parameters that do not fit it."""
    if key == LEGACY:
        raise UnknownMessage("legacy notifications are only kept, never written")
    needed = message_fields(key)
    if set(params) != needed:
        raise UnknownMessage(f"notification {key!r} takes {sorted(needed)}, got {sorted(params)}")
    for name, value in params.items():
        ok = isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))
        ok = ok or (isinstance(value, list) and all(isinstance(v, str) for v in value))
        if not ok:
            raise UnknownMessage(f"notification {key!r}: parameter {name!r} must be text, a whole number or a list")


def kind_of(key: str) -> str:
    """The kind a key belongs to: what comes before its first dot."""
    return key.partition(".")[0]


class _Shown(dict[str, str]):
    """Parameters as one reader sees them; a placeholder with no parameter (an older row) shows as nothing."""

    def __missing__(self, name: str) -> str:
        return ""


def _shown(params: Mapping[str, object], lang: str) -> _Shown:
    catalog = CATALOGS.get(lang, CATALOGS[DEFAULT_LANG])
    shown = _Shown()
    for name, value in params.items():
        if isinstance(value, list):
            shown[name] = catalog["notify.list_separator"].join(str(v) for v in value)
        elif name in _LABELLED:
            shown[name] = label(_LABELLED[name], value, lang)
        else:
            shown[name] = str(value)
    return shown


def render(key: str, params: Mapping[str, object], lang: str = DEFAULT_LANG) -> tuple[str, str]:
    """The title and body of a notification in `lang` (zh-CN for a language we lack).

    A body whose parameters are all empty (a comment nobody wrote) is left out. A key the catalogs no longer
    have shows its stored title, or the key itself, rather than failing the inbox.
    """
    catalog = CATALOGS.get(lang, CATALOGS[DEFAULT_LANG])
    title = catalog.get(f"notify.{key}.title")
    shown = _shown(params, lang)
    if title is None:
        return (shown.get("title") or key, shown.get("body", ""))
    body = catalog.get(f"notify.{key}.body", "")
    used = _fields(body)
    if used and not any(shown.get(name, "").strip() for name in used):
        body = ""
    return title.format_map(shown), body.format_map(shown)


async def to_users(session: AsyncSession, user_ids: Iterable[int], key: str, params: Params, *, link: str = "") -> None:
    """One inbox item for each user (duplicates collapsed)."""
    check(key, params)
    kind = kind_of(key)
    session.add_all(
        Notification(user_id=uid, kind=kind, key=key, params=dict(params), link=link) for uid in sorted(set(user_ids))
    )


async def org_member_ids(session: AsyncSession, org_ids: Iterable[int]) -> list[int]:
    """Active accounts of the given organisations."""
    ids = list(set(org_ids))
    if not ids:
        return []
    stmt = select(User.id).where(User.organization_id.in_(ids), User.is_active.is_(True), User.role == "org")
    return list((await session.scalars(stmt)).all())


async def to_orgs(session: AsyncSession, org_ids: Iterable[int], key: str, params: Params, *, link: str = "") -> None:
    """One inbox item for each member of the given organisations."""
    check(key, params)
    await to_users(session, await org_member_ids(session, org_ids), key, params, link=link)


async def to_alliances(
    session: AsyncSession, alliance_ids: Iterable[int], key: str, params: Params, *, link: str = ""
) -> None:
    """One inbox item for each member of every active organisation in the given alliances."""
    check(key, params)
    stmt = select(Organization.id).where(
        Organization.alliance_id.in_(list(alliance_ids)), Organization.status == OrgStatus.ACTIVE
    )
    await to_orgs(session, (await session.scalars(stmt)).all(), key, params, link=link)


async def to_role(session: AsyncSession, role: str, key: str, params: Params, *, link: str = "") -> None:
    """One inbox item for every active account with the role (e.g. the committee)."""
    check(key, params)
    ids = (await session.scalars(select(User.id).where(User.role == role, User.is_active.is_(True)))).all()
    await to_users(session, ids, key, params, link=link)
