"""Alliance pages: the chair calendar (public), the committee's rotation and activity forms, and applications.

The calendar is a month as a list of weeks (no wide grid, so it reads on a phone): who chairs on which days and
the chair's joint activities (联合主题党日…). The committee replaces the rotation (generated, or term by term,
after a confirmation step: a replaced schedule cannot be brought back) and adds activities at `/committee/chair`.
The application pages are in `_applications`; `ALLIANCE_PAGES` here lists both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.params import QueryParameter
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from alliances import services as alliance_services
from alliances.models import ChairActivity, ChairTerm
from alliances.schemas import ChairActivityCreate, ChairScheduleReplace, Rotation
from alliances.schemas import ChairTermCreate as TermCreate
from market.i18n import label, t
from market.kernel.clock import Clock, local_date
from market.kernel.db import writing
from market.kernel.errors import InvalidInput, StateConflict
from market.models import User
from market.pages._applications import APPLICATION_PAGES
from market.pages._base import (
    COMMITTEE,
    PUBLIC,
    FormState,
    confirm_page,
    confirmed,
    date_or_none,
    form_values,
    int_or_none,
    lang_of,
    page,
    parse_form,
    refused,
    say,
    see_other,
)
from market.params import Db, Now, Viewer

Query = Annotated[str | None, QueryParameter(max_length=20, required=False)]

ORDER_SLOTS = 4  # the four alliances; a rotation may name fewer
EXTRA_TERM_ROWS = 2  # blank rows after the current terms, for adding
MOST_TERM_ROWS = 240  # as ChairScheduleReplace
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


# The chair calendar -------------------------------------------------------------------------------------------


def day_text(day: date, lang: str, *, weekday: bool = True) -> str:
    """3月5日 周四 / Thu 5 Mar (without the weekday: 3月5日 / 5 Mar)."""
    month = t(f"chart.month.{day.month}", lang)
    if not weekday:
        return t("chair.date", lang, month=month, day=day.day)
    return t("chair.day", lang, month=month, day=day.day, weekday=t(f"chart.weekday.{day.weekday()}", lang))


def span_text(first: date, last: date, lang: str) -> str:
    """3月2日 至 3月8日, or one day: 3月1日."""
    if first == last:
        return day_text(first, lang, weekday=False)
    return t("chair.range", lang, first=day_text(first, lang, weekday=False), last=day_text(last, lang, weekday=False))


def month_text(first: date, lang: str) -> str:
    """2026年3月 / Mar 2026."""
    return t("chart.month_year", lang, year=first.year, month=t(f"chart.month.{first.month}", lang))


def add_months(first: date, months: int) -> date:
    """The first day of the month `months` after `first`'s."""
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_asked(raw: str | None, today: date) -> date:
    """The first day of the month a `YYYY-MM` query names, or of today's month (also for nonsense)."""
    m = _MONTH.match(raw or "")
    if m and 1970 <= int(m.group(1)) <= 2200 and 1 <= int(m.group(2)) <= 12:
        return date(int(m.group(1)), int(m.group(2)), 1)
    return today.replace(day=1)


@dataclass
class CalendarDay:
    """A day shown in a week: a day with activities, or today."""

    day: date
    text: str
    chair: ChairTerm | None
    activities: list[ChairActivity]
    today: bool


@dataclass
class ChairSpan:
    """Consecutive days of a week chaired by the same term (or by none)."""

    first: date
    last: date
    text: str
    term: ChairTerm | None


@dataclass
class CalendarWeek:
    """One week (Monday to Sunday) of the month, cut to the month."""

    first: date
    last: date
    text: str
    spans: list[ChairSpan] = field(default_factory=list)
    days: list[CalendarDay] = field(default_factory=list)


def month_weeks(
    first: date, terms: list[ChairTerm], activities: list[ChairActivity], today: date, lang: str
) -> list[CalendarWeek]:
    """The month as weeks: each with who chairs on which of its days, and its days that have activities."""
    last = add_months(first, 1) - timedelta(days=1)
    by_day: dict[date, list[ChairActivity]] = {}
    for a in activities:
        by_day.setdefault(a.held_on, []).append(a)

    def chair(day: date) -> ChairTerm | None:
        return next((term for term in terms if term.starts_on <= day <= term.ends_on), None)

    weeks: list[CalendarWeek] = []
    day = first
    while day <= last:
        end = min(day + timedelta(days=6 - day.weekday()), last)
        week = CalendarWeek(
            day,
            end,
            span_text(day, end, lang),
        )
        d = day
        while d <= end:
            term = chair(d)
            span = week.spans[-1] if week.spans else None
            if span is not None and span.term is term:
                span.last = d
            else:
                week.spans.append(ChairSpan(d, d, "", term))
            if d in by_day or d == today:
                week.days.append(CalendarDay(d, day_text(d, lang), term, by_day.get(d, []), d == today))
            d += timedelta(days=1)
        for span in week.spans:
            span.text = span_text(span.first, span.last, lang)
        weeks.append(week)
        day = end + timedelta(days=1)
    return weeks


@get("/alliances/calendar", **PUBLIC)
async def chair_calendar(
    request: Request[Any, Any, Any], db_session: Db, clock: Now, viewer: Viewer, month: Query = None
) -> Template:
    """A month of the chair calendar: the chairing alliance day by day and its joint activities."""
    lang = lang_of(request)
    today = local_date(clock.now())
    first = month_asked(month, today)
    last = add_months(first, 1) - timedelta(days=1)
    terms, current = await alliance_services.schedule(db_session, today=today)
    activities = await alliance_services.list_activities(db_session, start=first, end=last, limit=1000, offset=0)
    return page(
        "alliances/calendar.html.j2",
        viewer,
        month=first,
        heading=month_text(first, lang),
        weeks=month_weeks(first, terms, activities, today, lang),
        month_terms=[term for term in terms if term.starts_on <= last and term.ends_on >= first],
        current=current,
        activity_count=len(activities),
        previous=add_months(first, -1),
        following=add_months(first, 1),
        this_month=today.replace(day=1),
        term_text=lambda term: t("chair.range", lang, first=term.starts_on.isoformat(), last=term.ends_on.isoformat()),
    )


# The committee: rotation and activities ---------------------------------------------------------------------


def _rotation_defaults(codes: list[str], today: date) -> dict[str, str]:
    values = {f"order_{i + 1}": code for i, code in enumerate(codes[:ORDER_SLOTS])}
    return values | {"first_day": add_months(today.replace(day=1), 1).isoformat(), "months_per_term": "3", "count": "4"}


def _terms_values(terms: list[ChairTerm]) -> dict[str, str]:
    values = {"rows": str(len(terms) + EXTRA_TERM_ROWS)}
    for i, term in enumerate(terms, start=1):
        values |= {
            f"alliance_code_{i}": term.alliance.code,
            f"starts_on_{i}": term.starts_on.isoformat(),
            f"ends_on_{i}": term.ends_on.isoformat(),
        }
    return values


async def _chair_page(
    db: AsyncSession,
    viewer: User | None,
    today: date,
    lang: str,
    *,
    rotation: FormState | None = None,
    terms_form: FormState | None = None,
    activity: FormState | None = None,
) -> Template:
    rows = await alliance_services.list_alliances(db, today=today)
    codes = [r.alliance.code for r in rows]
    terms, current = await alliance_services.schedule(db, today=today)
    forms = {
        "rotation": rotation or FormState(_rotation_defaults(codes, today)),
        "terms": terms_form or FormState(_terms_values(terms)),
        "activity": activity or FormState({"held_on": today.isoformat()}),
    }
    return page(
        "alliances/chair.html.j2",
        viewer,
        status_code=422 if any(f.invalid for f in forms.values()) else 200,
        states=forms,
        terms=terms,
        current=current,
        options=[(code, label("alliance", code, lang)) for code in codes],
        slots=range(1, ORDER_SLOTS + 1),
        rows=range(1, (int_or_none(forms["terms"].values.get("rows"), high=MOST_TERM_ROWS) or 1) + 1),
    )


def rotation_request(values: dict[str, str], codes: list[str], lang: str) -> ChairScheduleReplace | FormState:
    """The rotation form as the API's `ChairScheduleReplace`, or the fields refused."""
    errors: dict[str, str] = {}
    order = []
    for i in range(1, ORDER_SLOTS + 1):
        code = values.get(f"order_{i}", "").strip()
        if code and code not in codes:
            errors[f"order_{i}"] = t("form.invalid", lang)
        elif code:
            order.append(code)
    if not order and not errors:
        errors["order_1"] = t("chair.order_required", lang)
    first_day = date_or_none(values.get("first_day", "").strip())
    if first_day is None:
        errors["first_day"] = t("form.required" if not values.get("first_day") else "form.invalid", lang)
    months = int_or_none(values.get("months_per_term", "").strip(), high=60)
    if months is None:
        errors["months_per_term"] = t("chair.months_range", lang)
    count = int_or_none(values.get("count", "").strip(), high=240)
    if count is None:
        errors["count"] = t("chair.count_range", lang)
    if errors or first_day is None or months is None or count is None:
        return FormState(values, errors)
    return ChairScheduleReplace(
        rotation=Rotation(order=order, first_day=first_day, months_per_term=months, count=count)
    )


def terms_request(values: dict[str, str], codes: list[str], lang: str) -> ChairScheduleReplace | FormState:
    """The term-by-term form as the API's `ChairScheduleReplace` (blank rows left out), or the fields refused."""
    errors: dict[str, str] = {}
    terms: list[TermCreate] = []
    for i in range(1, (int_or_none(values.get("rows"), high=MOST_TERM_ROWS) or 0) + 1):
        code, raw_start, raw_end = (
            values.get(f"{n}_{i}", "").strip() for n in ("alliance_code", "starts_on", "ends_on")
        )
        if not (code or raw_start or raw_end):
            continue
        starts, ends = date_or_none(raw_start), date_or_none(raw_end)
        if code not in codes:
            errors[f"alliance_code_{i}"] = t("form.required" if not code else "form.invalid", lang)
        if starts is None:
            errors[f"starts_on_{i}"] = t("form.required" if not raw_start else "form.invalid", lang)
        if ends is None:
            errors[f"ends_on_{i}"] = t("form.required" if not raw_end else "form.invalid", lang)
        if starts and ends and code in codes:
            terms.append(TermCreate(alliance_code=code, starts_on=starts, ends_on=ends))
    if errors:
        return FormState(values, errors)
    if not terms:
        return FormState(values, {}, t("chair.terms_required", lang))
    return ChairScheduleReplace(terms=terms)


async def _replace(
    request: Request[Any, Any, Any], db: AsyncSession, clock: Clock, viewer: User | None, which: str
) -> Template | Redirect:
    """Both schedule forms: check, confirm (showing the terms that will result), then replace."""
    lang, today = lang_of(request), local_date(clock.now())
    values = await form_values(request)
    codes = [r.alliance.code for r in await alliance_services.list_alliances(db, today=today)]
    asked = rotation_request(values, codes, lang) if which == "rotation" else terms_request(values, codes, lang)

    def again(state: FormState) -> Any:
        return _chair_page(
            db, viewer, today, lang, **({"rotation": state} if which == "rotation" else {"terms_form": state})
        )

    if isinstance(asked, FormState):
        return await again(asked)
    try:
        planned, _ = alliance_services.requested_terms(asked)
    except InvalidInput as exc:
        return await again(refused(values, exc, lang, ()))
    if not confirmed(values):
        return confirm_page(
            viewer,
            title=t("chair.confirm_title", lang),
            warning=t("chair.confirm_warning", lang, n=len(planned)),
            action=f"/committee/chair/{which}",
            values=values,
            back="/committee/chair",
            button=t("chair.confirm_button", lang),
            facts=[
                (
                    t("chair.range", lang, first=term.starts_on.isoformat(), last=term.ends_on.isoformat()),
                    label("alliance", term.alliance_code, lang),
                )
                for term in planned
            ],
        )
    try:
        async with writing(db):
            await alliance_services.replace_schedule(db, asked, actor=request.user, now=clock.now())
    except (InvalidInput, StateConflict) as exc:
        return await again(refused(values, exc, lang, ()))
    say(request, "chair.replaced", n=len(planned))
    return see_other("/committee/chair")


@get("/committee/chair", **COMMITTEE)
async def chair_admin(request: Request[Any, Any, Any], db_session: Db, clock: Now, viewer: Viewer) -> Template:
    """The schedule of terms, the forms that replace it, and the form that adds a joint activity."""
    return await _chair_page(db_session, viewer, local_date(clock.now()), lang_of(request))


@post("/committee/chair/rotation", **COMMITTEE)
async def set_rotation(
    request: Request[Any, Any, Any], db_session: Db, clock: Now, viewer: Viewer
) -> Template | Redirect:
    """Replace the schedule with a generated rotation (`PUT /chair` with `rotation`), after confirmation."""
    return await _replace(request, db_session, clock, viewer, "rotation")


@post("/committee/chair/terms", **COMMITTEE)
async def set_terms(request: Request[Any, Any, Any], db_session: Db, clock: Now, viewer: Viewer) -> Template | Redirect:
    """Replace the schedule term by term (`PUT /chair` with `terms`), after confirmation."""
    return await _replace(request, db_session, clock, viewer, "terms")


@post("/committee/chair/activities", **COMMITTEE)
async def add_activity(
    request: Request[Any, Any, Any], db_session: Db, clock: Now, viewer: Viewer
) -> Template | Redirect:
    """Put a joint activity on the calendar (`POST /chair/activities`); a date no term covers is refused."""
    lang, today = lang_of(request), local_date(clock.now())
    values = {
        k: v for k, v in (await form_values(request)).items() if k in ("title", "held_on", "place", "description")
    }
    data = parse_form(values, ChairActivityCreate, lang)
    if isinstance(data, FormState):
        return await _chair_page(db_session, viewer, today, lang, activity=data)
    try:
        async with writing(db_session):
            made = await alliance_services.create_activity(db_session, data, actor=request.user, now=clock.now())
    except (InvalidInput, StateConflict) as exc:
        state = refused(values, exc, lang, ("title", "held_on", "place", "description"))
        return await _chair_page(db_session, viewer, today, lang, activity=state)
    say(request, "chair.activity_added", title=made.title)
    return see_other(f"/alliances/calendar?month={made.held_on:%Y-%m}#day-{made.held_on.isoformat()}")


ALLIANCE_PAGES: list[ControllerRouterHandler] = [
    chair_calendar,
    chair_admin,
    set_rotation,
    set_terms,
    add_activity,
    *APPLICATION_PAGES,
]
