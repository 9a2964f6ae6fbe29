"""The statistics dashboard: charts drawn on the server as SVG, with the same numbers in tables.

`STATS_PAGES` also carries the night-class pages of an organiser (`_classes_org`) and the alliance pages (the
chair calendar, the committee's rotation and activity forms, organisations' applications: `_alliances`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from litestar import Request, get
from litestar.params import QueryParameter
from litestar.response import Template
from litestar.types import ControllerRouterHandler
from markupsafe import Markup

from alliances.models import ServiceCategory
from market.charts import Series, bar_chart, column_chart
from market.i18n import label, t
from market.pages._base import PUBLIC, FormState, date_or_none, lang_of, page
from market.params import Db, Now, Viewer
from market.services import stats
from market.states import NeedStatus, OrderStatus

LONGEST_DAYS = 3660  # as the API: ten years at most
MONTHS_CHARTED = 24  # a longer period is charted by year, so the bars stay wide enough to see


@dataclass(frozen=True, slots=True)
class Bucket:
    """One bar group on a time chart: a month, or a year for long periods."""

    short: str  # under the bars
    full: str  # in the table
    tasks: stats.TaskCounts
    classes: stats.ClassCounts


def month_label(month: date, lang: str) -> str:
    """A month as the tables name it: 2026年3月 / Mar 2026."""
    return t("chart.month_year", lang, year=month.year, month=t(f"chart.month.{month.month}", lang))


def buckets(months: list[stats.MonthCounts], lang: str) -> list[Bucket]:
    """Months as they are charted; over two years, added up by year."""
    if len(months) <= MONTHS_CHARTED:
        return [
            Bucket(
                t(f"chart.month.{m.month.month}", lang) if i and m.month.month != 1 else month_label(m.month, lang),
                month_label(m.month, lang),
                m.tasks,
                m.classes,
            )
            for i, m in enumerate(months)
        ]
    years: dict[int, Bucket] = {}
    for m in months:
        b = years.setdefault(
            m.month.year,
            Bucket(
                str(m.month.year), t("chart.year", lang, year=m.month.year), stats.TaskCounts(), stats.ClassCounts()
            ),
        )
        for name in ("posted", "claimed", "awarded", "unclaimed"):
            setattr(b.tasks, name, getattr(b.tasks, name) + getattr(m.tasks, name))
        for name in ("held", "seats", "confirmed", "attended"):
            setattr(b.classes, name, getattr(b.classes, name) + getattr(m.classes, name))
    return list(years.values())


def _period(values: dict[str, str], default: tuple[date, date], lang: str) -> tuple[date, date, FormState]:
    """The period asked for, or the default with the refused field marked."""
    form = FormState(dict(values))
    asked: dict[str, date | None] = {}
    for name in ("from", "to"):
        raw = values.get(name, "").strip()
        asked[name] = date_or_none(raw)
        if raw and asked[name] is None:
            form.errors[name] = t("stats.bad_date", lang)
    start, end = asked["from"] or default[0], asked["to"] or default[1]
    if not form.errors and start > end:
        form.errors["from"] = t("stats.from_after_to", lang)
    if not form.errors and (end - start).days > LONGEST_DAYS:
        form.errors["to"] = t("stats.too_long", lang)
    if form.invalid:
        return default[0], default[1], form
    form.values = {"from": start.isoformat(), "to": end.isoformat()}
    return start, end, form


def _charts(report: stats.Report, rows: list[Bucket], codes: list[str], lang: str) -> dict[str, Markup]:
    """Every chart of the dashboard, titled in the page's language."""
    said = t("chart.see_table", lang)
    total = report.total
    task_series = ("posted", "claimed", "awarded")
    return {
        "tasks_month": column_chart(
            "chart-tasks-month",
            t("stats.tasks_by_month", lang),
            [r.short for r in rows],
            [Series(t(f"stats.{n}", lang), [getattr(r.tasks, n) for r in rows]) for n in task_series],
            summary=said,
        ),
        "tasks_alliance": bar_chart(
            "chart-tasks-alliance",
            t("stats.tasks_by_alliance", lang),
            [label("alliance", c, lang) for c in codes],
            [
                Series(t(f"stats.{n}", lang), [getattr(report.by_alliance[c].tasks, n) for c in codes])
                for n in (*task_series, "unclaimed")
            ],
            summary=said,
        ),
        "needs": bar_chart(
            "chart-needs",
            t("stats.needs_by_state", lang),
            [t("stats.needs_raised", lang), *(label("need_status", s, lang) for s in NeedStatus)],
            [
                Series(
                    t("stats.needs_count", lang), [total.needs.raised, *(getattr(total.needs, s) for s in NeedStatus)]
                )
            ],
            summary=said,
        ),
        "orders": bar_chart(
            "chart-orders",
            t("stats.orders_by_state", lang),
            [label("order_status", s, lang) for s in OrderStatus],
            [Series(t("stats.orders_count", lang), [total.orders.get(s, 0) for s in OrderStatus])],
            summary=said,
        ),
        "classes_month": column_chart(
            "chart-classes-month",
            t("stats.classes_by_month", lang),
            [r.short for r in rows],
            [
                Series(t("stats.classes_confirmed", lang), [r.classes.confirmed for r in rows]),
                Series(t("stats.classes_attended", lang), [r.classes.attended for r in rows]),
            ],
            summary=said,
        ),
    }


def attendance_rate(c: stats.ClassCounts) -> str:
    """Attended of confirmed places, as a whole percentage ("—" when nobody had a place)."""
    return f"{round(100 * c.attended / c.confirmed)}%" if c.confirmed else "—"


@get("/stats", **PUBLIC)
async def dashboard(
    request: Request[Any, Any, Any],
    db_session: Db,
    clock: Now,
    viewer: Viewer,
    period_from: Annotated[str | None, QueryParameter(name="from", max_length=20, required=False)] = None,
    period_to: Annotated[str | None, QueryParameter(name="to", max_length=20, required=False)] = None,
) -> Template:
    """发榜/揭榜/承榜 by month and alliance, needs, orders, classes and attendance for a period (default: a year)."""
    lang = lang_of(request)
    now = clock.now()
    default = stats.default_period(now)
    start, end, form = _period({"from": period_from or "", "to": period_to or ""}, default, lang)
    report = await stats.report(db_session, start, end, now=now)
    rows = buckets(await stats.by_month(db_session, start, end, now=now), lang)
    codes = [code for code in report.by_alliance if code != stats.PARK]
    categories = [c.value for c in ServiceCategory]
    today = default[1]
    return page(
        "market/stats/dashboard.html.j2",
        viewer,
        status_code=422 if form.invalid else 200,
        form=form,
        start=start,
        end=end,
        report=report,
        rows=rows,
        codes=codes,
        categories=categories,
        charts=_charts(report, rows, codes, lang),
        rate=attendance_rate,
        quick=[
            ("stats.last_year", default[0], today),
            ("stats.this_year", date(today.year, 1, 1), today),
            ("stats.previous_year", date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)),
        ],
        yearly=len(stats.months_between(start, end)) > MONTHS_CHARTED,
    )


STATS_PAGES: list[ControllerRouterHandler] = [dashboard]
