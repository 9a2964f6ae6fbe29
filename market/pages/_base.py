"""What every page shares: route options, shown values, form parsing and refusals, flash messages, paging.

The helpers templates call are in `_templating`.

Page handlers call the same services as the JSON API (often through the controllers' shaping functions) and
return `page(...)`; a form with errors comes back through `page(..., form=FormState)` with status 422.
"""

from __future__ import annotations

import math
import re
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Self, TypeVar

import msgspec
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.exceptions import HTTPException
from litestar.params import QueryParameter
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from market.i18n import LANG_COOKIE, choose_lang, error_text, t
from market.kernel.clock import local
from market.kernel.db import writing
from market.kernel.errors import ApplicationError, Forbidden, InvalidInput
from market.kernel.rules import date_in_range, rule_failure
from market.kernel.text import LINE_CONTROL
from market.models import User
from market.security import requires_committee, requires_evaluator, requires_org, requires_secretary
from market.settings import Settings

E = TypeVar("E", bound=StrEnum)
S = TypeVar("S", bound=msgspec.Struct)
T = TypeVar("T")

PAGE_SIZE = 20

# Query parameters every list page reads (what handlers take by dependency, Db, Now, Viewer, Config and PathId,
# is in market.params).
Query = Annotated[str | None, QueryParameter(max_length=200, required=False)]
# `next` and `page` shadow builtins in Python; the query parameters keep their plain names.
Next = Annotated[str | None, QueryParameter(name="next", max_length=2000, required=False)]
PageNo = Annotated[str | None, QueryParameter(name="page", max_length=10, required=False)]

# Route options by who may open a page. Pages are left out of the OpenAPI schema; a visitor who is not signed in
# is sent to /login?next=… by the error pages, and a signed-in user of another role gets the 403 page.
PUBLIC: dict[str, Any] = {"exclude_from_auth": True, "include_in_schema": False}
SIGNED_IN: dict[str, Any] = {"include_in_schema": False}
ORG: dict[str, Any] = {"guards": [requires_org], "include_in_schema": False}
SECRETARY: dict[str, Any] = {"guards": [requires_secretary], "include_in_schema": False}
EVALUATOR: dict[str, Any] = {"guards": [requires_evaluator], "include_in_schema": False}
COMMITTEE: dict[str, Any] = {"guards": [requires_committee], "include_in_schema": False}
CONFIRM_FIELD = "confirm"  # see confirm_page

# What a role page's handler is given: a request from a signed-in user.
UserRequest = Request[User, Any, Any]


def lang_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The request's language: the `lang` cookie, else zh-CN."""
    return choose_lang(connection.cookies.get(LANG_COOKIE))


def money(fen: int | None) -> str:
    """Integer fen as yuan: 5000000 → ¥50,000.00."""
    if fen is None:
        return ""
    return f"¥{fen // 100:,}.{fen % 100:02d}"


def yuan_figure(fen: int) -> str:
    """Fen as the plain yuan figure a form field holds: 4000000 → "40000", 4000050 → "40000.50"."""
    return str(fen // 100) if fen % 100 == 0 else f"{fen // 100}.{fen % 100:02d}"


def localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An aware datetime shown in Asia/Shanghai."""
    return local(value).strftime(fmt) if value is not None else ""


def isodate(value: date | datetime | None) -> str:
    """A date (or a datetime's Shanghai date) as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return local(value).strftime("%Y-%m-%d")
    return value.isoformat()


# Forms -------------------------------------------------------------------------------------------------------


@dataclass
class FormState:
    """What a form shows: the values as typed, and a message beside each field that was refused."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    general: str | None = None

    @property
    def invalid(self) -> bool:
        """Whether anything was refused."""
        return bool(self.errors or self.general)

    def refuse(
        self, exc: ApplicationError, lang: str, fields: Collection[str], *, renamed: Mapping[str, str] | None = None
    ) -> Self:
        """Say the domain's refusal beside the field it names when the form has that field, else above the form.

        `renamed` maps the service's name for a field to the form's, where they differ (`budget_fen` typed as
        `budget_yuan`)."""
        message = error_text(exc, lang)
        name = (renamed or {}).get(exc.field or "", exc.field)
        if name and name in fields:
            self.errors[name] = message
        else:
            self.general = message
        return self


async def form_values(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The submitted form as plain strings (the CSRF token left out)."""
    data = await request.form()
    return {k: v for k, v in data.items() if isinstance(v, str) and k != "_csrf_token"}


_AT_FIELD = re.compile(r"at `\$\.([A-Za-z_][A-Za-z0-9_]*)`")
# Where inside one field msgspec found the fault: `$[1].maximum` for a list of structs, `$[3]` for a list.
_INSIDE = re.compile(r"at `\$((?:\[\d+\]|\.[A-Za-z_][A-Za-z0-9_]*)+)`")
_TOO_LONG = re.compile(r"Expected `str` of length <= (\d+)")

FieldCheck = Callable[[Any], object]
"""A rule on one field beyond its type (a service's own check, like a mobile number's): raises ApplicationError."""


def _blank(value: object) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


def _field_message(value: object, text: str, lang: str) -> str:
    if _blank(value):
        return t("form.required", lang)
    longest = _TOO_LONG.search(text)
    return t("form.too_long", lang, n=longest.group(1)) if longest else t("form.invalid", lang)


def field_errors(
    data: Mapping[str, Any], schema: type[msgspec.Struct], lang: str, *, checks: Mapping[str, FieldCheck] | None = None
) -> dict[str, str]:
    """Every field of `schema` that `data` gets wrong, each with its own message.

    msgspec stops at a struct's first bad field, so a form converted whole would flag one field at a time. Here each
    field is converted on its own against its declared type (a missing required field is "required"), then the
    `checks` run on the fields that converted. A key is the field's name, followed by the place inside it for a
    fault within a list (`rubric[1].maximum`).
    """
    errors: dict[str, str] = {}
    checks = checks or {}
    for f in msgspec.structs.fields(schema):
        name = f.encode_name
        if name not in data:
            if f.required:
                errors[name] = t("form.required", lang)
            continue
        value = data[name]
        try:
            converted = msgspec.convert(value, f.type, strict=False)
        except msgspec.ValidationError as exc:
            text = str(exc)
            inside = _INSIDE.search(text)
            errors[name + (inside.group(1) if inside else "")] = _field_message(value, text, lang)
            continue
        # The rule the field's type carries (a reason's words, a date's range), as the API applies it.
        failure = rule_failure(f.type, converted, name)
        if failure is not None:
            errors[name] = t("form.required", lang) if _blank(value) else error_text(failure, lang)
            continue
        check = checks.get(name)
        if check is not None:
            try:
                check(converted)
            except ApplicationError as exc:
                errors[name] = error_text(exc, lang)
    return errors


def parse_form(
    values: dict[str, str],
    schema: type[S],
    lang: str,
    *,
    ints: tuple[str, ...] = (),
    extra: Mapping[str, Any] | None = None,
    checks: Mapping[str, FieldCheck] | None = None,
    found: Mapping[str, str] | None = None,
) -> S | FormState:
    """The form as the API's request struct, or a FormState with a message beside every field that was refused.

    `ints` are read as integers first; `extra` holds what a form sends that is not one string a field (checked
    boxes, one-a-line lists), already read from the form, and takes the place of their raw text; `checks` are the
    service's own rules on single fields, run here too so that they are reported together with the rest; `found`
    are the errors the page met itself in fields it reads on its own (a local time, a choice), shown with the rest
    and in place of what the schema would say of the same field.
    """
    extra = extra or {}
    # The confirmation step's `confirm=yes` is the page's, not the API struct's (which forbids unknown fields).
    data: dict[str, Any] = {k: v for k, v in values.items() if k != CONFIRM_FIELD}
    unreadable: dict[str, str] = {}
    for name in ints:
        raw = data.pop(name, "").strip()
        if not raw:
            unreadable[name] = t("form.required", lang)
            continue
        try:
            data[name] = int(raw)
        except ValueError:
            unreadable[name] = t("form.number", lang)
    data.update(extra)
    errors: dict[str, str] = {}
    for key, message in field_errors(data, schema, lang, checks=checks).items():
        # A fault inside a list (one of several lines) is shown beside the list's own field.
        errors.setdefault(re.split(r"[\[.]", key, maxsplit=1)[0], message)
    errors.update(unreadable)
    errors.update(found or {})
    if errors:
        return FormState(values, errors)
    try:
        return msgspec.convert(data, schema, strict=False)
    except InvalidInput as exc:
        # A rule a type carries, broken inside a list of structs (field_errors checks top-level fields): above the form.
        return FormState(values, {}, error_text(exc, lang))
    except msgspec.ValidationError as exc:
        # What no single field shows: a field the form should not send, or a rule across fields.
        text = str(exc)
        at = _AT_FIELD.search(text) or re.search(r"required field `([^`]+)`", text)
        name = at.group(1) if at else ""
        message = t("form.invalid", lang)
        return FormState(values, {name: message} if name else {}, None if name else message)
    except (ApplicationError, HTTPException) as exc:
        # A rule the struct checks itself once built (its `__post_init__`), about one field or the whole form.
        field_name = getattr(exc, "field", None)
        message = error_text(exc, lang)
        if field_name and field_name in data:
            return FormState(values, {field_name: message})
        return FormState(values, {}, message)


async def attempt(
    db: AsyncSession, write: Callable[[], Awaitable[T]], *, raising: Collection[int] = (404,)
) -> T | ApplicationError:
    """Run a form's write in one `writing` transaction: what it returns, or the domain's refusal to show on the form.

    The skeleton of every form post: parse (`parse_form`), `attempt` the service's write, and on a refusal re-render
    the form with `refused(...)`, else `say` and `see_other`. Only ApplicationError comes back as a value, and not
    those whose status is in `raising` (by default a 404: the page itself is not there), which propagate as before.

        done = await attempt(db_session, lambda: needs.decline(db_session, need_id, data.reason, actor=user, now=now))
        if isinstance(done, ApplicationError):
            return await _need_page(..., refused(values, done, lang, ("reason",)))
    """
    try:
        async with writing(db):
            return await write()
    except ApplicationError as exc:
        if exc.status_code in raising:
            raise
        return exc


def refused(
    values: dict[str, str],
    exc: ApplicationError,
    lang: str,
    fields: Collection[str],
    *,
    renamed: Mapping[str, str] | None = None,
) -> FormState:
    """The form as typed, with the domain's refusal beside its field or above the form (`FormState.refuse`)."""
    return FormState(values).refuse(exc, lang, fields, renamed=renamed)


def told_elsewhere(
    request: Request[Any, Any, Any], exc: ApplicationError, fields: Collection[str], to: str
) -> Redirect | None:
    """A conflict with the current state that no field of the form explains (someone acted first, the period
    ended): said in a flash message on the page as it now stands, where the form may no longer be offered."""
    if exc.status_code != 409 or (exc.field and exc.field in fields):
        return None
    flash(request, error_text(exc, lang_of(request)), "error")
    return see_other(to)


def own_organization(user: User) -> int:
    """The signed-in member's organisation (an org account always has one; the database insists)."""
    if user.organization_id is None:
        raise Forbidden("error.account_belongs_no_organisation")
    return user.organization_id


def own_community(user: User) -> int:
    """The signed-in secretary's community."""
    if user.community_id is None:
        raise Forbidden("error.account_belongs_no_community")
    return user.community_id


def public_url(request: Request[Any, Any, Any], settings: Settings, path: str) -> str:
    """An absolute link to a local path, to copy or send: from JIEBANG_PUBLIC_BASE_URL, else the request's own
    address (what the visitor's browser used, so the link works for them)."""
    base = settings.public_base_url or str(request.base_url).rstrip("/")
    return base + path


def say(request: Request[Any, Any, Any], key: str, category: str = "success", **kw: object) -> None:
    """Flash a translated message for the next page."""
    flash(request, t(key, lang_of(request), **kw), category)


def see_other(path: str) -> Redirect:
    """Post/redirect/get."""
    return Redirect(path, status_code=303)


def page(
    template: str,
    viewer: User | None = None,
    *,
    status_code: int = 200,
    cookies: list[Cookie] | None = None,
    **context: Any,
) -> Template:
    """A page; every template gets `viewer` (for the sign-in link) and its own context."""
    return Template(template, context={"viewer": viewer, **context}, status_code=status_code, cookies=cookies)


def form_page(template: str, viewer: User | None, form: FormState, **context: Any) -> Template:
    """A form page re-rendered with its errors (422) or fresh (200)."""
    return page(template, viewer, status_code=422 if form.invalid else 200, form=form, **context)


# Confirmation before irreversible steps -----------------------------------------------------------------------
# Without JavaScript: the form posts once and gets a page that says what will happen, holding the same values
# in hidden fields plus `confirm=yes`; only a post carrying `confirm=yes` acts. Both posts validate the input.


def confirmed(values: Mapping[str, str]) -> bool:
    """Whether this post is the second, confirmed step."""
    return values.get(CONFIRM_FIELD) == "yes"


def confirm_page(
    viewer: User | None,
    *,
    title: str,
    warning: str,
    action: str,
    values: Mapping[str, str],
    back: str,
    button: str,
    facts: list[tuple[str, str]] | None = None,
    reason: str | None = None,
    reason_help: str | None = None,
    form: FormState | None = None,
) -> Template:
    """The "are you sure?" page: what will happen (`facts` as label/value pairs), confirm or go back.

    With `reason` (its label; `reason_help` under it) the step itself asks why, in a required field named `reason`,
    where a refusal is said beside it (`form`, answered 422)."""
    asked = {"reason"} if reason else set()
    hidden = {k: v for k, v in values.items() if k != CONFIRM_FIELD and k not in asked}
    return form_page(
        "confirm.html.j2",
        viewer,
        form or FormState({k: v for k, v in values.items() if k in asked}),
        title=title,
        warning=warning,
        action=action,
        hidden=hidden,
        back=back,
        button=button,
        facts=facts or [],
        reason=reason,
        reason_help=reason_help,
    )


# Query parameters --------------------------------------------------------------------------------------------
# Filter forms send "" for "any"; page handlers take strings and read them leniently rather than answering 400.


def enum_or_none(kind: type[E], raw: str | None) -> E | None:
    """The enum member named by a query value, or None for empty or unknown."""
    try:
        return kind(raw) if raw else None
    except ValueError:
        return None


def int_or_none(raw: str | None, *, low: int = 1, high: int = 2**53) -> int | None:
    """A bounded positive integer from a query value, or None."""
    try:
        value = int(raw) if raw else None
    except ValueError:
        return None
    return value if value is not None and low <= value <= high else None


def date_or_none(raw: str | None) -> date | None:
    """A YYYY-MM-DD query value within the service's range of dates, or None."""
    try:
        day = date.fromisoformat(raw) if raw else None
    except ValueError:
        return None
    return day if day is not None and date_in_range(day) else None


def text_or_none(raw: str | None, max_length: int = 100) -> str | None:
    """A search text without control characters, trimmed, or None."""
    if not raw:
        return None
    cleaned = LINE_CONTROL.sub("", raw).strip()[:max_length]
    return cleaned or None


@dataclass(frozen=True)
class Paging:
    """Which page of a list, and how many pages there are."""

    page: int
    total: int
    size: int = PAGE_SIZE

    @property
    def offset(self) -> int:
        """Rows to skip."""
        return (self.page - 1) * self.size

    @property
    def pages(self) -> int:
        """How many pages (at least one)."""
        return max(math.ceil(self.total / self.size), 1)


def page_number(raw: str | None) -> int:
    """The 1-based page asked for (bad values read as 1)."""
    return int_or_none(raw, high=10**5) or 1
