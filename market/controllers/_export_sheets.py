"""What each export's columns are, and each row made from what the JSON list itself answers (its summary structs),
so a spreadsheet row says what the JSON item says."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from market.i18n import label, t
from market.schemas._needs import NeedSummary
from market.schemas._projects import ProjectSummary
from market.schemas._resources import Offering, Order
from market.services import stats
from market.spreadsheets import Column, Kind, Row
from market.states import NeedStatus, OrderStatus


@dataclass(frozen=True, slots=True)
class Sheet:
    """An export: its ASCII file stem, the message key of its title (the file and sheet name), its columns."""

    stem: str
    title: str
    columns: tuple[Column, ...]

    def headers(self, lang: str) -> list[str]:
        """The column headers in the reader's language."""
        return [t(c.header, lang) for c in self.columns]


def _col(name: str, kind: Kind = Kind.TEXT) -> Column:
    return Column(f"export.col.{name}", kind)


def _yes(value: bool, lang: str) -> str:
    return t("export.yes" if value else "export.no", lang)


NEEDS = Sheet(
    "needs",
    "export.file.needs",
    (
        _col("id", Kind.INT),
        _col("title"),
        _col("category"),
        _col("status"),
        _col("street"),
        _col("community"),
        _col("organization"),
        _col("raised_at", Kind.DATETIME),
        _col("decline_reason"),
    ),
)


def need_row(n: NeedSummary, lang: str) -> Row:
    """A need as a row."""
    c, o = n.community, n.organization
    return (
        n.id,
        n.title,
        label("category", n.category, lang),
        label("need_status", n.status, lang),
        c.street if c else None,
        c.name if c else None,
        o.name if o else None,
        n.raised_at,
        n.decline_reason,
    )


SERVICES = Sheet(
    "services",
    "export.file.services",
    (
        _col("id", Kind.INT),
        _col("title"),
        _col("category"),
        _col("provider"),
        _col("target_groups"),
        _col("monthly_capacity", Kind.INT),
        _col("month"),
        _col("accepted_this_month", Kind.INT),
        _col("remaining_this_month", Kind.INT),
        _col("orderable"),
        _col("active"),
        _col("description"),
    ),
)


def service_row(o: Offering, lang: str) -> Row:
    """A service of the resource list as a row, with this month's places."""
    return (
        o.id,
        o.title,
        label("resource_category", o.category, lang),
        o.provider_name,
        "、".join(o.target_groups),
        o.monthly_capacity,
        o.month,
        o.accepted_this_month,
        o.remaining_this_month,
        _yes(o.orderable, lang),
        _yes(o.active, lang),
        o.description,
    )


ORDERS = Sheet(
    "orders",
    "export.file.orders",
    (
        _col("id", Kind.INT),
        _col("status"),
        _col("month"),
        _col("service_id", Kind.INT),
        _col("service"),
        _col("provider"),
        _col("street"),
        _col("community"),
        _col("need_id", Kind.INT),
        _col("meeting_id", Kind.INT),
        _col("note"),
        _col("decline_reason"),
        _col("rating", Kind.INT),
        _col("rating_comment"),
        _col("ordered_at", Kind.DATETIME),
        _col("decided_at", Kind.DATETIME),
        _col("delivered_at", Kind.DATETIME),
    ),
)


def order_row(o: Order, lang: str) -> Row:
    """An order as a row."""
    return (
        o.id,
        label("order_status", o.status, lang),
        o.service_month,
        o.offering.id,
        o.offering.title,
        o.offering.provider_name,
        o.community.street,
        o.community.name,
        o.need_id,
        o.meeting_id,
        o.note,
        o.decline_reason,
        o.rating,
        o.rating_comment,
        o.ordered_at,
        o.decided_at,
        o.delivered_at,
    )


PROJECTS = Sheet(
    "projects",
    "export.file.projects",
    (
        _col("id", Kind.INT),
        _col("task_id", Kind.INT),
        _col("title"),
        _col("category"),
        _col("status"),
        _col("organization"),
        _col("alliance"),
        _col("budget", Kind.MONEY),
        _col("started_at", Kind.DATETIME),
        _col("delivered_at", Kind.DATETIME),
        _col("closed_at", Kind.DATETIME),
        _col("final_score", Kind.DECIMAL),
        _col("grade"),
        _col("need_ids"),
        _col("latest_percent", Kind.INT),
        _col("latest_report"),
        _col("latest_report_at", Kind.DATETIME),
    ),
)


def project_row(p: ProjectSummary, lang: str) -> Row:
    """A project of the project list as a row, with its grade."""
    return (
        p.id,
        p.task_id,
        p.title,
        label("category", p.category, lang),
        label("project_status", p.status, lang),
        p.organization_name,
        label("alliance", p.alliance, lang),
        p.budget_fen,
        p.started_at,
        p.delivered_at,
        p.closed_at,
        p.final_score,
        label("grade", p.grade, lang) if p.grade else None,
        " ".join(str(i) for i in p.need_ids),
        p.latest_percent,
        p.latest_report,
        p.latest_report_at,
    )


STATS = Sheet(
    "stats",
    "export.file.stats",
    (
        _col("period_from", Kind.DATE),
        _col("period_to", Kind.DATE),
        _col("dimension"),
        _col("name"),
        *(_col(f"tasks_{n}", Kind.INT) for n in ("posted", "claimed", "awarded", "unclaimed")),
        _col("needs_raised", Kind.INT),
        *(_col(f"needs_{s.value}", Kind.INT) for s in NeedStatus),
        *(_col(f"orders_{s.value}", Kind.INT) for s in OrderStatus),
        _col("classes_held", Kind.INT),
        _col("class_seats", Kind.INT),
        _col("class_confirmed", Kind.INT),
        _col("class_attended", Kind.INT),
        _col("projects_closed", Kind.INT),
        _col("mean_final_score", Kind.DECIMAL),
        # Points counted: the total row has both kinds of holder, an alliance's row its organisations', the others none.
        *(
            _col(f"points_{holder}_{n}", Kind.INT)
            for holder in ("organization", "resident")
            for n in ("entries", "points", "gained", "lost")
        ),
    ),
)


def _points(p: stats.PointCounts | None) -> tuple[int | None, ...]:
    return (None,) * 4 if p is None else (p.entries, p.points, p.gained, p.lost)


def _slice_name(dimension: str, key: str, lang: str) -> str:
    if dimension == "alliance":
        return t("export.park", lang) if key == stats.PARK else label("alliance", key, lang)
    if dimension == "category":
        return label("category", key, lang)
    if dimension == "street":
        return t("export.no_street", lang) if key == stats.NO_STREET else key
    return ""


def stats_rows(r: stats.Report, lang: str) -> list[Row]:
    """The report as rows: the total, then each alliance, category and street, in the JSON report's order."""
    slices: list[tuple[str, str, stats.Breakdown]] = [("total", "", r.total)]
    slices += [("alliance", k, b) for k, b in r.by_alliance.items()]
    slices += [("category", k, b) for k, b in sorted(r.by_category.items())]
    slices += [("street", k, b) for k, b in sorted(r.by_street.items())]
    rows: list[Row] = []
    for dimension, key, b in slices:
        tasks, needs, classes = b.tasks, b.needs, b.classes
        counts: Sequence[object] = (
            tasks.posted,
            tasks.claimed,
            tasks.awarded,
            tasks.unclaimed,
            needs.raised,
            *(getattr(needs, s.value) for s in NeedStatus),
            *(b.orders.get(s.value, 0) for s in OrderStatus),
            classes.held,
            classes.seats,
            classes.confirmed,
            classes.attended,
            b.projects_closed,
            b.mean_final_score,
        )
        if dimension == "total":
            points = (*_points(r.points["organization"]), *_points(r.points["resident"]))
        else:
            points = (*_points(r.points_by_alliance.get(key) if dimension == "alliance" else None), *_points(None))
        rows.append(
            (
                r.start,
                r.end,
                t(f"export.dimension.{dimension}", lang),
                _slice_name(dimension, key, lang),
                *counts,
                *points,
            )
        )
    return rows
