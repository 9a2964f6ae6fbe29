"""Accounts, sessions and the inbox."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import Meta

from market.models import Notification as NotificationModel
from market.models import Role
from market.models import User as UserModel
from market.notify import ParamValue, render
from market.passwords import LONGEST_HELD
from market.schemas._base import Id, Password, Schema, ShortName, Username


class LoginRequest(Schema):
    """Credentials."""

    username: str
    # Refused beyond the longest password an account can hold (market/passwords.py), never cut to it.
    password: Annotated[str, Meta(max_length=LONGEST_HELD)]


class UserCreate(Schema):
    """A new account, created by the committee."""

    username: Username
    password: Password
    role: Role
    display_name: ShortName | None = None
    organization_id: Id | None = None
    community_id: Id | None = None


class PasswordChange(Schema):
    """A new password for the signed-in account; the current one proves that its owner is asking."""

    # Bounded by what passwords could be before today's rule, not by it: an older one must still work here.
    current_password: Annotated[str, Meta(min_length=1, max_length=LONGEST_HELD)]
    new_password: Password


class PasswordReset(Schema):
    """A temporary password the committee gives an account; its owner must choose their own at the next sign-in."""

    password: Password


class User(Schema):
    """An account as others see it (`must_change_password`: it holds a temporary password from a committee reset)."""

    id: int
    username: str
    role: Role
    display_name: str
    organization_id: int | None
    organization_name: str | None
    community_id: int | None
    community_name: str | None
    is_active: bool
    must_change_password: bool

    @classmethod
    def of(cls, user: UserModel) -> User:
        """From the model."""
        return cls(
            id=user.id,
            username=user.username,
            role=Role(user.role),
            display_name=user.display_name,
            organization_id=user.organization_id,
            organization_name=user.organization.name if user.organization else None,
            community_id=user.community_id,
            community_name=user.community.name if user.community else None,
            is_active=user.is_active,
            must_change_password=user.must_change_password,
        )


class Notification(Schema):
    """One inbox item: its message key and parameters, and the title and body rendered in the inbox's language.

    `key` names the catalog messages `notify.<key>.title` / `.body`; `kind` is the key's first part (older items
    keep the kind they were stored with, under the key `legacy` whose parameters are their stored text).
    """

    id: int
    kind: str
    key: str
    params: dict[str, ParamValue]
    title: str
    body: str
    link: str
    created_at: datetime
    read: bool

    @classmethod
    def of(cls, n: NotificationModel, lang: str) -> Notification:
        """From the model, rendered in `lang`."""
        title, body = render(n.key, n.params, lang)
        return cls(n.id, n.kind, n.key, n.params, title, body, n.link, n.created_at, n.read_at is not None)


class Inbox(Schema):
    """A user's notifications, newest first, with the language their titles and bodies are rendered in."""

    unread: int
    lang: str
    items: list[Notification] = msgspec.field(default_factory=list)
